package dev.jvisor.emu.cpu;

/**
 * The SSE/SSE2 conversions between integers, single and double precision (SDM Vol. 2 CVTxx2xx,
 * Vol. 1 §11.5.2): rounding by MXCSR.RC (or truncation for the CVTT forms), the integer indefinite
 * value 0x80000000 / 0x8000000000000000 with #I for NaNs and out-of-range values, #P for inexact
 * results. The float-to-integer and integer-to-float conversions never signal #D; DAZ still applies.
 */
final class SseConvert {
    static final int SI2SS = 0, SI2SD = 1, SS2SI = 2, SD2SI = 3, PI2PS = 4, PI2PD = 5, PS2PI = 6, PD2PI = 7,
            PS2PD = 8, PD2PS = 9, SS2SD = 10, SD2SS = 11, DQ2PS = 12, PS2DQ = 13, DQ2PD = 14, PD2DQ = 15;

    private SseConvert() {
    }

    // --- Element conversions ------------------------------------------------------------------------

    /** Single or double ({@code dbl}) to a 32- or 64-bit signed integer. */
    static long toInt(Cpu c, long bits, boolean dbl, boolean trunc, boolean to64) {
        int mx = c.mxcsr;
        double v;
        if (dbl) {
            if (SseFloat.nanD(bits)) {
                return indefinite(c, to64);
            }
            v = Double.longBitsToDouble(SseFloat.dazD(mx, bits));
        } else {
            int s = (int) bits;
            if (SseFloat.nanS(s)) {
                return indefinite(c, to64);
            }
            v = Float.intBitsToFloat(SseFloat.dazS(mx, s));
        }
        int rc = trunc ? Sse.RZ : (mx >>> Sse.RC_SHIFT) & 3;
        double r = switch (rc) {
            case Sse.RN -> Math.rint(v);
            case Sse.RD -> Math.floor(v);
            case Sse.RU -> Math.ceil(v);
            default -> v < 0 ? Math.ceil(v) : Math.floor(v);
        };
        boolean inRange = to64 ? r >= -0x1p63 && r < 0x1p63 : r >= -0x1p31 && r <= 0x1p31 - 1;
        if (!inRange) {
            return indefinite(c, to64); // also infinities
        }
        if (r != v) {
            c.mxcsr |= Sse.PE;
        }
        return (long) r;
    }

    private static long indefinite(Cpu c, boolean to64) {
        c.mxcsr |= Sse.IE;
        return to64 ? Long.MIN_VALUE : 0x8000_0000L;
    }

    /** A signed integer to single precision. */
    static int intToS(Cpu c, long v) {
        double d = (double) v;
        return SseRound.toSingle(c, d, intErr(v, d));
    }

    /** A signed integer to double precision (exact for 32-bit integers). */
    static long intToD(Cpu c, long v) {
        double d = (double) v;
        return SseRound.toDouble(c, d, intErr(v, d));
    }

    /** Sign of {@code v - d} where {@code d} is {@code v} rounded to a double. */
    private static int intErr(long v, double d) {
        if (d >= 0x1p63) {
            return -1; // v < 2^63 <= d
        }
        return Long.compare(v, (long) d);
    }

    /** Double to single precision (CVTSD2SS): NaN payloads keep their top bits; may overflow or underflow. */
    static int dToS(Cpu c, long a) {
        a = SseFloat.dazD(c.mxcsr, a);
        if (SseFloat.nanD(a)) {
            if (SseFloat.snanD(a)) {
                c.mxcsr |= Sse.IE;
            }
            return (int) ((a >>> 63) << 31) | 0x7fc0_0000 | (int) ((a & 0x000f_ffff_ffff_ffffL) >>> 29);
        }
        if (SseFloat.denD(a)) {
            c.mxcsr |= Sse.DE;
        }
        double d = Double.longBitsToDouble(a);
        return SseRound.toSingle(c, d, 0);
    }

    /** Single to double precision (CVTSS2SD): always exact. */
    static long sToD(Cpu c, int a) {
        a = SseFloat.dazS(c.mxcsr, a);
        if (SseFloat.nanS(a)) {
            if (SseFloat.snanS(a)) {
                c.mxcsr |= Sse.IE;
            }
            return ((long) (a >>> 31) << 63) | 0x7ff8_0000_0000_0000L | ((long) (a & 0x003f_ffff) << 29);
        }
        if (SseFloat.denS(a)) {
            c.mxcsr |= Sse.DE;
        }
        return Double.doubleToRawLongBits(Float.intBitsToFloat(a));
    }

    // --- The instructions -----------------------------------------------------------------------------

    /**
     * Every conversion instruction; {@code op} selects the form. Register operands: {@code reg} is
     * the destination (XMM, MMX or general register), {@code rm} the source.
     */
    static final class Cvt extends SseInsn {
        /** CVTTxx2xx: truncate instead of rounding by MXCSR.RC. */
        boolean trunc;

        @Override
        void exec(Cpu c) {
            Sse.check(c);
            boolean mmxSrc = (op == PI2PS || op == PI2PD) && rm >= 0;
            boolean mmxDst = op == PS2PI || op == PD2PI;
            if (mmxSrc || mmxDst) {
                Sse.checkMmx(c);
            }
            long[] x = c.xmm;
            // Source operand: up to 128 bits in s0/s1.
            long s0;
            long s1 = 0;
            switch (op) {
                case SI2SS, SI2SD -> s0 = rm >= 0 ? c.r[rm] : c.mmu.read(ea(c), size);
                case SS2SI, SS2SD -> s0 = rm >= 0 ? x[2 * rm] : c.mmu.read32(ea(c));
                case PI2PS, PI2PD -> s0 = rm >= 0 ? Sse.mm(c, rm) : c.mmu.read64(ea(c));
                case SD2SI, SD2SS, PS2PI, PS2PD, DQ2PD -> s0 = rm >= 0 ? x[2 * rm] : c.mmu.read64(ea(c));
                default -> { // 128-bit sources
                    if (rm >= 0) {
                        s0 = x[2 * rm];
                        s1 = x[2 * rm + 1];
                    } else {
                        long a = addr16(c);
                        s0 = c.mmu.read64(a);
                        s1 = c.mmu.read64(a + 8);
                    }
                }
            }
            int d = 2 * reg;
            int old = Sse.beginFp(c);
            long r0 = x[d];
            long r1 = x[d + 1];
            switch (op) {
                case SI2SS -> r0 = (r0 & ~0xffff_ffffL) | (intToS(c, size == 8 ? s0 : (int) s0) & 0xffff_ffffL);
                case SI2SD -> r0 = intToD(c, size == 8 ? s0 : (int) s0);
                case SS2SI, SD2SI -> r0 = toInt(c, s0, op == SD2SI, trunc, size == 8);
                case PI2PS -> r0 = pack(intToS(c, (int) s0), intToS(c, (int) (s0 >> 32)));
                case PI2PD -> {
                    r0 = intToD(c, (int) s0);
                    r1 = intToD(c, (int) (s0 >> 32));
                }
                case PS2PI, DQ2PD -> {
                    if (op == PS2PI) {
                        r0 = pack(toInt(c, s0, false, trunc, false), toInt(c, s0 >>> 32, false, trunc, false));
                    } else {
                        r0 = intToD(c, (int) s0);
                        r1 = intToD(c, (int) (s0 >> 32));
                    }
                }
                case PD2PI, PD2DQ -> {
                    r0 = pack(toInt(c, s0, true, trunc, false), toInt(c, s1, true, trunc, false));
                    r1 = 0;
                }
                case PS2PD -> {
                    r0 = sToD(c, (int) s0);
                    r1 = sToD(c, (int) (s0 >>> 32));
                }
                case PD2PS -> {
                    r0 = pack(dToS(c, s0), dToS(c, s1));
                    r1 = 0;
                }
                case SS2SD -> r0 = sToD(c, (int) s0);
                case SD2SS -> r0 = (r0 & ~0xffff_ffffL) | (dToS(c, s0) & 0xffff_ffffL);
                case DQ2PS -> {
                    r0 = pack(intToS(c, (int) s0), intToS(c, (int) (s0 >> 32)));
                    r1 = pack(intToS(c, (int) s1), intToS(c, (int) (s1 >> 32)));
                }
                default -> { // PS2DQ
                    r0 = pack(toInt(c, s0, false, trunc, false), toInt(c, s0 >>> 32, false, trunc, false));
                    r1 = pack(toInt(c, s1, false, trunc, false), toInt(c, s1 >>> 32, false, trunc, false));
                }
            }
            Sse.endFp(c, old);
            switch (op) {
                case SS2SI, SD2SI -> c.r[reg] = size == 8 ? r0 : r0 & 0xffff_ffffL;
                case PS2PI, PD2PI -> {
                    Sse.enterMmx(c);
                    Sse.setMm(c, reg, r0);
                }
                default -> {
                    if (mmxSrc) {
                        Sse.enterMmx(c);
                    }
                    x[d] = r0;
                    x[d + 1] = r1;
                }
            }
        }

        private static long pack(long lo, long hi) {
            return (lo & 0xffff_ffffL) | (hi << 32);
        }
    }
}
