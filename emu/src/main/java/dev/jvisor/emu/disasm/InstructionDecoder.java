package dev.jvisor.emu.disasm;

import dev.jvisor.emu.disasm.Entry.Op;
import dev.jvisor.emu.disasm.Operand.Size;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Decodes one instruction: prefixes, opcode (through the one-, two- and three-byte maps, VEX and x87),
 * ModRM/SIB/displacement and immediates (Intel SDM Vol. 2 chapter 2), then renders it in AT&T syntax
 * through {@link OperandFormatter} and {@link MnemonicRenderer}. One instance per instruction.
 */
final class InstructionDecoder {
    /** Thrown when the instruction runs past the end of the bytes available. */
    static final class Truncated extends RuntimeException {
        Truncated() {
            super(null, null, false, false);
        }
    }

    /** Thrown when an operand is impossible for the encoding (e.g. LEA with a register). */
    static final class BadOperand extends RuntimeException {
        BadOperand() {
            super(null, null, false, false);
        }
    }

    /** Most prefixes objdump accepts before it prints them as an instruction of their own. */
    private static final int MAX_PREFIXES = 14;

    final byte[] code;
    final int start;
    final int end;
    final long address;
    final int mode;
    final AddressNamer namer;
    int pos;
    final Prefixes prefixes;

    // VEX (SDM Vol. 2 §2.3.5)
    boolean vex;
    boolean vexL;
    boolean vexW;
    int vexRegister;
    /** VEX.vvvv decoded (0 means the field is 1111b, "no register"). */
    int vexVvvv;

    // ModRM
    boolean hasModrm;
    int mod;
    int reg;
    int rm;
    int opcodeEnd;
    int afterPrefixes;
    /** The low three bits of the last opcode byte (register-in-opcode forms). */
    int opcodeLow;

    // The instruction being rendered
    Op op;
    int adsize;
    private int opsizeValue;
    private boolean opsizeFromPrefix;
    private boolean opsizeFromRexW;
    final OperandFormatter operands;

    InstructionDecoder(byte[] code, int start, int end, long address, int mode, AddressNamer namer) {
        this.code = code;
        this.start = start;
        this.end = Math.min(end, start + 15);
        this.address = address;
        this.mode = mode;
        this.namer = namer;
        this.pos = start;
        this.prefixes = new Prefixes(mode);
        this.operands = new OperandFormatter(this);
    }

    int next() {
        if (pos >= end) {
            throw new Truncated();
        }
        return code[pos++] & 0xff;
    }

    private int peek(int at) {
        return at < end ? code[at] & 0xff : -1;
    }

    long readSigned(int bytes) {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) next() << (8 * i);
        }
        int shift = 64 - 8 * bytes;
        return (v << shift) >> shift;
    }

    /** REX.W (VEX.W under VEX), marking it used. */
    boolean rexW() {
        return vex ? vexW : prefixes.rex(Prefixes.REX_W);
    }

    /** The operand size, marking the prefix (66 or REX.W) that chose it as used. */
    int opsize() {
        if (opsizeFromPrefix) {
            prefixes.opsizeUsed = true;
        }
        if (opsizeFromRexW) {
            prefixes.rex(Prefixes.REX_W);
            if (prefixes.opsize && prefixes.mandatory != 0x66 && op.has(Entry.W_USES_66)) {
                prefixes.opsizeUsed = true; // a few forms count 66 as consulted even when REX.W wins
            }
        }
        return opsizeValue;
    }


    /** The operand size without counting REX.W as used (z-sized operands ignore REX.W). */
    int opsizeIgnoringW() {
        if (opsizeFromPrefix) {
            prefixes.opsizeUsed = true;
        }
        return opsizeValue;
    }

    /** The operand size, consuming nothing (for defaults and masks). */
    int opsizeQuiet() {
        return opsizeValue;
    }

    DecodedInstruction decode() {
        try {
            return decodeInstruction();
        } catch (Truncated t) {
            return new DecodedInstruction(address, Math.max(1, end - start), "(bad)");
        }
    }

    private boolean isPrefix(int b) {
        return Prefixes.isLegacyPrefix(b) || (mode == 64 && b >= 0x40 && b <= 0x4f);
    }

    /** Whether the FWAIT at {@code at} merges into an x87 instruction that follows it. */
    private boolean fwaitPrefix(int at) {
        int i = at + 1;
        while (peek(i) == 0x9b || isPrefix(peek(i))) {
            i++;
        }
        int b = peek(i);
        return b >= 0xd8 && b <= 0xdf;
    }

    private DecodedInstruction decodeInstruction() {
        while (pos < end) {
            int b = code[pos] & 0xff;
            if (b == 0x9b && fwaitPrefix(pos)) {
                prefixes.fwait = true;
                pos++;
                continue;
            }
            if (!isPrefix(b)) {
                break;
            }
            prefixes.add(b);
            pos++;
            boolean rex = mode == 64 && b >= 0x40 && b <= 0x4f;
            if ((rex && (isPrefix(peek(pos)) || peek(pos) == 0x9b)) || prefixes.count == MAX_PREFIXES) {
                // objdump ends the instruction at a REX prefix that another prefix follows.
                return new DecodedInstruction(address, pos - start, prefixes.unusedNames(true).trim());
            }
        }
        afterPrefixes = pos;
        Entry entry = opcodeEntry();
        if (entry == null) {
            return x87();
        }
        opcodeEnd = pos;
        if (!vex && pos - afterPrefixes == 1 && code[afterPrefixes] == (byte) 0x90) {
            return nop();
        }
        if (Entry.needsModrm(entry)) {
            readModrm();
        }
        Entry resolved = resolve(entry);
        if (vex && (!(resolved instanceof Op found) || !VexRules.capable(found)
                || !VexRules.fieldsValid(this, found))) {
            return bad(opcodeEnd);
        }
        if (!(resolved instanceof Op found) || !validInMode(found) || (!vex && VexRules.vexOnly(found))) {
            return bad(opcodeEnd);
        }
        if (!vex && found.has(Entry.KEEP_PREFIX)) {
            if (prefixes.mandatory == 0x66 && (prefixes.rex & Prefixes.REX_W) != 0) {
                prefixes.opsizeUsed = true; // objdump consumed 66 choosing the form; REX.W sets the size
            }
            prefixes.mandatory = 0; // e.g. 66 on BSF is an operand-size prefix, F3 on a hint NOP is unused
        }
        op = found;
        try {
            return render();
        } catch (BadOperand e) {
            return bad(opcodeEnd);
        }
    }

    /** Reads the opcode bytes and returns the table entry; null for x87 escapes (D8..DF). */
    private Entry opcodeEntry() {
        int b = next();
        opcodeLow = b & 7;
        if (b == 0x0f) {
            int b2 = next();
            opcodeLow = b2 & 7;
            return switch (b2) {
                case 0x38 -> ThreeByteMaps.MAP_38[next()];
                case 0x3a -> ThreeByteMaps.MAP_3A[next()];
                default -> TwoByteMap.MAP[b2];
            };
        }
        if ((b == 0xc4 || b == 0xc5) && (mode == 64 || (peek(pos) & 0xc0) == 0xc0)) {
            return vexEntry(b);
        }
        if (b >= 0xd8 && b <= 0xdf) {
            return null;
        }
        return OneByteMap.MAP[b];
    }

    /** Reads a two- or three-byte VEX prefix and the opcode it introduces (SDM Vol. 2 §2.3.5.6). */
    private Entry vexEntry(int first) {
        vex = true;
        int b1 = next();
        int map = 1;
        int rexBits;
        int b2;
        if (first == 0xc5) {
            rexBits = (b1 & 0x80) == 0 ? Prefixes.REX_R : 0;
            b2 = b1;
        } else {
            rexBits = ((b1 & 0x80) == 0 ? Prefixes.REX_R : 0) | ((b1 & 0x40) == 0 ? Prefixes.REX_X : 0)
                    | ((b1 & 0x20) == 0 ? Prefixes.REX_B : 0);
            map = b1 & 0x1f;
            if (map < 1 || map > 3) {
                throw new BadVex();
            }
            b2 = next();
            vexW = (b2 & 0x80) != 0;
        }
        prefixes.rexIgnored = prefixes.rex != 0; // VEX after REX is #UD (SDM Vol. 2 §2.3.2)
        if (mode != 64) {
            rexBits = 0; // outside 64-bit mode VEX.R, X and B select nothing
        }
        prefixes.rex = rexBits | (rexBits != 0 ? Prefixes.REX_PRESENT : 0);
        vexVvvv = (~b2 >> 3) & 15;
        vexRegister = vexVvvv & (mode == 64 ? 15 : 7);
        vexL = (b2 & 4) != 0;
        prefixes.mandatory = switch (b2 & 3) {
            case 1 -> 0x66;
            case 2 -> 0xf3;
            case 3 -> 0xf2;
            default -> 0;
        };
        int opcode = next();
        opcodeLow = opcode & 7;
        return switch (map) {
            case 1 -> opcode == 0x77 ? (prefixes.mandatory == 0 ? Tables.op(vexL ? "~vzeroall" : "~vzeroupper")
                    : Entry.BAD) : TwoByteMap.MAP[opcode];
            case 2 -> ThreeByteMaps.MAP_38[opcode];
            default -> ThreeByteMaps.MAP_3A[opcode];
        };
    }

    /** An undecodable VEX prefix: objdump skips one byte. */
    private static final class BadVex extends RuntimeException {
        BadVex() {
            super(null, null, false, false);
        }
    }

    private void readModrm() {
        int m = next();
        hasModrm = true;
        mod = m >> 6;
        reg = (m >> 3) & 7;
        rm = m & 7;
    }

    /** Follows the choices of the opcode tables down to an instruction form (or BAD). */
    private Entry resolve(Entry e) {
        while (true) {
            switch (e) {
                case Entry.ByReg r -> e = r.byReg()[reg];
                case Entry.ByMod m -> e = mod == 3 ? m.register() : m.memory();
                case Entry.ByRm r -> e = r.byRm()[rm];
                case Entry.ByMode m -> e = mode == 64 ? m.long64() : m.legacy();
                case Entry.ByW w -> e = rexW() ? w.w1() : w.w0();
                case Entry.ByL l -> e = vexL ? l.l1() : l.l0();
                case Entry.ByPrefix p -> e = byPrefix(p);
                default -> {
                    return e;
                }
            }
        }
    }

    /** The mandatory prefix: VEX.pp, else the last of F2/F3, else 66 (SDM Vol. 2 §2.1.2). */
    private Entry byPrefix(Entry.ByPrefix p) {
        Prefixes px = prefixes;
        if (!vex) {
            px.mandatory = px.rep != 0 ? px.rep : px.opsize ? 0x66 : 0;
        }
        Entry chosen = switch (px.mandatory) {
            case 0x66 -> p.p66();
            case 0xf3 -> p.pF3();
            case 0xf2 -> p.pF2();
            default -> p.none();
        };
        return chosen;
    }

    private boolean validInMode(Op found) {
        return !(mode == 64 && found.has(Entry.I64)) && !(mode != 64 && found.has(Entry.O64));
    }

    /** 90: NOP, PAUSE with F3, XCHG with REX.B or 66 (SDM Vol. 2 "NOP", "PAUSE", "XCHG"). */
    private DecodedInstruction nop() {
        String text = "nop";
        if (prefixes.rep == 0xf3) {
            prefixes.mandatory = 0xf3;
            text = "pause";
        } else if (prefixes.rex(Prefixes.REX_B) || prefixes.opsize) {
            if (prefixes.opsize && (prefixes.rex & Prefixes.REX_W) != 0) {
                prefixes.opsizeUsed = true;
            }
            op = (Op) OneByteMap.MAP[0x91];
            return render();
        }
        return new DecodedInstruction(address, pos - start, prefixes.unusedNames(false) + text);
    }

    /** The x87 escapes D8..DF (SDM Vol. 2 §A.4). */
    private DecodedInstruction x87() {
        int escape = (code[pos - 1] & 0xff) - 0xd8;
        opcodeEnd = pos;
        readModrm();
        adsize = addressSize();
        List<String> ops = new ArrayList<>();
        String mnemonic;
        if (mod != 3) {
            mnemonic = X87Map.MEMORY[escape][reg];
            if (mnemonic == null) {
                mnemonic = "(bad)";
            }
            ops.add(operands.memory());
        } else {
            X87Map.RegisterForm form = X87Map.register(escape, reg, rm);
            if (form == null) {
                return bad(pos);
            }
            mnemonic = form.mnemonic();
            switch (form.form()) {
                case STI -> ops.add(Registers.st(rm));
                case STI_ST -> {
                    ops.add(Registers.st(rm));
                    ops.add("%st");
                }
                case ST_STI -> {
                    ops.add("%st");
                    ops.add(Registers.st(rm));
                }
                case AX -> ops.add("%ax");
                case NONE -> {
                }
            }
        }
        if (mod != 3 && prefixes.opsize && (escape == 1 || escape == 5) && (reg == 4 || reg == 6)) {
            prefixes.opsizeUsed = true; // 16/32-bit FPU environment and state formats (SDM Vol. 1 §8.1.10)
            mnemonic += mode == 16 ? "l" : "s";
        }
        if (prefixes.fwait && mnemonic.startsWith("fn") && !mnemonic.equals("fnop")) {
            mnemonic = "f" + mnemonic.substring(2); // FWAIT + FNSTSW is FSTSW (SDM Vol. 2 "FSTSW")
        }
        return finish(mnemonic, ops);
    }

    int addressSize() {
        boolean override = prefixes.adsize;
        return switch (mode) {
            case 64 -> override ? 32 : 64;
            case 32 -> override ? 16 : 32;
            default -> override ? 32 : 16;
        };
    }

    /** The operand size of the current form (SDM Vol. 1 §3.6 and Vol. 2 Table A-1 d64/f64). */
    private void chooseOperandSize() {
        Prefixes px = prefixes;
        boolean sizePrefix = px.opsize && px.mandatory != 0x66;
        opsizeFromPrefix = false;
        opsizeFromRexW = false;
        if (mode == 64 && (op.has(Entry.D64) || op.has(Entry.F64))) {
            if ((px.rex & Prefixes.REX_W) != 0 && !vex) {
                opsizeValue = 64; // REX.W is implied; objdump reports it as unused
            } else if (sizePrefix) {
                opsizeFromPrefix = true;
                opsizeValue = 16;
            } else {
                opsizeValue = 64;
            }
            return;
        }
        if (mode == 64 && !vex && (px.rex & Prefixes.REX_W) != 0) {
            opsizeFromRexW = true;
            opsizeValue = 64;
        } else if (sizePrefix) {
            opsizeFromPrefix = true;
            opsizeValue = mode == 16 ? 32 : 16;
        } else {
            opsizeValue = mode == 16 ? 16 : 32;
        }
    }

    private DecodedInstruction render() {
        adsize = addressSize();
        chooseOperandSize();
        if (op.has(Entry.NOTRACK) && prefixes.lastSegmentByte() == 0x3e) {
            prefixes.notrack = true; // CET: 3E on an indirect branch is NOTRACK, not DS
            prefixes.segment = -1;
        }
        if (hasModrm && mod != 3 && usesMemory(op)) {
            operands.parseMemory();
        }
        List<String> ops = new ArrayList<>();
        for (Operand o : op.operands()) {
            String text = operands.format(o);
            if (text != null) {
                ops.add(text);
            }
        }
        String mnemonic = MnemonicRenderer.render(this, ops);
        if (!op.has(Entry.INTEL_ORDER)) {
            Collections.reverse(ops);
        }
        return finish(mnemonic, ops);
    }

    private static boolean usesMemory(Op op) {
        for (Operand o : op.operands()) {
            switch (o.kind()) {
                case E, M, W, Q, BNDM -> {
                    return true;
                }
                default -> {
                }
            }
        }
        return false;
    }

    private DecodedInstruction finish(String mnemonic, List<String> ops) {
        StringBuilder sb = new StringBuilder(prefixes.unusedNames(false)).append(mnemonic);
        if (!ops.isEmpty()) {
            while (sb.length() < 6) {
                sb.append(' ');
            }
            sb.append(' ').append(String.join(",", ops));
        }
        operands.appendComment(sb);
        return new DecodedInstruction(address, pos - start, sb.toString());
    }

    /** An invalid encoding: objdump names every prefix, prints (bad) and skips {@code upTo - start} bytes. */
    private DecodedInstruction bad(int upTo) {
        pos = Math.max(start + 1, Math.min(upTo, end));
        return new DecodedInstruction(address, pos - start, prefixes.unusedNames(true) + "(bad)");
    }

    /** Entry point that also maps an undecodable VEX prefix to objdump's one-byte (bad). */
    DecodedInstruction decodeOrBadVex() {
        try {
            return decode();
        } catch (BadVex e) {
            return bad(afterPrefixes + 1);
        }
    }
}
