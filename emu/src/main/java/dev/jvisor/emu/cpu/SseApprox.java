package dev.jvisor.emu.cpu;

/**
 * RCPPS/RCPSS and RSQRTPS/RSQRTSS: approximate reciprocal and reciprocal square root.
 *
 * <p>The SDM (Vol. 2 RCPPS/RSQRTPS) only bounds the relative error by 1.5 * 2^-12 and real CPUs
 * differ in the exact bits. This CPU returns the exact value rounded to nearest with 12 fraction
 * bits (relative error at most 2^-13), deterministically. As architected these instructions raise
 * no SIMD floating-point exception and set no MXCSR flag; denormal sources count as zeros and tiny
 * results are flushed to zero.
 */
final class SseApprox {
    private static final int SIGN = 0x8000_0000;
    private static final int INF = 0x7f80_0000;

    private SseApprox() {
    }

    static int rcp(int a) {
        int sign = a & SIGN;
        int mag = a & ~SIGN;
        if (mag > INF) {
            return a | 0x0040_0000; // NaN: quieted
        }
        if (mag == INF) {
            return sign;
        }
        if (mag < 0x0080_0000) {
            return sign | INF; // zero or denormal
        }
        return approx12(1.0 / Float.intBitsToFloat(a));
    }

    static int rsqrt(int a) {
        int mag = a & ~SIGN;
        if (mag > INF) {
            return a | 0x0040_0000;
        }
        if (mag < 0x0080_0000) {
            return (a & SIGN) | INF; // +-0 or denormal: +-infinity
        }
        if (a < 0) {
            return SseFloat.DEFAULT_NAN_S;
        }
        if (mag == INF) {
            return 0;
        }
        return approx12(1.0 / Math.sqrt(Float.intBitsToFloat(a)));
    }

    /** {@code v} rounded to nearest with 12 fraction bits, as single precision; tiny results flush to zero. */
    private static int approx12(double v) {
        long bits = Double.doubleToRawLongBits(v);
        bits = (bits + (1L << 39)) & -(1L << 40);
        float f = (float) Double.longBitsToDouble(bits);
        int r = Float.floatToRawIntBits(f);
        if ((r & 0x7f80_0000) == 0) {
            return r & SIGN;
        }
        return r;
    }
}
