package dev.jvisor.emu.cpu;

/**
 * The SSE/SSE2 floating-point arithmetic instructions on XMM registers: ADD, SUB, MUL, DIV, MIN,
 * MAX, SQRT, RCP, RSQRT and CMP in their packed (PS/PD) and scalar (SS/SD) forms, and
 * COMISS/UCOMISS/COMISD/UCOMISD. The element operations live in {@link SseFloat}; these classes
 * fetch operands, bracket the computation with {@link Sse#beginFp}/{@link Sse#endFp} so that an
 * unmasked exception leaves the destination untouched, and write the results.
 */
final class SseFp {
    /** {@code op} value selecting a compare; the predicate is in {@code imm}. */
    static final int CMP = 16;

    private SseFp() {
    }

    /** ADDPS..CMPPS and ADDPD..CMPPD: xmm = xmm op xmm/m128 (aligned). */
    static final class Packed extends SseInsn {
        boolean dbl;

        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            long s0;
            long s1;
            if (rm >= 0) {
                s0 = x[2 * rm];
                s1 = x[2 * rm + 1];
            } else {
                long a = addr16(c);
                s0 = c.mmu.read64(a);
                s1 = c.mmu.read64(a + 8);
            }
            int d = 2 * reg;
            long a0 = x[d];
            long a1 = x[d + 1];
            int old = Sse.beginFp(c);
            long r0;
            long r1;
            if (dbl) {
                r0 = elementD(c, op, (int) imm, a0, s0);
                r1 = elementD(c, op, (int) imm, a1, s1);
            } else {
                r0 = pairS(c, a0, s0);
                r1 = pairS(c, a1, s1);
            }
            Sse.endFp(c, old);
            x[d] = r0;
            x[d + 1] = r1;
        }

        private long pairS(Cpu c, long a, long b) {
            long lo = elementS(c, op, (int) imm, (int) a, (int) b) & 0xffff_ffffL;
            return lo | ((long) elementS(c, op, (int) imm, (int) (a >>> 32), (int) (b >>> 32)) << 32);
        }
    }

    /** ADDSS..CMPSS and ADDSD..CMPSD: the low element only; the rest of the destination is kept. */
    static final class Scalar extends SseInsn {
        boolean dbl;

        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            long s;
            if (rm >= 0) {
                s = x[2 * rm];
            } else {
                s = dbl ? c.mmu.read64(ea(c)) : c.mmu.read32(ea(c));
            }
            int d = 2 * reg;
            long a = x[d];
            int old = Sse.beginFp(c);
            long r = dbl ? elementD(c, op, (int) imm, a, s)
                    : (a & ~0xffff_ffffL) | (elementS(c, op, (int) imm, (int) a, (int) s) & 0xffff_ffffL);
            Sse.endFp(c, old);
            x[d] = r;
        }
    }

    /** One single-precision element of {@code op} (the instruction's operation). */
    static int elementS(Cpu c, int op, int imm, int a, int b) {
        if (op == CMP) {
            return SseFloat.cmpS(c, imm, a, b) ? -1 : 0;
        }
        return SseFloat.arithS(c, op, a, b);
    }

    static long elementD(Cpu c, int op, int imm, long a, long b) {
        if (op == CMP) {
            return SseFloat.cmpD(c, imm, a, b) ? -1L : 0;
        }
        return SseFloat.arithD(c, op, a, b);
    }

    /**
     * COMISS/COMISD ({@code signaling}: #I for QNaNs too) and UCOMISS/UCOMISD: compare the low
     * elements into ZF, PF, CF; an unmasked exception leaves EFLAGS unchanged.
     */
    static final class Comis extends SseInsn {
        boolean dbl;
        boolean signaling;

        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long s;
            if (rm >= 0) {
                s = c.xmm[2 * rm];
            } else {
                s = dbl ? c.mmu.read64(ea(c)) : c.mmu.read32(ea(c));
            }
            int old = Sse.beginFp(c);
            long f = SseFloat.comis(c, dbl, signaling, c.xmm[2 * reg], s);
            Sse.endFp(c, old);
            Flags.eager(c, f);
        }
    }
}
