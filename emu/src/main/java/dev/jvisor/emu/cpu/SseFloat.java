package dev.jvisor.emu.cpu;

/**
 * Element operations of the SSE/SSE2 floating-point instructions on raw IEEE-754 bits: add,
 * subtract, multiply, divide, square root, minimum, maximum, compare, reciprocal approximations.
 *
 * <p>Each operation follows SDM Vol. 1 §4.8.3 and §11.5: DAZ first turns denormal sources into
 * signed zeros; NaN operands (Table 4-7: the first source wins, SNaNs are quieted and raise #I)
 * and invalid operations (default NaN, the "QNaN floating-point indefinite") come before
 * divide-by-zero, then the denormal-operand flag, then the computation and its rounding
 * ({@link SseRound}). Flags are ORed into {@link Cpu#mxcsr}; see {@link Sse#beginFp}.
 *
 * <p>NaNs are handled on bit patterns only: Java conversions and arithmetic do not preserve NaN
 * payloads.
 */
final class SseFloat {
    static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3, MIN = 4, MAX = 5, SQRT = 6, RCP = 7, RSQRT = 8;

    static final int DEFAULT_NAN_S = 0xffc0_0000;
    static final long DEFAULT_NAN_D = 0xfff8_0000_0000_0000L;
    private static final int QUIET_S = 0x0040_0000;
    private static final long QUIET_D = 1L << 51;

    private SseFloat() {
    }

    // --- Classification ---------------------------------------------------------------------------

    static boolean nanS(int a) {
        return (a & 0x7fff_ffff) > 0x7f80_0000;
    }

    static boolean snanS(int a) {
        return nanS(a) && (a & QUIET_S) == 0;
    }

    static boolean denS(int a) {
        return (a & 0x7f80_0000) == 0 && (a & 0x007f_ffff) != 0;
    }

    /** DAZ: a denormal source becomes a zero of the same sign (SDM Vol. 1 §10.2.3.4). */
    static int dazS(int mx, int a) {
        return (mx & Sse.DAZ) != 0 && denS(a) ? a & 0x8000_0000 : a;
    }

    static boolean nanD(long a) {
        return (a & Long.MAX_VALUE) > 0x7ff0_0000_0000_0000L;
    }

    static boolean snanD(long a) {
        return nanD(a) && (a & QUIET_D) == 0;
    }

    static boolean denD(long a) {
        return (a & 0x7ff0_0000_0000_0000L) == 0 && (a & 0x000f_ffff_ffff_ffffL) != 0;
    }

    static long dazD(int mx, long a) {
        return (mx & Sse.DAZ) != 0 && denD(a) ? a & Long.MIN_VALUE : a;
    }

    private static int invalidS(Cpu c) {
        c.mxcsr |= Sse.IE;
        return DEFAULT_NAN_S;
    }

    private static long invalidD(Cpu c) {
        c.mxcsr |= Sse.IE;
        return DEFAULT_NAN_D;
    }

    /** Result for NaN operands: the first NaN source, quieted; #I for any SNaN. */
    private static int nanResultS(Cpu c, int a, int b) {
        if (snanS(a) || snanS(b)) {
            c.mxcsr |= Sse.IE;
        }
        return (nanS(a) ? a : b) | QUIET_S;
    }

    private static long nanResultD(Cpu c, long a, long b) {
        if (snanD(a) || snanD(b)) {
            c.mxcsr |= Sse.IE;
        }
        return (nanD(a) ? a : b) | QUIET_D;
    }

    // --- Single precision ---------------------------------------------------------------------------

    /**
     * {@code a op b} in single precision ({@code a} is the destination/first source). Computed in
     * double, where float operands can neither overflow nor underflow and the FMA/TwoSum error
     * terms are exact.
     */
    static int arithS(Cpu c, int op, int a, int b) {
        int mx = c.mxcsr;
        if ((mx & Sse.DAZ) != 0) {
            a = dazS(mx, a);
            b = dazS(mx, b);
        }
        switch (op) {
            case SQRT -> {
                return sqrtS(c, b);
            }
            case RCP -> {
                return SseApprox.rcp(b);
            }
            case RSQRT -> {
                return SseApprox.rsqrt(b);
            }
            case MIN, MAX -> {
                // Any NaN is invalid and the second source is returned, as it is for equal values
                // (including +0/-0): the instruction is "a < b ? a : b" (SDM Vol. 2 MINPS).
                if (nanS(a) || nanS(b)) {
                    c.mxcsr |= Sse.IE;
                    return b;
                }
                if (denS(a) || denS(b)) {
                    c.mxcsr |= Sse.DE;
                }
                float fa = Float.intBitsToFloat(a);
                float fb = Float.intBitsToFloat(b);
                return (op == MIN ? fa < fb : fa > fb) ? a : b;
            }
            default -> {
            }
        }
        if (nanS(a) || nanS(b)) {
            return nanResultS(c, a, b);
        }
        double x = Float.intBitsToFloat(a);
        double y = Float.intBitsToFloat(b);
        boolean den = denS(a) || denS(b);
        double d;
        int err;
        switch (op) {
            case ADD, SUB -> {
                if (op == SUB) {
                    y = -y;
                }
                if (Double.isInfinite(x) && Double.isInfinite(y) && x != y) {
                    return invalidS(c);
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                d = x + y;
                if (d == 0) {
                    return Float.floatToRawIntBits((float) zeroSum(mx, x, y));
                }
                err = Double.isInfinite(d) ? 0 : SseRound.sumErr(x, y, d);
            }
            case MUL -> {
                if ((x == 0 && Double.isInfinite(y)) || (Double.isInfinite(x) && y == 0)) {
                    return invalidS(c);
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                d = x * y;
                err = d == 0 || Double.isInfinite(d) ? 0 : SseRound.signum(Math.fma(x, y, -d));
            }
            default -> { // DIV
                if ((x == 0 && y == 0) || (Double.isInfinite(x) && Double.isInfinite(y))) {
                    return invalidS(c);
                }
                if (y == 0 && !Double.isInfinite(x)) {
                    c.mxcsr |= Sse.ZE;
                    return ((a ^ b) & 0x8000_0000) | 0x7f80_0000;
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                d = x / y;
                err = d == 0 || Double.isInfinite(d) ? 0
                        : SseRound.signum(Math.fma(-d, y, x)) * SseRound.signum(y);
            }
        }
        return SseRound.toSingle(c, d, err);
    }

    private static int sqrtS(Cpu c, int b) {
        if (nanS(b)) {
            return nanResultS(c, b, b);
        }
        if (b < 0 && (b & 0x7fff_ffff) != 0) {
            return invalidS(c);
        }
        if ((b & 0x7fff_ffff) == 0 || b == 0x7f80_0000) {
            return b; // sqrt(+-0) = +-0, sqrt(+inf) = +inf
        }
        if (denS(b)) {
            c.mxcsr |= Sse.DE;
        }
        double x = Float.intBitsToFloat(b);
        double d = Math.sqrt(x);
        return SseRound.toSingle(c, d, SseRound.signum(Math.fma(-d, d, x)));
    }

    /**
     * The sign of an exact zero sum (IEEE 754 §6.3): two addends of the same sign (two zeros) keep
     * it; otherwise (opposite signs cancelling) the sum is +0, or -0 when rounding down.
     */
    private static double zeroSum(int mx, double x, double y) {
        boolean xNeg = Double.doubleToRawLongBits(x) < 0;
        boolean yNeg = Double.doubleToRawLongBits(y) < 0;
        if (xNeg == yNeg) {
            return xNeg ? -0.0 : 0.0;
        }
        return ((mx >>> Sse.RC_SHIFT) & 3) == Sse.RD ? -0.0 : 0.0;
    }

    // --- Double precision ----------------------------------------------------------------------------

    /**
     * {@code a op b} in double precision. The fast path takes Java's (round-to-nearest) result when
     * it is normal and far enough from the range limits that the FMA/TwoSum error is exact; other
     * cases scale the operands to near 1 and let {@link SseRound} apply the exponent.
     */
    static long arithD(Cpu c, int op, long a, long b) {
        int mx = c.mxcsr;
        if ((mx & Sse.DAZ) != 0) {
            a = dazD(mx, a);
            b = dazD(mx, b);
        }
        switch (op) {
            case SQRT -> {
                return sqrtD(c, b);
            }
            case MIN, MAX -> {
                if (nanD(a) || nanD(b)) {
                    c.mxcsr |= Sse.IE;
                    return b;
                }
                if (denD(a) || denD(b)) {
                    c.mxcsr |= Sse.DE;
                }
                double fa = Double.longBitsToDouble(a);
                double fb = Double.longBitsToDouble(b);
                return (op == MIN ? fa < fb : fa > fb) ? a : b;
            }
            default -> {
            }
        }
        if (nanD(a) || nanD(b)) {
            return nanResultD(c, a, b);
        }
        double x = Double.longBitsToDouble(a);
        double y = Double.longBitsToDouble(b);
        boolean den = denD(a) || denD(b);
        boolean nearest = (mx & (3 << Sse.RC_SHIFT)) == 0;
        boolean knownInexact = (mx & Sse.PE) != 0; // PE is already set and masked: no need to test
        switch (op) {
            case ADD, SUB -> {
                if (op == SUB) {
                    y = -y;
                }
                if (Double.isInfinite(x) && Double.isInfinite(y) && x != y) {
                    return invalidD(c);
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                double d = x + y;
                if (d == 0) {
                    return Double.doubleToRawLongBits(zeroSum(mx, x, y));
                }
                if (Double.isInfinite(d)) {
                    if (Double.isInfinite(x) || Double.isInfinite(y)) {
                        return Double.doubleToRawLongBits(d);
                    }
                    // Overflow: halving is exact for operands this large.
                    double h = x * 0.5 + y * 0.5;
                    return SseRound.round(c, h, SseRound.sumErr(x * 0.5, y * 0.5, h), 1, false);
                }
                if (nearest && knownInexact && Math.abs(d) >= 0x1p-1021) {
                    return Double.doubleToRawLongBits(d);
                }
                return SseRound.toDouble(c, d, SseRound.sumErr(x, y, d));
            }
            case MUL -> {
                if ((x == 0 && Double.isInfinite(y)) || (Double.isInfinite(x) && y == 0)) {
                    return invalidD(c);
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                double d = x * y;
                if (x == 0 || y == 0 || Double.isInfinite(x) || Double.isInfinite(y)) {
                    return Double.doubleToRawLongBits(d);
                }
                if (nearest && Math.abs(d) >= 0x1p-960 && Math.abs(d) <= Double.MAX_VALUE) {
                    if (!knownInexact && Math.fma(x, y, -d) != 0) {
                        c.mxcsr |= Sse.PE;
                    }
                    return Double.doubleToRawLongBits(d);
                }
                int ex = SseRound.exponent(x);
                int ey = SseRound.exponent(y);
                double sx = Math.scalb(x, -ex);
                double sy = Math.scalb(y, -ey);
                double p = sx * sy;
                return SseRound.round(c, p, SseRound.signum(Math.fma(sx, sy, -p)), ex + ey, false);
            }
            default -> { // DIV
                if ((x == 0 && y == 0) || (Double.isInfinite(x) && Double.isInfinite(y))) {
                    return invalidD(c);
                }
                if (y == 0 && !Double.isInfinite(x)) {
                    c.mxcsr |= Sse.ZE;
                    return ((a ^ b) & Long.MIN_VALUE) | 0x7ff0_0000_0000_0000L;
                }
                if (den) {
                    c.mxcsr |= Sse.DE;
                }
                double d = x / y;
                if (x == 0 || Double.isInfinite(x) || Double.isInfinite(y)) {
                    return Double.doubleToRawLongBits(d);
                }
                if (nearest && Math.abs(d) >= 0x1p-960 && Math.abs(d) <= Double.MAX_VALUE
                        && Math.abs(x) >= 0x1p-960) {
                    if (!knownInexact && Math.fma(-d, y, x) != 0) {
                        c.mxcsr |= Sse.PE;
                    }
                    return Double.doubleToRawLongBits(d);
                }
                int ex = SseRound.exponent(x);
                int ey = SseRound.exponent(y);
                double sx = Math.scalb(x, -ex);
                double sy = Math.scalb(y, -ey);
                double q = sx / sy;
                int err = SseRound.signum(Math.fma(-q, sy, sx)) * SseRound.signum(sy);
                return SseRound.round(c, q, err, ex - ey, false);
            }
        }
    }

    private static long sqrtD(Cpu c, long b) {
        if (nanD(b)) {
            return nanResultD(c, b, b);
        }
        if (b < 0 && (b & Long.MAX_VALUE) != 0) {
            return invalidD(c);
        }
        if ((b & Long.MAX_VALUE) == 0 || b == 0x7ff0_0000_0000_0000L) {
            return b;
        }
        if (denD(b)) {
            c.mxcsr |= Sse.DE;
        }
        double x = Double.longBitsToDouble(b);
        int mx = c.mxcsr;
        if ((mx & (3 << Sse.RC_SHIFT)) == 0 && x >= 0x1p-960) {
            double d = Math.sqrt(x);
            if ((mx & Sse.PE) == 0 && Math.fma(-d, d, x) != 0) {
                c.mxcsr |= Sse.PE;
            }
            return Double.doubleToRawLongBits(d);
        }
        int e = SseRound.exponent(x) & ~1; // even, so the scale halves exactly
        double m = Math.scalb(x, -e); // in [1, 4)
        double r = Math.sqrt(m);
        return SseRound.round(c, r, SseRound.signum(Math.fma(-r, r, m)), e / 2, false);
    }

    // --- Compares -----------------------------------------------------------------------------------

    /**
     * CMPPS/CMPSS predicate {@code pred} (0 EQ, 1 LT, 2 LE, 3 UNORD, 4 NEQ, 5 NLT, 6 NLE, 7 ORD).
     * LT, LE, NLT and NLE signal #I on QNaNs as well (SDM Vol. 2 CMPPS, Table 3-1).
     */
    static boolean cmpS(Cpu c, int pred, int a, int b) {
        int mx = c.mxcsr;
        a = dazS(mx, a);
        b = dazS(mx, b);
        if (nanS(a) || nanS(b)) {
            return unordered(c, pred, snanS(a) || snanS(b));
        }
        if (denS(a) || denS(b)) {
            c.mxcsr |= Sse.DE;
        }
        return ordered(pred, Float.intBitsToFloat(a), Float.intBitsToFloat(b));
    }

    static boolean cmpD(Cpu c, int pred, long a, long b) {
        int mx = c.mxcsr;
        a = dazD(mx, a);
        b = dazD(mx, b);
        if (nanD(a) || nanD(b)) {
            return unordered(c, pred, snanD(a) || snanD(b));
        }
        if (denD(a) || denD(b)) {
            c.mxcsr |= Sse.DE;
        }
        return ordered(pred, Double.longBitsToDouble(a), Double.longBitsToDouble(b));
    }

    private static boolean unordered(Cpu c, int pred, boolean snan) {
        int kind = pred & 3;
        if (snan || kind == 1 || kind == 2) {
            c.mxcsr |= Sse.IE;
        }
        return pred >= 3 && pred <= 6; // UNORD, NEQ, NLT, NLE are true for unordered operands
    }

    private static boolean ordered(int pred, double x, double y) {
        return switch (pred) {
            case 0 -> x == y;
            case 1 -> x < y;
            case 2 -> x <= y;
            case 3 -> false;
            case 4 -> x != y;
            case 5 -> !(x < y);
            case 6 -> !(x <= y);
            default -> true;
        };
    }

    /**
     * COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF, CF as 111 unordered, 000 greater, 001 less, 100 equal;
     * OF, SF and AF cleared. COMIS signals #I on any NaN, UCOMIS only on SNaNs.
     */
    static long comis(Cpu c, boolean dbl, boolean signaling, long a, long b) {
        int mx = c.mxcsr;
        boolean nan;
        boolean snan;
        boolean den;
        double x;
        double y;
        if (dbl) {
            a = dazD(mx, a);
            b = dazD(mx, b);
            nan = nanD(a) || nanD(b);
            snan = snanD(a) || snanD(b);
            den = denD(a) || denD(b);
            x = Double.longBitsToDouble(a);
            y = Double.longBitsToDouble(b);
        } else {
            int ia = dazS(mx, (int) a);
            int ib = dazS(mx, (int) b);
            nan = nanS(ia) || nanS(ib);
            snan = snanS(ia) || snanS(ib);
            den = denS(ia) || denS(ib);
            x = Float.intBitsToFloat(ia);
            y = Float.intBitsToFloat(ib);
        }
        if (nan) {
            if (signaling || snan) {
                c.mxcsr |= Sse.IE;
            }
            return Cpu.ZF | Cpu.PF | Cpu.CF;
        }
        if (den) {
            c.mxcsr |= Sse.DE;
        }
        return x < y ? Cpu.CF : x > y ? 0 : Cpu.ZF;
    }
}
