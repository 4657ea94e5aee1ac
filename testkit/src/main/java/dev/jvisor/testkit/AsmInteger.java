package dev.jvisor.testkit;

import static dev.jvisor.testkit.Encoder.OSZ;
import static dev.jvisor.testkit.Encoder.REXW;

/**
 * The rest of the integer instruction set for {@link Asm}: bit tests and scans, double shifts,
 * rotates through carry, exchanges, sign extensions of the accumulator, flag transfers, the
 * compare-string instructions, counted branches, and a raw ModRM form for opcodes (SSE and others)
 * this assembler has no method for. Opcodes are from the Intel SDM Vol. 2 instruction pages; where
 * several encodings exist, the one GNU as picks.
 */
abstract sealed class AsmInteger extends AsmControl permits Asm {
    AsmInteger(int bits, long origin) {
        super(bits, origin);
    }

    // ---- prefixes -----------------------------------------------------------------------------

    /** A REPE/REPZ prefix (F3) for the next CMPS or SCAS. */
    public Asm repe() {
        enc.setPendingPrefix(0xf3);
        return self();
    }

    /** A REPNE/REPNZ prefix (F2) for the next CMPS or SCAS. */
    public Asm repne() {
        enc.setPendingPrefix(0xf2);
        return self();
    }

    // ---- bit tests and scans ------------------------------------------------------------------

    /** BT r/m, r (0F A3): CF = the selected bit; a memory operand takes the whole signed offset. */
    public Asm bt(Operand base, Reg offset) {
        return bitTest(base, offset, 0xa3);
    }

    /** BTS r/m, r (0F AB). */
    public Asm bts(Operand base, Reg offset) {
        return bitTest(base, offset, 0xab);
    }

    /** BTR r/m, r (0F B3). */
    public Asm btr(Operand base, Reg offset) {
        return bitTest(base, offset, 0xb3);
    }

    /** BTC r/m, r (0F BB). */
    public Asm btc(Operand base, Reg offset) {
        return bitTest(base, offset, 0xbb);
    }

    /** BT r/m, imm8 (0F BA /4). */
    public Asm bt(Operand base, int bit) {
        return bitTestImm(base, bit, 4);
    }

    /** BTS r/m, imm8 (0F BA /5). */
    public Asm bts(Operand base, int bit) {
        return bitTestImm(base, bit, 5);
    }

    /** BTR r/m, imm8 (0F BA /6). */
    public Asm btr(Operand base, int bit) {
        return bitTestImm(base, bit, 6);
    }

    /** BTC r/m, imm8 (0F BA /7). */
    public Asm btc(Operand base, int bit) {
        return bitTestImm(base, bit, 7);
    }

    private Asm bitTest(Operand base, Reg offset, int opcode) {
        int bits = sameSize(offset, base);
        requireWordOrWider(bits, "bt");
        enc.modrm(enc.sizeFlags(bits), op(0x0f, opcode), offset.code(), offset, base, 0, 0);
        return self();
    }

    private Asm bitTestImm(Operand base, int bit, int ext) {
        int bits = requireSize(base, "bt");
        requireWordOrWider(bits, "bt");
        enc.modrm(enc.sizeFlags(bits), op(0x0f, 0xba), ext, null, base, 1, Imm.normalize(bit, 8, "bt"));
        return self();
    }

    /** BSF r, r/m (0F BC): index of the lowest set bit. */
    public Asm bsf(Reg dst, Operand src) {
        return twoByteRegRm(dst, src, 0xbc, "bsf");
    }

    /** BSR r, r/m (0F BD): index of the highest set bit. */
    public Asm bsr(Reg dst, Operand src) {
        return twoByteRegRm(dst, src, 0xbd, "bsr");
    }

    private Asm twoByteRegRm(Reg dst, Operand src, int opcode, String name) {
        int bits = sameSize(dst, src);
        requireWordOrWider(bits, name);
        enc.modrm(enc.sizeFlags(bits), op(0x0f, opcode), dst.code(), dst, src, 0, 0);
        return self();
    }

    /** BSWAP r32/r64 (0F C8+r). The 16-bit form is undefined (SDM) and not offered. */
    public Asm bswap(Reg r) {
        if (r.bits() != 32 && r.bits() != 64) {
            throw new IllegalArgumentException("bswap takes a 32- or 64-bit register, not " + r);
        }
        enc.begin(enc.sizeFlags(r.bits()), r, 0x0f, 0xc8);
        enc.end();
        return self();
    }

    // ---- shifts and rotates -------------------------------------------------------------------

    /** RCL r/m, imm (D0/D1 /2 for one, else C0/C1 /2 ib). */
    public Asm rcl(Operand dst, int count) {
        return group2(dst, 2, count);
    }

    /** RCR r/m, imm (group 2 /3). */
    public Asm rcr(Operand dst, int count) {
        return group2(dst, 3, count);
    }

    /** ROL r/m, CL. */
    public Asm rol(Operand dst, Reg cl) {
        return group2Cl(dst, 0, cl);
    }

    /** ROR r/m, CL. */
    public Asm ror(Operand dst, Reg cl) {
        return group2Cl(dst, 1, cl);
    }

    /** RCL r/m, CL. */
    public Asm rcl(Operand dst, Reg cl) {
        return group2Cl(dst, 2, cl);
    }

    /** RCR r/m, CL. */
    public Asm rcr(Operand dst, Reg cl) {
        return group2Cl(dst, 3, cl);
    }

    /**
     * Group 2 by an immediate: D0/D1 for a count of one, else C0/C1 ib. {@code ext} is the ModRM
     * reg field: 0 ROL, 1 ROR, 2 RCL, 3 RCR, 4 SHL, 5 SHR, 7 SAR (SDM Vol. 2 Table A-6).
     */
    final Asm group2(Operand dst, int ext, int count) {
        int bits = requireSize(dst, "shift");
        if (count < 0 || count > 255) {
            throw new IllegalArgumentException("shift count must be 0..255: " + count);
        }
        int base = bits == 8 ? 0 : 1;
        if (count == 1) {
            enc.modrm(enc.sizeFlags(bits), op(0xd0 + base), ext, null, dst, 0, 0);
        } else {
            enc.modrm(enc.sizeFlags(bits), op(0xc0 + base), ext, null, dst, 1, count);
        }
        return self();
    }

    /** Group 2 by CL (D2/D3). */
    final Asm group2Cl(Operand dst, int ext, Reg cl) {
        if (cl != Reg.CL) {
            throw new IllegalArgumentException("variable shifts count in CL, not " + cl);
        }
        int bits = requireSize(dst, "shift");
        enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0xd2 : 0xd3), ext, null, dst, 0, 0);
        return self();
    }

    /** SHLD r/m, r, imm8 (0F A4). */
    public Asm shld(Operand dst, Reg src, int count) {
        return doubleShift(dst, src, 0xa4, count);
    }

    /** SHRD r/m, r, imm8 (0F AC). */
    public Asm shrd(Operand dst, Reg src, int count) {
        return doubleShift(dst, src, 0xac, count);
    }

    /** SHLD r/m, r, CL (0F A5). */
    public Asm shld(Operand dst, Reg src, Reg cl) {
        return doubleShiftCl(dst, src, 0xa5, cl);
    }

    /** SHRD r/m, r, CL (0F AD). */
    public Asm shrd(Operand dst, Reg src, Reg cl) {
        return doubleShiftCl(dst, src, 0xad, cl);
    }

    private Asm doubleShift(Operand dst, Reg src, int opcode, int count) {
        int bits = sameSize(src, dst);
        requireWordOrWider(bits, "shld/shrd");
        enc.modrm(enc.sizeFlags(bits), op(0x0f, opcode), src.code(), src, dst, 1, Imm.normalize(count, 8, "shld/shrd"));
        return self();
    }

    private Asm doubleShiftCl(Operand dst, Reg src, int opcode, Reg cl) {
        if (cl != Reg.CL) {
            throw new IllegalArgumentException("variable shifts count in CL, not " + cl);
        }
        int bits = sameSize(src, dst);
        requireWordOrWider(bits, "shld/shrd");
        enc.modrm(enc.sizeFlags(bits), op(0x0f, opcode), src.code(), src, dst, 0, 0);
        return self();
    }

    // ---- exchanges ----------------------------------------------------------------------------

    /**
     * XCHG (86/87 /r; 90+r when one operand is AX/EAX/RAX and the other a register, except
     * {@code xchg eax, eax}, which must zero-extend and so takes 87 /r as GNU as emits it).
     */
    public Asm xchg(Operand a, Operand b) {
        if (a instanceof Reg ra && b instanceof Reg rb) {
            int bits = sameSize(ra, rb);
            Reg acc = isAccumulator(ra) ? ra : isAccumulator(rb) ? rb : null;
            boolean eaxEax = bits == 32 && ra.code() == 0 && rb.code() == 0;
            if (acc != null && bits != 8 && !eaxEax) {
                Reg other = acc == ra ? rb : ra;
                enc.begin(enc.sizeFlags(bits), other, 0x90);
                enc.end();
                return self();
            }
            enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x86 : 0x87), rb.code(), rb, ra, 0, 0);
            return self();
        }
        Reg r = a instanceof Reg ra ? ra : b instanceof Reg rb ? rb : null;
        if (r == null) {
            throw new IllegalArgumentException("xchg cannot exchange two memory operands");
        }
        Operand m = r == a ? b : a;
        int bits = sameSize(r, m);
        enc.modrm(enc.sizeFlags(bits), op(bits == 8 ? 0x86 : 0x87), r.code(), r, m, 0, 0);
        return self();
    }

    private static boolean isAccumulator(Reg r) {
        return r.code() == 0 && r.bits() != 8;
    }

    /** XADD r/m, r (0F C0/C1). */
    public Asm xadd(Operand dst, Reg src) {
        int bits = sameSize(src, dst);
        enc.modrm(enc.sizeFlags(bits), op(0x0f, bits == 8 ? 0xc0 : 0xc1), src.code(), src, dst, 0, 0);
        return self();
    }

    /** CMPXCHG r/m, r (0F B0/B1): compares with the accumulator. */
    public Asm cmpxchg(Operand dst, Reg src) {
        int bits = sameSize(src, dst);
        enc.modrm(enc.sizeFlags(bits), op(0x0f, bits == 8 ? 0xb0 : 0xb1), src.code(), src, dst, 0, 0);
        return self();
    }

    /** CMPXCHG8B m64 (0F C7 /1). */
    public Asm cmpxchg8b(Mem m) {
        enc.modrm(0, op(0x0f, 0xc7), 1, null, m, 0, 0);
        return self();
    }

    /** CMPXCHG16B m128 (REX.W 0F C7 /1), 64-bit mode only. */
    public Asm cmpxchg16b(Mem m) {
        enc.requireLongMode("cmpxchg16b");
        enc.modrm(REXW, op(0x0f, 0xc7), 1, null, m, 0, 0);
        return self();
    }

    // ---- accumulator conversions and flag transfers -------------------------------------------

    /** CBW: AL sign-extended into AX (66 98 outside 16-bit code). */
    public Asm cbw() {
        enc.simple(enc.sizeFlags(16), 0x98);
        return self();
    }

    /** CWDE: AX sign-extended into EAX. */
    public Asm cwde() {
        enc.simple(enc.sizeFlags(32), 0x98);
        return self();
    }

    /** CDQE: EAX sign-extended into RAX (REX.W 98). */
    public Asm cdqe() {
        enc.simple(enc.sizeFlags(64), 0x98);
        return self();
    }

    /** CWD: AX sign-extended into DX:AX. */
    public Asm cwd() {
        enc.simple(enc.sizeFlags(16), 0x99);
        return self();
    }

    /** CDQ: EAX sign-extended into EDX:EAX. */
    public Asm cdq() {
        enc.simple(enc.sizeFlags(32), 0x99);
        return self();
    }

    /** CQO: RAX sign-extended into RDX:RAX (REX.W 99). */
    public Asm cqo() {
        enc.simple(enc.sizeFlags(64), 0x99);
        return self();
    }

    /** LAHF (9F): AH = SF:ZF:0:AF:0:PF:1:CF. */
    public Asm lahf() {
        enc.simple(0, 0x9f);
        return self();
    }

    /** SAHF (9E): SF, ZF, AF, PF and CF from AH. */
    public Asm sahf() {
        enc.simple(0, 0x9e);
        return self();
    }

    // ---- string compares ----------------------------------------------------------------------

    /** CMPS with element size {@code bits} (A6/A7): compares [RSI] with [RDI]. */
    public Asm cmps(int bits) {
        enc.simple(enc.sizeFlags(bits), bits == 8 ? 0xa6 : 0xa7);
        return self();
    }

    /** SCAS with element size {@code bits} (AE/AF): compares the accumulator with [RDI]. */
    public Asm scas(int bits) {
        enc.simple(enc.sizeFlags(bits), bits == 8 ? 0xae : 0xaf);
        return self();
    }

    // ---- counted branches ---------------------------------------------------------------------

    /** LOOPE rel8 (E1): decrements the count register, jumps while it is not zero and ZF = 1. */
    public Asm loope(Label target) {
        return counted(0xe1, false, target);
    }

    /** LOOPNE rel8 (E0): decrements the count register, jumps while it is not zero and ZF = 0. */
    public Asm loopne(Label target) {
        return counted(0xe0, false, target);
    }

    /** JRCXZ/JECXZ/JCXZ rel8 (E3) on the mode's address-size count register. */
    public Asm jcxz(Label target) {
        return counted(0xe3, false, target);
    }

    /**
     * JECXZ in 64-bit code, or JCXZ in 32-bit code (67 E3): tests the count register of the other
     * address size.
     */
    public Asm jcxzOtherAddressSize(Label target) {
        if (enc.mode() == 16) {
            throw new IllegalStateException("use jcxz in 16-bit code");
        }
        return counted(0xe3, true, target);
    }

    private Asm counted(int opcode, boolean prefix67, Label target) {
        enc.begin(0, prefix67, null, null, opcode);
        buf.emitReference(target, CodeBuffer.Kind.RELATIVE, 1, 0);
        enc.end();
        return self();
    }

    // ---- raw ModRM instructions ---------------------------------------------------------------

    /**
     * Any instruction of the form {@code [66|F2|F3] [REX] opcode ModRM [SIB] [disp] [imm]}, for
     * opcodes without their own method (SSE/SSE2 in particular). {@code prefix} is the mandatory
     * prefix (0 for none, 0x66, 0xF2 or 0xF3); {@code reg} the ModRM reg field (0–15, a register
     * number or an opcode extension); {@code rm} a general register or memory operand, where an
     * XMM register n is passed as {@code Reg.gpr(n, 32)} because both encode the same way.
     * {@code immBytes} is 0 or 1.
     */
    public Asm modrmInstruction(int prefix, boolean rexW, int[] opcode, int reg, Operand rm, int immBytes, long imm) {
        if (prefix != 0 && prefix != 0x66 && prefix != 0xf2 && prefix != 0xf3) {
            throw new IllegalArgumentException(String.format("a mandatory prefix is 66, F2 or F3, not %x", prefix));
        }
        if (reg < 0 || reg > 15 || immBytes < 0 || immBytes > 1 || opcode.length == 0) {
            throw new IllegalArgumentException("reg must be 0..15, the immediate at most one byte, the opcode not empty");
        }
        if (rm instanceof Reg r && r.isHighByte()) {
            throw new IllegalArgumentException("raw instructions take no high-byte registers");
        }
        int flags = (prefix == 0x66 ? OSZ : 0) | (rexW ? REXW : 0);
        if (rexW) {
            enc.requireLongMode("REX.W");
        }
        if (prefix == 0xf2 || prefix == 0xf3) {
            enc.setPendingPrefix(prefix);
        }
        enc.modrm(flags, opcode.clone(), reg, null, rm, immBytes, immBytes == 0 ? 0 : Imm.normalize(imm, 8, "imm8"));
        return self();
    }

    private static void requireWordOrWider(int bits, String what) {
        if (bits == 8) {
            throw new IllegalArgumentException(what + " has no byte form");
        }
    }
}
