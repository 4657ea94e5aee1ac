package dev.jvisor.emu.cpu;

/**
 * Shifts and rotates: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR (group 2, {@code op} = ModRM.reg), and
 * SHLD/SHRD. The count comes from {@code imm}, or from CL when {@code rep} is non-zero.
 *
 * <p>Counts are masked to 5 bits (6 with 64-bit operands); a zero count changes nothing, not even
 * the flags (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR").
 */
final class Shifts {
    static final int ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6, SAR = 7;

    private Shifts() {
    }

    /** Group-2 shift/rotate. {@code rep} != 0 means the count is CL, else {@code imm}. */
    static final class Group2 extends Insn {
        @Override
        void exec(Cpu c) {
            int count = (int) ((rep != 0 ? c.r[1] : imm) & (size == 8 ? 0x3f : 0x1f));
            if (count == 0) {
                if (rm < 0) {
                    // The operand is still accessed (faults happen) even for a zero count.
                    c.mmu.probeWrite(ea(c), size);
                } else if (size == 4) {
                    c.r[rm] &= 0xffff_ffffL; // a 32-bit destination is written, so zero-extended
                }
                return;
            }
            if (rm >= 0) {
                setReg(c, rm, rmHi, size, shift(c, op, size, getReg(c, rm, rmHi, size), count));
            } else {
                long addr = ea(c);
                long v = c.mmu.readForWrite(addr, size);
                c.mmu.write(addr, size, shift(c, op, size, v, count));
            }
        }
    }

    static long shift(Cpu c, int op, int size, long a, int count) {
        int bits = size * 8;
        long m = Insn.mask(size);
        long sb = 1L << (bits - 1);
        switch (op) {
            case SHL, SAL -> {
                long r = count >= 64 ? 0 : (a << count) & m;
                if (count <= bits) {
                    Flags.set(c, Flags.SHL, bits, a, count, r);
                } else {
                    // Count beyond the width (8/16-bit operands): CF and OF undefined; hardware gives 0.
                    Flags.logic(c, bits, r);
                }
                return r;
            }
            case SHR -> {
                long r = count >= 64 ? 0 : (a >>> count) & m;
                if (count <= bits) {
                    Flags.set(c, Flags.SHR, bits, a, count, r);
                } else {
                    Flags.logic(c, bits, r);
                }
                return r;
            }
            case SAR -> {
                long s = Flags.sext(a, bits);
                long r = (s >> Math.min(count, 63)) & m;
                Flags.set(c, Flags.SAR, bits, a, Math.min(count, bits), r);
                return r;
            }
            case ROL -> {
                int n = count % bits;
                long r = n == 0 ? a : ((a << n) | (a >>> (bits - n))) & m;
                boolean cf = (r & 1) != 0;
                boolean of = ((r & sb) != 0) ^ cf;
                setCfOf(c, cf, of);
                return r;
            }
            case ROR -> {
                int n = count % bits;
                long r = n == 0 ? a : ((a >>> n) | (a << (bits - n))) & m;
                boolean cf = (r & sb) != 0;
                boolean of = ((r & sb) != 0) ^ ((r & (sb >>> 1)) != 0);
                setCfOf(c, cf, of);
                return r;
            }
            case RCL -> {
                int n = count % (bits + 1);
                boolean cf = c.cf();
                long r = a;
                for (int i = 0; i < n; i++) {
                    boolean out = (r & sb) != 0;
                    r = ((r << 1) | (cf ? 1 : 0)) & m;
                    cf = out;
                }
                boolean of = ((r & sb) != 0) ^ cf;
                setCfOf(c, cf, of);
                return r;
            }
            default -> { // RCR
                int n = count % (bits + 1);
                boolean cf = c.cf();
                long r = a;
                boolean of = ((r & sb) != 0) ^ cf;
                for (int i = 0; i < n; i++) {
                    boolean out = (r & 1) != 0;
                    r = (r >>> 1) | (cf ? sb : 0);
                    cf = out;
                }
                setCfOf(c, cf, of);
                return r;
            }
        }
    }

    private static void setCfOf(Cpu c, boolean cf, boolean of) {
        long f = Flags.status(c) & ~(Cpu.CF | Cpu.OF);
        if (cf) f |= Cpu.CF;
        if (of) f |= Cpu.OF;
        Flags.eager(c, f);
    }

    /**
     * SHLD/SHRD r/m, reg, imm8/CL ({@code op}: 0 SHLD, 1 SHRD; {@code rep} != 0: count in CL).
     */
    static final class DoubleShift extends Insn {
        @Override
        void exec(Cpu c) {
            int count = (int) ((rep != 0 ? c.r[1] : imm) & (size == 8 ? 0x3f : 0x1f));
            if (count == 0) {
                if (rm < 0) {
                    c.mmu.probeWrite(ea(c), size);
                } else if (size == 4) {
                    c.r[rm] &= 0xffff_ffffL;
                }
                return;
            }
            long addr = rm < 0 ? ea(c) : 0;
            long dst = rm >= 0 ? getReg(c, rm, rmHi, size) : c.mmu.readForWrite(addr, size);
            long src = readReg(c);
            int bits = size * 8;
            long m = mask(size);
            long r;
            boolean cf;
            if (count > bits) {
                // Only possible for 16-bit operands: result and flags undefined; shift through a
                // 32-bit concatenation as hardware does.
                count &= bits - 1;
                if (count == 0) {
                    return;
                }
            }
            if (op == 0) {
                r = ((dst << count) | (count == bits ? src : src >>> (bits - count))) & m;
                cf = ((dst >>> (bits - count)) & 1) != 0;
            } else {
                r = ((dst >>> count) | (count == bits ? src : src << (bits - count))) & m;
                cf = ((dst >>> (count - 1)) & 1) != 0;
            }
            if (count == bits) {
                r = src & m;
            }
            long sb = 1L << (bits - 1);
            boolean of = ((r ^ dst) & sb) != 0;
            long f = 0;
            if (cf) f |= Cpu.CF;
            if (of) f |= Cpu.OF;
            if (r == 0) f |= Cpu.ZF;
            if ((r & sb) != 0) f |= Cpu.SF;
            if ((Long.bitCount(r & 0xff) & 1) == 0) f |= Cpu.PF;
            Flags.eager(c, f);
            if (rm >= 0) {
                setReg(c, rm, rmHi, size, r);
            } else {
                c.mmu.write(addr, size, r);
            }
        }
    }
}
