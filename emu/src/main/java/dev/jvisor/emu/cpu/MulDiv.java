package dev.jvisor.emu.cpu;

/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV (SDM Vol. 2).
 *
 * <p>After a multiply CF = OF = "the high half is significant"; SF, ZF, PF are left as the low half
 * gives them (undefined in the SDM). Division by zero and quotient overflow raise #DE.
 */
final class MulDiv {
    private MulDiv() {
    }

    private static void mulFlags(Cpu c, int size, long low, boolean overflow) {
        Flags.set(c, Flags.MUL, size * 8, 0, 0, low & Insn.mask(size));
        c.fAux = overflow;
    }

    /** Group 3 /4../7: MUL, IMUL, DIV, IDIV with the accumulator ({@code op} 4..7). */
    static final class Group3 extends Insn {
        @Override
        void exec(Cpu c) {
            long src = readRm(c);
            switch (op) {
                case 4 -> mul(c, src);
                case 5 -> imul(c, src);
                case 6 -> div(c, src);
                default -> idiv(c, src);
            }
        }

        private void mul(Cpu c, long src) {
            long[] r = c.r;
            switch (size) {
                case 1 -> {
                    long p = (r[0] & 0xff) * src;
                    r[0] = (r[0] & ~0xffffL) | (p & 0xffff);
                    mulFlags(c, 1, p, (p >>> 8) != 0);
                }
                case 2 -> {
                    long p = (r[0] & 0xffff) * src;
                    r[0] = (r[0] & ~0xffffL) | (p & 0xffff);
                    r[2] = (r[2] & ~0xffffL) | ((p >>> 16) & 0xffff);
                    mulFlags(c, 2, p, (p >>> 16) != 0);
                }
                case 4 -> {
                    long p = (r[0] & 0xffff_ffffL) * src;
                    r[0] = p & 0xffff_ffffL;
                    r[2] = p >>> 32;
                    mulFlags(c, 4, p, (p >>> 32) != 0);
                }
                default -> {
                    long lo = r[0] * src;
                    long hi = Math.unsignedMultiplyHigh(r[0], src);
                    r[0] = lo;
                    r[2] = hi;
                    mulFlags(c, 8, lo, hi != 0);
                }
            }
        }

        private void imul(Cpu c, long src) {
            long[] r = c.r;
            switch (size) {
                case 1 -> {
                    long p = (byte) r[0] * (long) (byte) src;
                    r[0] = (r[0] & ~0xffffL) | (p & 0xffff);
                    mulFlags(c, 1, p, p != (byte) p);
                }
                case 2 -> {
                    long p = (short) r[0] * (long) (short) src;
                    r[0] = (r[0] & ~0xffffL) | (p & 0xffff);
                    r[2] = (r[2] & ~0xffffL) | ((p >>> 16) & 0xffff);
                    mulFlags(c, 2, p, p != (short) p);
                }
                case 4 -> {
                    long p = (long) (int) r[0] * (long) (int) src;
                    r[0] = p & 0xffff_ffffL;
                    r[2] = (p >>> 32) & 0xffff_ffffL;
                    mulFlags(c, 4, p, p != (int) p);
                }
                default -> {
                    long lo = r[0] * src;
                    long hi = Math.multiplyHigh(r[0], src);
                    r[0] = lo;
                    r[2] = hi;
                    mulFlags(c, 8, lo, hi != (lo >> 63));
                }
            }
        }

        private void div(Cpu c, long src) {
            if (src == 0) {
                throw c.fault(CpuException.DE);
            }
            long[] r = c.r;
            switch (size) {
                case 1 -> {
                    long n = r[0] & 0xffff;
                    long q = n / src;
                    if (q > 0xff) throw c.fault(CpuException.DE);
                    long rem = n % src;
                    r[0] = (r[0] & ~0xffffL) | (rem << 8) | q;
                }
                case 2 -> {
                    long n = ((r[2] & 0xffff) << 16) | (r[0] & 0xffff);
                    long q = n / src;
                    if (q > 0xffff) throw c.fault(CpuException.DE);
                    long rem = n % src;
                    r[0] = (r[0] & ~0xffffL) | q;
                    r[2] = (r[2] & ~0xffffL) | rem;
                }
                case 4 -> {
                    long n = ((r[2] & 0xffff_ffffL) << 32) | (r[0] & 0xffff_ffffL);
                    long q = Long.divideUnsigned(n, src);
                    if (Long.compareUnsigned(q, 0xffff_ffffL) > 0) throw c.fault(CpuException.DE);
                    long rem = Long.remainderUnsigned(n, src);
                    r[0] = q;
                    r[2] = rem;
                }
                default -> {
                    long hi = r[2];
                    long lo = r[0];
                    if (hi == 0) {
                        r[0] = Long.divideUnsigned(lo, src);
                        r[2] = Long.remainderUnsigned(lo, src);
                        return;
                    }
                    if (Long.compareUnsigned(hi, src) >= 0) throw c.fault(CpuException.DE);
                    long[] qr = divideUnsigned128(hi, lo, src);
                    r[0] = qr[0];
                    r[2] = qr[1];
                }
            }
        }

        private void idiv(Cpu c, long src) {
            if (src == 0) {
                throw c.fault(CpuException.DE);
            }
            long[] r = c.r;
            switch (size) {
                case 1 -> {
                    long n = (short) r[0];
                    long d = (byte) src;
                    long q = n / d;
                    if (q != (byte) q) throw c.fault(CpuException.DE);
                    long rem = n % d;
                    r[0] = (r[0] & ~0xffffL) | ((rem & 0xff) << 8) | (q & 0xff);
                }
                case 2 -> {
                    long n = (int) (((r[2] & 0xffff) << 16) | (r[0] & 0xffff));
                    long d = (short) src;
                    long q = n / d;
                    if (q != (short) q) throw c.fault(CpuException.DE);
                    long rem = n % d;
                    r[0] = (r[0] & ~0xffffL) | (q & 0xffff);
                    r[2] = (r[2] & ~0xffffL) | (rem & 0xffff);
                }
                case 4 -> {
                    long n = ((r[2] & 0xffff_ffffL) << 32) | (r[0] & 0xffff_ffffL);
                    long d = (int) src;
                    if (n == Long.MIN_VALUE && d == -1) throw c.fault(CpuException.DE);
                    long q = n / d;
                    if (q != (int) q) throw c.fault(CpuException.DE);
                    long rem = n % d;
                    r[0] = q & 0xffff_ffffL;
                    r[2] = rem & 0xffff_ffffL;
                }
                default -> {
                    long hi = r[2];
                    long lo = r[0];
                    if (hi == (lo >> 63) && !(lo == Long.MIN_VALUE && src == -1)) {
                        r[0] = lo / src;
                        r[2] = lo % src;
                        return;
                    }
                    boolean negN = hi < 0;
                    boolean negD = src < 0;
                    // Magnitudes of the 128-bit dividend and of the divisor.
                    long mh = hi, ml = lo;
                    if (negN) {
                        ml = -lo;
                        mh = ~hi + (lo == 0 ? 1 : 0);
                    }
                    long md = negD ? -src : src;
                    if (Long.compareUnsigned(mh, md) >= 0) throw c.fault(CpuException.DE);
                    long[] qr = divideUnsigned128(mh, ml, md);
                    long q = qr[0];
                    long rem = qr[1];
                    boolean negQ = negN != negD;
                    if (negQ ? Long.compareUnsigned(q, 1L << 63) > 0 : q < 0) throw c.fault(CpuException.DE);
                    r[0] = negQ ? -q : q;
                    r[2] = negN ? -rem : rem;
                }
            }
        }
    }

    /** Unsigned 128-by-64 division; the caller guarantees hi < d so the quotient fits 64 bits. */
    static long[] divideUnsigned128(long hi, long lo, long d) {
        long q = 0;
        long rem = hi;
        for (int i = 63; i >= 0; i--) {
            boolean carry = rem < 0;
            rem = (rem << 1) | ((lo >>> i) & 1);
            q <<= 1;
            if (carry || Long.compareUnsigned(rem, d) >= 0) {
                rem -= d;
                q |= 1;
            }
        }
        return new long[]{q, rem};
    }

    /** IMUL reg, r/m [, imm] ({@code rep} != 0: three-operand form with {@code imm}). */
    static final class Imul2 extends Insn {
        @Override
        void exec(Cpu c) {
            long a = rep != 0 ? imm : readReg(c);
            long b = readRm(c);
            long lo;
            boolean ovf;
            switch (size) {
                case 2 -> {
                    long p = (long) (short) a * (short) b;
                    lo = p & 0xffff;
                    ovf = p != (short) p;
                }
                case 4 -> {
                    long p = (long) (int) a * (int) b;
                    lo = p & 0xffff_ffffL;
                    ovf = p != (int) p;
                }
                default -> {
                    lo = a * b;
                    ovf = Math.multiplyHigh(a, b) != (lo >> 63);
                }
            }
            writeReg(c, lo);
            mulFlags(c, size, lo, ovf);
        }
    }
}
