package dev.jvisor.emu.disasm;

import dev.jvisor.emu.disasm.Entry.Op;
import dev.jvisor.emu.disasm.Operand.Kind;
import dev.jvisor.emu.disasm.Operand.Size;
import java.util.ArrayList;
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
    int opsize;
    int adsize;
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

    long readSigned(int bytes) {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) next() << (8 * i);
        }
        int shift = 64 - 8 * bytes;
        return (v << shift) >> shift;
    }

    boolean rexW() {
        return vex ? vexW : prefixes.rex(Prefixes.REX_W);
    }

    DecodedInstruction decode() {
        try {
            return decodeInstruction();
        } catch (Truncated t) {
            return new DecodedInstruction(address, Math.max(1, end - start), "(bad)");
        }
    }

    private DecodedInstruction decodeInstruction() {
        while (pos < end) {
            int b = code[pos] & 0xff;
            if (Prefixes.isLegacyPrefix(b) || (mode == 64 && b >= 0x40 && b <= 0x4f)) {
                prefixes.add(b);
                pos++;
            } else {
                break;
            }
        }
        afterPrefixes = pos;
        Entry entry = opcodeEntry();
        if (entry == null) {
            return x87();
        }
        opcodeEnd = pos;
        if (!vex && entry == OneByteMap.MAP[0x90] && code[opcodeEnd - 1] == (byte) 0x90) {
            return nop();
        }
        if (Entry.needsModrm(entry)) {
            readModrm();
        }
        Entry resolved = resolve(entry);
        if (!(resolved instanceof Op found) || !validInMode(found)) {
            return bad(opcodeEnd);
        }
        if (vex && !vexCapable(found)) {
            return bad(opcodeEnd);
        }
        op = found;
        try {
            return render();
        } catch (BadOperand e) {
            return bad(afterPrefixes + 1);
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
        if ((b == 0xc4 || b == 0xc5) && (mode == 64 || (pos < end && (code[pos] & 0xc0) == 0xc0))) {
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
            b2 = next();
            vexW = (b2 & 0x80) != 0;
        }
        if (mode != 64) {
            rexBits = 0;
        }
        prefixes.rex = rexBits | (rexBits != 0 ? Prefixes.REX_PRESENT : 0);
        vexRegister = (~b2 >> 3) & (mode == 64 ? 15 : 7);
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
            case 1 -> opcode == 0x77 ? (prefixes.mandatory == 0 ? Tables.op(vexL ? "vzeroall" : "vzeroupper")
                    : Entry.BAD) : TwoByteMap.MAP[opcode];
            case 2 -> ThreeByteMaps.MAP_38[opcode];
            case 3 -> ThreeByteMaps.MAP_3A[opcode];
            default -> Entry.BAD;
        };
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
        return switch (px.mandatory) {
            case 0x66 -> p.p66();
            case 0xf3 -> p.pF3();
            case 0xf2 -> p.pF2();
            default -> p.none();
        };
    }

    private boolean validInMode(Op found) {
        return !(mode == 64 && found.has(Entry.I64)) && !(mode != 64 && found.has(Entry.O64));
    }

    /**
     * Whether a table form has a VEX encoding: the VEX-only forms (mnemonics written with a leading
     * "v" or "~"), and SSE forms on XMM registers (not MMX, not the implicit-XMM0 and SHA forms).
     */
    private static boolean vexCapable(Op found) {
        String m = found.mnemonic();
        if (m.startsWith("v") || m.startsWith("~")) {
            return true;
        }
        if (m.startsWith("sha")) {
            return false;
        }
        boolean vector = false;
        for (Operand o : found.operands()) {
            switch (o.kind()) {
                case P, Q, N, XMM0 -> {
                    return false;
                }
                case V, W, U, H -> vector = true;
                default -> {
                }
            }
        }
        return vector;
    }

    /** 90: NOP, PAUSE with F3, XCHG with REX.B or 66 (SDM Vol. 2 "NOP", "PAUSE", "XCHG"). */
    private DecodedInstruction nop() {
        if (prefixes.rex(Prefixes.REX_B) || prefixes.opsize) {
            op = (Op) OneByteMap.MAP[0x91];
            return render();
        }
        String text = "nop";
        if (prefixes.rep == 0xf3) {
            prefixes.mandatory = 0xf3;
            text = "pause";
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
                return bad(opcodeEnd);
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
                    ops.add(Registers.st(0));
                }
                case ST_STI -> {
                    ops.add(Registers.st(0));
                    ops.add(Registers.st(rm));
                }
                case AX -> ops.add("%ax");
                case NONE -> {
                }
            }
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
    private int operandSize() {
        Prefixes px = prefixes;
        boolean sizePrefix = px.opsize && px.mandatory != 0x66;
        if (mode == 64 && (op.has(Entry.D64) || op.has(Entry.F64))) {
            if ((px.rex & Prefixes.REX_W) != 0 && !vex) {
                return 64; // REX.W is implied; objdump reports it as unused
            }
            if (sizePrefix) {
                px.opsizeUsed = true;
                return 16;
            }
            return 64;
        }
        if (mode == 64 && rexWForSize()) {
            return 64;
        }
        if (sizePrefix) {
            px.opsizeUsed = true;
            return mode == 16 ? 32 : 16;
        }
        return mode == 16 ? 16 : 32;
    }

    /** REX.W as an operand-size selector: only forms with v/y/z operands or size-chosen names use it. */
    private boolean rexWForSize() {
        if (vex) {
            return false;
        }
        for (Operand o : op.operands()) {
            if (o.size() == Size.v || o.size() == Size.z) {
                return prefixes.rex(Prefixes.REX_W);
            }
        }
        String m = op.mnemonic();
        if (m.contains("{o:") || m.contains("{D}") || m.contains("{A}")) {
            return prefixes.rex(Prefixes.REX_W);
        }
        return false;
    }

    private DecodedInstruction render() {
        adsize = addressSize();
        opsize = operandSize();
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
            java.util.Collections.reverse(ops);
        }
        return finish(mnemonic, ops);
    }

    private static boolean usesMemory(Op op) {
        for (Operand o : op.operands()) {
            switch (o.kind()) {
                case E, M, W, Q -> {
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
}
