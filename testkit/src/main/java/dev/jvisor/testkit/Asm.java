package dev.jvisor.testkit;

import static dev.jvisor.testkit.Encoder.OSZ;
import static dev.jvisor.testkit.Encoder.REXW;

/**
 * A small programmatic x86 assembler for test guests, in 16-, 32- and 64-bit modes, with labels and
 * forward references. Encodings follow the Intel SDM Vol. 2 and, where several are valid, the one
 * GNU as picks (so tests can compare bytes with {@code as}).
 *
 * <pre>{@code
 * Asm a = new Asm(16, 0x7c00);
 * Label loop = a.here();
 * a.mov(Reg.AL, 'x').out(0x3f8, Reg.AL).jmp(loop);
 * byte[] code = a.assemble();
 * }</pre>
 *
 * <p>Operand order is Intel's: destination first. Operand sizes come from registers, or from
 * {@link Mem#bytePtr()} etc. when only memory and an immediate are involved. Backward jumps to
 * labels in range use the short form; forward jumps use the near form unless {@link #jmpShort} or
 * {@link #jShort} is asked for. Bad operands throw {@link IllegalArgumentException}, operands
 * invalid in the current mode {@link IllegalStateException}. Not thread-safe.
 */
public final class Asm extends AsmInteger {
    private static final int ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

    /** An assembler for code at guest address 0. */
    public Asm(int bits) {
        this(bits, 0);
    }

    /** An assembler whose first byte will sit at guest address {@code origin}. */
    public Asm(int bits, long origin) {
        super(bits, origin);
    }

    // ---- prefixes -----------------------------------------------------------------------------

    /** A REP prefix (F3) for the next string instruction. */
    public Asm rep() {
        enc.setPendingPrefix(0xf3);
        return this;
    }

    /** A LOCK prefix (F0) for the next instruction. */
    public Asm lock() {
        enc.setPendingPrefix(0xf0);
        return this;
    }

    // ---- data movement ------------------------------------------------------------------------

    /** MOV r/m, r | r, r/m (88/89/8A/8B, or the A0–A3 moffs forms outside 64-bit mode). */
    public Asm mov(Operand dst, Operand src) {
        if (dst instanceof Reg d && src instanceof Reg s) {
            int bits = sameSize(d, s);
            enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x88 : 0x89), s.code(), s, d, 0, 0);
        } else if (dst instanceof Reg d && src instanceof Mem m) {
            int bits = sameSize(d, m);
            if (!moffs(d, m, bits == 8 ? 0xa0 : 0xa1)) {
                enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x8a : 0x8b), d.code(), d, m, 0, 0);
            }
        } else if (dst instanceof Mem m && src instanceof Reg s) {
            int bits = sameSize(s, m);
            if (!moffs(s, m, bits == 8 ? 0xa2 : 0xa3)) {
                enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x88 : 0x89), s.code(), s, m, 0, 0);
            }
        } else {
            throw new IllegalArgumentException("mov cannot move memory to memory");
        }
        return this;
    }

    /** MOV r, imm (B0+r / B8+r; for 64-bit registers C7 /0 when the value fits 32 signed bits). */
    public Asm mov(Reg dst, long imm) {
        int bits = dst.bits();
        if (bits == 64 && Imm.fitsS32(imm)) {
            enc.modrm(REXW, op(0xc7), 0, null, dst, 4, imm);
            return this;
        }
        long v = bits == 64 ? imm : Imm.normalize(imm, bits, "mov " + dst);
        enc.begin(enc.sizeFlags(bits), dst, bits == 8 ? 0xb0 : 0xb8);
        enc.imm(v, bits / 8);
        enc.end();
        return this;
    }

    /** MOV r, address-of-label (B8+r with an absolute immediate as wide as the register). */
    public Asm mov(Reg dst, Label address) {
        int bits = dst.bits();
        if (bits == 8) {
            throw new IllegalArgumentException("a label address does not fit an 8-bit register");
        }
        enc.begin(enc.sizeFlags(bits), dst, 0xb8);
        buf.emitReference(address, CodeBuffer.Kind.ABSOLUTE, bits / 8, 0);
        enc.end();
        return this;
    }

    /** MOV r/m, imm (C6 /0 ib, C7 /0 iw/id; 64-bit stores take a sign-extended 32-bit immediate). */
    public Asm mov(Mem dst, long imm) {
        int bits = requireSize(dst, "mov");
        long v = Imm.normalize(imm, bits, "mov");
        enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0xc6 : 0xc7), 0, null, dst, Imm.izBytes(bits), v);
        return this;
    }

    /** MOV Sreg, r/m16 (8E /r). Loading CS this way is invalid (#UD) and rejected. */
    public Asm mov(SegReg dst, Operand src) {
        if (dst == SegReg.CS) {
            throw new IllegalArgumentException("mov cannot load CS (use a far jump)");
        }
        checkSegmentOperand(src);
        enc.modrm(0, op(0x8e), dst.code(), null, src, 0, 0);
        return this;
    }

    /** MOV r/m, Sreg (8C /r): a register destination takes its own width, memory is 16 bits. */
    public Asm mov(Operand dst, SegReg src) {
        checkSegmentOperand(dst);
        int flags = dst instanceof Reg r ? enc.sizeFlags(r.bits()) : 0;
        enc.modrm(flags, op(0x8c), src.code(), null, dst, 0, 0);
        return this;
    }

    /** MOV CRn, r32/r64 (0F 22 /r). */
    public Asm mov(CtrlReg dst, Reg src) {
        checkControlOperand(src);
        enc.modrm(0, op(0x0f, 0x22), dst.code(), null, src, 0, 0);
        return this;
    }

    /** MOV r32/r64, CRn (0F 20 /r). */
    public Asm mov(Reg dst, CtrlReg src) {
        checkControlOperand(dst);
        enc.modrm(0, op(0x0f, 0x20), src.code(), null, dst, 0, 0);
        return this;
    }

    /** MOVZX r, r/m8 | r/m16 (0F B6 / 0F B7). */
    public Asm movzx(Reg dst, Operand src) {
        return extend(dst, src, 0xb6, "movzx");
    }

    /** MOVSX r, r/m8 | r/m16 (0F BE / 0F BF), or MOVSXD r64, r/m32 (REX.W 63). */
    public Asm movsx(Reg dst, Operand src) {
        if (sizeOf(src) == 32 && dst.bits() == 64) {
            enc.modrm(REXW, op(0x63), dst.code(), dst, src, 0, 0);
            return this;
        }
        return extend(dst, src, 0xbe, "movsx");
    }

    private Asm extend(Reg dst, Operand src, int opcode8, String name) {
        int from = requireSize(src, name);
        if (from != 8 && from != 16 || dst.bits() <= from) {
            throw new IllegalArgumentException(name + " needs an 8- or 16-bit source narrower than " + dst);
        }
        enc.modrm(enc.sizeFlags(dst.bits()), op(0x0f, opcode8 + (from == 16 ? 1 : 0)), dst.code(), dst, src, 0, 0);
        return this;
    }

    /** LEA r, m (8D /r). */
    public Asm lea(Reg dst, Mem src) {
        if (dst.bits() == 8) {
            throw new IllegalArgumentException("lea needs a 16-, 32- or 64-bit destination");
        }
        enc.modrm(enc.sizeFlags(dst.bits()), op(0x8d), dst.code(), dst, src, 0, 0);
        return this;
    }

    // ---- arithmetic and logic -----------------------------------------------------------------

    public Asm add(Operand dst, Operand src) {
        return alu(ADD, dst, src);
    }

    public Asm add(Operand dst, long imm) {
        return alu(ADD, dst, imm);
    }

    public Asm or(Operand dst, Operand src) {
        return alu(OR, dst, src);
    }

    public Asm or(Operand dst, long imm) {
        return alu(OR, dst, imm);
    }

    public Asm adc(Operand dst, Operand src) {
        return alu(ADC, dst, src);
    }

    public Asm adc(Operand dst, long imm) {
        return alu(ADC, dst, imm);
    }

    public Asm sbb(Operand dst, Operand src) {
        return alu(SBB, dst, src);
    }

    public Asm sbb(Operand dst, long imm) {
        return alu(SBB, dst, imm);
    }

    public Asm and(Operand dst, Operand src) {
        return alu(AND, dst, src);
    }

    public Asm and(Operand dst, long imm) {
        return alu(AND, dst, imm);
    }

    public Asm sub(Operand dst, Operand src) {
        return alu(SUB, dst, src);
    }

    public Asm sub(Operand dst, long imm) {
        return alu(SUB, dst, imm);
    }

    public Asm xor(Operand dst, Operand src) {
        return alu(XOR, dst, src);
    }

    public Asm xor(Operand dst, long imm) {
        return alu(XOR, dst, imm);
    }

    public Asm cmp(Operand dst, Operand src) {
        return alu(CMP, dst, src);
    }

    public Asm cmp(Operand dst, long imm) {
        return alu(CMP, dst, imm);
    }

    /** The eight classic ALU operations, register/memory forms (SDM Vol. 2 opcode map rows 0–3). */
    private Asm alu(int aluOp, Operand dst, Operand src) {
        if (src instanceof Reg s) {
            int bits = sameSize(s, dst);
            enc.modrm(enc.sizeFlags(bits), op(aluOp * 8 + (bits == 8 ? 0 : 1)), s.code(), s, dst, 0, 0);
        } else if (dst instanceof Reg d) {
            int bits = sameSize(d, src);
            enc.modrm(enc.sizeFlags(bits), op(aluOp * 8 + (bits == 8 ? 2 : 3)), d.code(), d, src, 0, 0);
        } else {
            throw new IllegalArgumentException("an ALU instruction cannot take two memory operands");
        }
        return this;
    }

    /** ALU with an immediate: 83 /op ib when it fits, the short accumulator form, or 80/81 /op. */
    private Asm alu(int aluOp, Operand dst, long imm) {
        int bits = requireSize(dst, "alu");
        long v = Imm.normalize(imm, bits, "alu");
        int flags = enc.sizeFlags(bits);
        boolean accumulator = dst instanceof Reg r && r.code() == 0 && !r.isHighByte();
        if (bits == 8) {
            if (accumulator) {
                enc.begin(flags, null, aluOp * 8 + 4);
                enc.imm(v, 1);
                enc.end();
            } else {
                enc.modrm(flags, op(0x80), aluOp, null, dst, 1, v);
            }
        } else if (Imm.fitsS8(v)) {
            enc.modrm(flags, op(0x83), aluOp, null, dst, 1, v);
        } else if (accumulator) {
            enc.begin(flags, null, aluOp * 8 + 5);
            enc.imm(v, Imm.izBytes(bits));
            enc.end();
        } else {
            enc.modrm(flags, op(0x81), aluOp, null, dst, Imm.izBytes(bits), v);
        }
        return this;
    }

    /** TEST r/m, r (84/85). */
    public Asm test(Operand dst, Reg src) {
        int bits = sameSize(src, dst);
        enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x84 : 0x85), src.code(), src, dst, 0, 0);
        return this;
    }

    /** TEST r/m, imm (A8/A9 for the accumulator, else F6/F7 /0). */
    public Asm test(Operand dst, long imm) {
        int bits = requireSize(dst, "test");
        long v = Imm.normalize(imm, bits, "test");
        int flags = enc.sizeFlags(bits);
        if (dst instanceof Reg r && r.code() == 0 && !r.isHighByte()) {
            enc.begin(flags, null, bits == 8 ? 0xa8 : 0xa9);
            enc.imm(v, Imm.izBytes(bits));
            enc.end();
        } else {
            enc.modrm(flags, op(bits == 8 ? 0xf6 : 0xf7), 0, null, dst, Imm.izBytes(bits), v);
        }
        return this;
    }

    /** INC r/m (FE/FF /0; 40+r outside 64-bit mode, where 40–4F are REX prefixes). */
    public Asm inc(Operand dst) {
        return incDec(dst, 0, 0x40);
    }

    /** DEC r/m (FE/FF /1; 48+r outside 64-bit mode). */
    public Asm dec(Operand dst) {
        return incDec(dst, 1, 0x48);
    }

    private Asm incDec(Operand dst, int ext, int shortForm) {
        int bits = requireSize(dst, "inc/dec");
        if (dst instanceof Reg r && bits != 8 && enc.mode() != 64) {
            enc.begin(enc.sizeFlags(bits), r, shortForm);
            enc.end();
        } else {
            enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0xfe : 0xff), ext, null, dst, 0, 0);
        }
        return this;
    }

    public Asm not(Operand dst) {
        return group3(dst, 2);
    }

    public Asm neg(Operand dst) {
        return group3(dst, 3);
    }

    /** MUL r/m: unsigned multiply of the accumulator. */
    public Asm mul(Operand src) {
        return group3(src, 4);
    }

    /** IMUL r/m: signed one-operand multiply of the accumulator. */
    public Asm imul(Operand src) {
        return group3(src, 5);
    }

    /** DIV r/m: unsigned divide of (E/R)DX:(E/R)AX. */
    public Asm div(Operand src) {
        return group3(src, 6);
    }

    /** IDIV r/m: signed divide. */
    public Asm idiv(Operand src) {
        return group3(src, 7);
    }

    private Asm group3(Operand operand, int ext) {
        int bits = requireSize(operand, "unary");
        enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0xf6 : 0xf7), ext, null, operand, 0, 0);
        return this;
    }

    /** IMUL r, r/m (0F AF /r). */
    public Asm imul(Reg dst, Operand src) {
        int bits = sameSize(dst, src);
        enc.modrm(enc.sizeFlags(bits), op(0x0f, 0xaf), dst.code(), dst, src, 0, 0);
        return this;
    }

    /** IMUL r, r/m, imm (6B ib / 69 iz). */
    public Asm imul(Reg dst, Operand src, long imm) {
        int bits = sameSize(dst, src);
        long v = Imm.normalize(imm, bits, "imul");
        boolean short8 = Imm.fitsS8(v);
        enc.modrm(enc.sizeFlags(bits), op(short8 ? 0x6b : 0x69), dst.code(), dst, src, short8 ? 1 : Imm.izBytes(bits), v);
        return this;
    }

    public Asm rol(Operand dst, int count) {
        return group2(dst, 0, count);
    }

    public Asm ror(Operand dst, int count) {
        return group2(dst, 1, count);
    }

    public Asm shl(Operand dst, int count) {
        return group2(dst, 4, count);
    }

    public Asm shr(Operand dst, int count) {
        return group2(dst, 5, count);
    }

    public Asm sar(Operand dst, int count) {
        return group2(dst, 7, count);
    }

    /** SHL r/m, CL. */
    public Asm shl(Operand dst, Reg cl) {
        return group2Cl(dst, 4, cl);
    }

    /** SHR r/m, CL. */
    public Asm shr(Operand dst, Reg cl) {
        return group2Cl(dst, 5, cl);
    }

    /** SAR r/m, CL. */
    public Asm sar(Operand dst, Reg cl) {
        return group2Cl(dst, 7, cl);
    }

    /** SETcc r/m8 (0F 90+cc /0). */
    public Asm set(Cond cond, Operand dst) {
        if (requireSize(dst, "setcc") != 8) {
            throw new IllegalArgumentException("setcc writes a byte");
        }
        enc.modrm(0, op(0x0f, 0x90 + cond.code()), 0, null, dst, 0, 0);
        return this;
    }

    /** CMOVcc r, r/m (0F 40+cc /r). */
    public Asm cmov(Cond cond, Reg dst, Operand src) {
        int bits = sameSize(dst, src);
        if (bits == 8) {
            throw new IllegalArgumentException("cmov has no byte form");
        }
        enc.modrm(enc.sizeFlags(bits), op(0x0f, 0x40 + cond.code()), dst.code(), dst, src, 0, 0);
        return this;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private boolean moffs(Reg r, Mem m, int opcode) {
        if (enc.mode() == 64 || r.code() != 0 || r.isHighByte() || m.base() != null || m.index() != null
                || m.ripTarget() != null) {
            return false;
        }
        int addrBits = enc.addressBits(m);
        enc.begin(enc.sizeFlags(r.bits()), addrBits != enc.mode(), m.segment(), null, opcode);
        enc.imm(m.disp(), addrBits / 8);
        enc.end();
        return true;
    }

    private static void checkSegmentOperand(Operand o) {
        if (o instanceof Reg r && r.bits() == 8 || o instanceof Mem m && m.bits() != 0 && m.bits() != 16) {
            throw new IllegalArgumentException("segment registers move to and from r16/r32/r64 or m16, not " + o);
        }
    }

    private void checkControlOperand(Reg r) {
        int want = enc.mode() == 64 ? 64 : 32;
        if (r.bits() != want) {
            throw new IllegalArgumentException("control registers move to and from " + want + "-bit registers here, not " + r);
        }
    }
}
