package dev.jvisor.conformance.differential;

/**
 * Interesting SSE register contents: floats and doubles on the edges IEEE 754 cares about (signed
 * zeros, denormals, infinities, quiet and signalling NaNs, the integer-conversion limits, halves
 * for rounding) and integer lanes with saturation edges.
 */
final class SseValues {
    /** How to fill a 128-bit value. */
    enum Lanes { PS, PD, INT8, INT16, INT32, INT64 }

    private static final int[] FLOATS = {
        0x0000_0000, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x0000_0001, 0x807f_ffff, 0x0080_0000, 0x7f7f_ffff,
        0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0000, 0x7fa0_0000, 0xff80_0001, 0x4f00_0000, 0xcf00_0000,
        0x4effffff, 0xcf000001, 0x5f00_0000, 0xdf00_0000, 0x3f00_0000, 0x3fc0_0000, 0x4020_0000, 0xbfc0_0000,
        0x4b80_0000, 0x4b7f_ffff, 0x3eaa_aaab, 0x4049_0fdb};
    private static final long[] DOUBLES = {
        0L, 0x8000_0000_0000_0000L, 0x3ff0_0000_0000_0000L, 0xbff0_0000_0000_0000L, 1L, 0x800f_ffff_ffff_ffffL,
        0x0010_0000_0000_0000L, 0x7fef_ffff_ffff_ffffL, 0x7ff0_0000_0000_0000L, 0xfff0_0000_0000_0000L,
        0x7ff8_0000_0000_0000L, 0xfff8_0000_0000_0000L, 0x7ff4_0000_0000_0000L, 0xfff0_0000_0000_0001L,
        0x41e0_0000_0000_0000L, 0xc1e0_0000_0000_0000L, 0x41df_ffff_ffc0_0000L, 0xc1e0_0000_0020_0000L,
        0x43e0_0000_0000_0000L, 0xc3e0_0000_0000_0000L, 0x3fe0_0000_0000_0000L, 0x3ff8_0000_0000_0000L,
        0x4004_0000_0000_0000L, 0xbff8_0000_0000_0000L, 0x4330_0000_0000_0000L, 0x3fd5_5555_5555_5555L,
        0x4009_21fb_5444_2d18L, 0x36a0_0000_0000_0000L, 0x47ef_ffff_e000_0000L};

    private SseValues() {
    }

    static int floatValue(CaseBuilder b) {
        return switch (b.random().nextInt(4)) {
            case 0, 1 -> FLOATS[b.random().nextInt(FLOATS.length)];
            case 2 -> Float.floatToRawIntBits((float) (b.random().nextGaussian() * Math.pow(2, b.random().nextInt(40) - 20)));
            default -> b.random().nextInt();
        };
    }

    static long doubleValue(CaseBuilder b) {
        return switch (b.random().nextInt(4)) {
            case 0, 1 -> DOUBLES[b.random().nextInt(DOUBLES.length)];
            case 2 -> Double.doubleToRawLongBits(b.random().nextGaussian() * Math.pow(2, b.random().nextInt(80) - 40));
            default -> b.random().nextLong();
        };
    }

    /** A 128-bit value as {low, high}. */
    static long[] value(CaseBuilder b, Lanes lanes) {
        long[] v = new long[2];
        for (int q = 0; q < 2; q++) {
            v[q] = switch (lanes) {
                case PS -> (floatValue(b) & 0xffff_ffffL) | (long) floatValue(b) << 32;
                case PD -> doubleValue(b);
                case INT8, INT16, INT32, INT64 -> integerLanes(b, lanes);
            };
        }
        return v;
    }

    private static long integerLanes(CaseBuilder b, Lanes lanes) {
        int bits = switch (lanes) {
            case INT8 -> 8;
            case INT16 -> 16;
            case INT32 -> 32;
            default -> 64;
        };
        long v = 0;
        for (int at = 0; at < 64; at += bits) {
            v |= CaseBuilder.zeroExtend(b.value(bits), bits) << at;
        }
        return v;
    }

    /** A random MXCSR: all exceptions masked (mostly), random rounding, FTZ, DAZ and sticky flags. */
    static int mxcsr(CaseBuilder b) {
        int m = 0x1f80;
        m |= b.random().nextInt(4) << 13;           // rounding control
        if (b.oneIn(6)) {
            m |= 1 << 15;                           // flush to zero
        }
        if (b.oneIn(6)) {
            m |= 1 << 6;                            // denormals are zero
        }
        if (b.oneIn(3)) {
            m |= b.random().nextInt(64);            // sticky exception flags
        }
        if (b.oneIn(12)) {
            m &= ~(1 << (7 + b.random().nextInt(6)));   // one unmasked exception: may raise #XM
        }
        return m;
    }
}
