package dev.jvisor.conformance.differential;

/**
 * Interesting x87 operands: 80-bit extended values (SDM Vol. 1 §8.2.2, Table 8-3) on the edges
 * (signed zeros, denormals, infinities, quiet and signalling NaNs, the unsupported encodings
 * pseudo-denormal, unnormal and pseudo-NaN, the integer-conversion limits) and random normals, plus
 * the start state of an x87 case.
 */
final class X87Values {
    static final long INTEGER_BIT = 1L << 63;

    private X87Values() {
    }

    /** A random extended value as {sign-and-exponent, significand}. */
    static long[] extended(CaseBuilder b) {
        long sign = b.oneIn(2) ? 0x8000 : 0;
        long random = b.random().nextLong();
        return switch (b.random().nextInt(16)) {
            case 0 -> new long[]{sign, 0};                                                  // zero
            case 1 -> new long[]{sign | 0x3fff, INTEGER_BIT};                               // one
            case 2 -> new long[]{sign | 0x7fff, INTEGER_BIT};                               // infinity
            case 3 -> new long[]{sign | 0x7fff, INTEGER_BIT | 1L << 62 | random >>> 2};     // quiet NaN
            case 4 -> new long[]{sign | 0x7fff, INTEGER_BIT | (random >>> 3 | 1)};          // signalling NaN
            case 5 -> new long[]{sign, random >>> 1 | 1};                                   // denormal
            case 6 -> b.oneIn(4) ? unsupported(b, sign, random) : new long[]{sign | 0x3fff, INTEGER_BIT | random >>> 1};
            case 7 -> new long[]{sign | (0x3fff + 62 + b.random().nextInt(3)), INTEGER_BIT | random >>> 1};   // near 2^63
            case 8 -> new long[]{sign | (0x3fff + 14 + b.random().nextInt(3)), INTEGER_BIT | (random >>> 1 & ~0xffffL)};
            case 9 -> new long[]{sign | (0x3fff + 30 + b.random().nextInt(3)), INTEGER_BIT | (random >>> 1 & ~0xffffL)};
            case 10 -> fromDouble(Double.doubleToRawLongBits(b.random().nextGaussian() * 1000));
            case 11 -> new long[]{sign | (0x3ffe + b.random().nextInt(3)), INTEGER_BIT | (b.oneIn(2) ? 0 : random >>> 1)}; // .5 .. 2
            case 12 -> new long[]{sign | (1 + b.random().nextInt(0x7ffe)), INTEGER_BIT | random >>> 1};       // any exponent
            default -> new long[]{sign | (0x3fff - 40 + b.random().nextInt(80)), INTEGER_BIT | random >>> 1};
        };
    }

    /** Encodings the 387 and later reject as operands (invalid-operand exception). */
    private static long[] unsupported(CaseBuilder b, long sign, long random) {
        return switch (b.random().nextInt(3)) {
            case 0 -> new long[]{sign, INTEGER_BIT | random >>> 1};                          // pseudo-denormal
            case 1 -> new long[]{sign | (1 + b.random().nextInt(0x7ffe)), random >>> 1};     // unnormal
            default -> new long[]{sign | 0x7fff, random >>> 1 | 1};                          // pseudo-NaN
        };
    }

    /** The exact extended value of a double (normals, zeros, infinities, NaNs; denormals normalised). */
    static long[] fromDouble(long bits) {
        long sign = bits < 0 ? 0x8000 : 0;
        int exponent = (int) (bits >>> 52 & 0x7ff);
        long fraction = bits & 0xf_ffff_ffff_ffffL;
        if (exponent == 0x7ff) {
            return new long[]{sign | 0x7fff, INTEGER_BIT | fraction << 11};
        }
        if (exponent == 0) {
            if (fraction == 0) {
                return new long[]{sign, 0};
            }
            int shift = Long.numberOfLeadingZeros(fraction) - 11;
            return new long[]{sign | (0x3fff - 1022 - shift), INTEGER_BIT | (fraction << (11 + shift)) & ~INTEGER_BIT};
        }
        return new long[]{sign | (exponent - 1023 + 0x3fff), INTEGER_BIT | fraction << 11};
    }

    /**
     * A start state: control word with random precision and rounding (exceptions masked, rarely
     * one unmasked), TOP anywhere, random condition codes, {@code depth} registers in use.
     */
    static X87State state(CaseBuilder b, int depth) {
        int fcw = 0x037f & ~0x0f00;
        fcw |= b.pickInt(0, 2, 3, 3) << 8;                 // precision control: single, double, extended
        fcw |= b.random().nextInt(4) << 10;                // rounding control
        if (b.oneIn(16)) {
            fcw &= ~(1 << b.random().nextInt(6));          // one unmasked exception
        }
        int top = b.random().nextInt(8);
        int fsw = top << 11 | (b.random().nextInt(16) & 0b1011) << 8 | (b.oneIn(2) ? 1 << 14 : 0);
        int ftw = 0;
        byte[] st = new byte[80];
        for (int i = 0; i < 8; i++) {
            if (i < depth) {
                ftw |= 1 << ((top + i) & 7);
            }
            long[] v = extended(b);
            for (int k = 0; k < 8; k++) {
                st[10 * i + k] = (byte) (v[1] >>> (8 * k));
            }
            st[10 * i + 8] = (byte) v[0];
            st[10 * i + 9] = (byte) (v[0] >>> 8);
        }
        return new X87State(fcw, fsw, ftw, st);
    }
}
