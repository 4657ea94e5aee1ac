package dev.jvisor.emu.cpu;

/**
 * Correct rounding of SIMD floating-point results to single or double precision under MXCSR
 * control: the four rounding modes, overflow, tininess, denormal results, flush-to-zero and the
 * OE/UE/PE flags (SDM Vol. 1 §4.8.4, §4.9.1.4-6, §10.2.3.3, §11.5.2.4-6).
 *
 * <p>A result arrives as a {@code double} {@code d} that is the exact result rounded to nearest
 * at 53 bits, the sign of the rounding error ({@code err}: the exact value minus {@code d}) and a
 * power-of-two scale: the exact value is {@code (d + error) * 2^scale}. Callers compute the error
 * sign exactly (TwoSum, FMA residuals) and use the scale to keep {@code d} clear of the double
 * range limits. Because every target grid point is also a 53-bit grid point, {@code d} and the
 * error sign decide every rounding exactly: no double-rounding errors.
 */
final class SseRound {
    private static final long FRAC = (1L << 52) - 1;

    private SseRound() {
    }

    /**
     * Rounds a finite non-zero result. Returns the result bits (single precision in the low 32
     * bits) and ORs PE/UE/OE into {@code c.mxcsr}; when the result would raise an unmasked
     * overflow or underflow the returned value is unspecified (the destination is not written).
     */
    static long round(Cpu c, double d, int err, int scale, boolean single) {
        int mx = c.mxcsr;
        int rc = (mx >>> Sse.RC_SHIFT) & 3;
        long bits = Double.doubleToRawLongBits(d);
        boolean neg = bits < 0;
        int magErr = neg ? -err : err;
        int be = (int) (bits >>> 52) & 0x7ff;
        long m = bits & FRAC;
        int e; // exponent of the lowest bit of m; |d| = m * 2^e with 2^52 <= m < 2^53
        if (be == 0) {
            int sh = Long.numberOfLeadingZeros(m) - 11;
            m <<= sh;
            e = -1074 - sh;
        } else {
            m |= 1L << 52;
            e = be - 1075;
        }
        e += scale;
        int p = single ? 24 : 53;
        int emin = single ? -126 : -1022;
        int emax = single ? 127 : 1023;
        int drop = 53 - p;

        // Round to p bits with an unbounded exponent: tininess and overflow are judged on this
        // value (SDM Vol. 1 §4.9.1.5). Just below a power of two the next binade down has twice
        // the resolution, so keep one more bit there.
        int sh = drop;
        if (magErr < 0 && lowBits(m, drop) == 0 && (m >>> drop) == 1L << (p - 1)) {
            sh = drop - 1;
        }
        long r = roundMag(m, sh, magErr, rc, neg);
        boolean inexact = magErr != 0 || lowBits(m, drop) != 0;
        int len = 64 - Long.numberOfLeadingZeros(r);
        if (len > p) {
            r >>>= len - p; // r was exactly 2^p (a carry out of the top bit)
        }
        int lead = e + sh + len - 1; // unbiased exponent of the rounded value
        long sign = neg ? (single ? 1L << 31 : 1L << 63) : 0;
        if (lead > emax) {
            return sign | overflow(c, mx, rc, neg, inexact, single);
        }
        if (lead < emin) {
            return sign | tiny(c, mx, rc, neg, m, e, magErr, inexact, single);
        }
        if (inexact) {
            c.mxcsr |= Sse.PE;
        }
        long biased = lead + (single ? 127 : 1023);
        return sign | (biased << (p - 1)) | (r & ((1L << (p - 1)) - 1));
    }

    /** Masked overflow gives infinity or the largest finite value by rounding direction (SDM Vol. 1 Table 4-10). */
    private static long overflow(Cpu c, int mx, int rc, boolean neg, boolean inexact, boolean single) {
        if ((mx & Sse.OM) == 0) {
            c.mxcsr |= Sse.OE | (inexact ? Sse.PE : 0);
            return 0;
        }
        c.mxcsr |= Sse.OE | Sse.PE;
        boolean toInfinity = rc == Sse.RN || (rc == Sse.RU && !neg) || (rc == Sse.RD && neg);
        if (single) {
            return toInfinity ? 0x7f80_0000L : 0x7f7f_ffffL;
        }
        return toInfinity ? 0x7ff0_0000_0000_0000L : 0x7fef_ffff_ffff_ffffL;
    }

    /**
     * A tiny result: masked underflow denormalizes (UE only with loss of accuracy), or with FTZ
     * returns zero and sets UE and PE; unmasked underflow reports UE for any tiny result.
     */
    private static long tiny(Cpu c, int mx, int rc, boolean neg, long m, int e, int magErr, boolean inexact,
            boolean single) {
        if ((mx & Sse.UM) == 0) {
            c.mxcsr |= Sse.UE | (inexact ? Sse.PE : 0);
            return 0;
        }
        if ((mx & Sse.FTZ) != 0) {
            c.mxcsr |= Sse.UE | Sse.PE;
            return 0;
        }
        int lsb = single ? -149 : -1074; // exponent of the lowest denormal bit
        int shift = lsb - e;
        long r = roundMag(m, shift, magErr, rc, neg);
        if (magErr != 0 || lowBits(m, shift) != 0) {
            c.mxcsr |= Sse.UE | Sse.PE;
        }
        // r <= 2^(p-1); r == 2^(p-1) is the smallest normal and encodes as such.
        return r;
    }

    /** The bits of {@code m} below bit {@code shift}. */
    static long lowBits(long m, int shift) {
        if (shift <= 0) {
            return 0;
        }
        return shift >= 64 ? m : m & ((1L << shift) - 1);
    }

    /**
     * Rounds the magnitude {@code m * 2^-shift} (plus an error of sign {@code magErr} smaller than
     * half a unit of {@code m}) to an integer by rounding control {@code rc}. {@code shift} may be
     * -1 (one extra bit of resolution).
     */
    static long roundMag(long m, int shift, int magErr, int rc, boolean neg) {
        long q;
        long rem;
        if (shift <= 0) {
            q = m << -shift;
            rem = 0;
        } else if (shift >= 64) {
            q = 0;
            rem = m;
        } else {
            q = m >>> shift;
            rem = m & ((1L << shift) - 1);
        }
        if (rem == 0 && magErr == 0) {
            return q;
        }
        // The exact magnitude lies strictly between lo and lo + 1.
        long lo = rem == 0 && magErr < 0 ? q - 1 : q;
        switch (rc) {
            case Sse.RZ -> {
                return lo;
            }
            case Sse.RU -> {
                return neg ? lo : lo + 1;
            }
            case Sse.RD -> {
                return neg ? lo + 1 : lo;
            }
            default -> {
                if (rem == 0) {
                    return q; // within half a unit of m's grid point q
                }
                int cmp = shift >= 64 ? -1 : Long.compare(rem, 1L << (shift - 1));
                if (cmp == 0) {
                    cmp = magErr;
                }
                if (cmp > 0) {
                    return lo + 1;
                }
                if (cmp < 0) {
                    return lo;
                }
                return (lo & 1) == 0 ? lo : lo + 1; // exact tie: to even
            }
        }
    }

    // --- Exact error signs ----------------------------------------------------------------------------

    /** Sign of {@code (x + y) - s} where {@code s = x + y} rounded (Knuth's TwoSum, exact without overflow). */
    static int sumErr(double x, double y, double s) {
        double bb = s - x;
        double err = (x - (s - bb)) + (y - bb);
        return err > 0 ? 1 : err < 0 ? -1 : 0;
    }

    static int signum(double v) {
        return v > 0 ? 1 : v < 0 ? -1 : 0;
    }

    /** Unbiased exponent of a finite non-zero double, also for denormals. */
    static int exponent(double v) {
        int e = Math.getExponent(v);
        if (e < Double.MIN_EXPONENT) {
            e = Math.getExponent(v * 0x1p64) - 64;
        }
        return e;
    }

    // --- Final rounding of results computed in double ---------------------------------------------------

    /**
     * A single-precision result from its double-precision value {@code d} (exact value = d + error
     * of sign {@code err}). Zeros and infinities are exact.
     */
    static int toSingle(Cpu c, double d, int err) {
        float f = (float) d;
        int fb = Float.floatToRawIntBits(f);
        int mx = c.mxcsr;
        if ((mx & (3 << Sse.RC_SHIFT)) == 0) {
            // Round to nearest: (float) d is correct unless d is exactly halfway between two floats
            // (then the error sign decides); results at or below the smallest normal may be tiny.
            int mag = fb & 0x7fff_ffff;
            long db = Double.doubleToRawLongBits(d);
            if (mag > 0x0080_0000 && mag < 0x7f80_0000 && (db & 0x1fff_ffffL) != 0x1000_0000L) {
                if ((mx & Sse.PE) == 0 && (err != 0 || (double) f != d)) {
                    c.mxcsr |= Sse.PE;
                }
                return fb;
            }
        }
        if (d == 0 || Double.isInfinite(d)) {
            return fb;
        }
        return (int) round(c, d, err, 0, true);
    }

    /**
     * A double-precision result {@code d} with error sign {@code err} and no scaling. The caller
     * guarantees that {@code err} is exact.
     */
    static long toDouble(Cpu c, double d, int err) {
        int mx = c.mxcsr;
        if ((mx & (3 << Sse.RC_SHIFT)) == 0 && Math.abs(d) >= 0x1p-1021 && Math.abs(d) <= Double.MAX_VALUE) {
            if (err != 0) {
                c.mxcsr |= Sse.PE;
            }
            return Double.doubleToRawLongBits(d);
        }
        if (d == 0 || Double.isInfinite(d)) {
            return Double.doubleToRawLongBits(d);
        }
        return round(c, d, err, 0, false);
    }
}
