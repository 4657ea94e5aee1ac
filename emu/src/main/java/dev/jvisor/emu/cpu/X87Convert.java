package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * Conversions between the x87 register format and the memory formats (SDM Vol. 1 §4.2, §8.2;
 * Vol. 2A FLD, FILD, FST, FIST): exact loads of 16/32/64-bit integers and of singles and doubles,
 * and stores that round under the rounding control with the masked responses (integer indefinite,
 * QNaN indefinite, quieted NaNs keeping their upper payload). Results go to an {@link X87Float}.
 */
final class X87Convert {
    private X87Convert() {
    }

    /** Loads the exact 80-bit form of a signed 64-bit integer. */
    static void fromInteger(X87Float f, long v) {
        f.loadedDenormal = false;
        if (v == 0) {
            f.zero(0);
            return;
        }
        int sign = v < 0 ? 1 : 0;
        long mag = v < 0 ? -v : v; // Long.MIN_VALUE stays 2^63 as an unsigned magnitude
        int lz = Long.numberOfLeadingZeros(mag);
        f.result(mag << lz, (sign << 15) | (16383 + 63 - lz));
    }

    /**
     * Converts to an integer of {@code bytes} bytes (FIST/FISTP, SDM Vol. 2A): rounds under
     * {@code rc}; NaNs, infinities, unsupported formats and out-of-range values raise IE and give the
     * integer indefinite (the most negative value). Sets {@link #bits}.
     */
    static void toInteger(X87Float f, long mant, int signExp, int bytes, int rc) {
        int c = classify(mant, signExp);
        long indefinite = bytes == 8 ? Long.MIN_VALUE : -1L << (bytes * 8 - 1);
        if (c == ZERO) {
            f.bits = 0;
            return;
        }
        if (c != NORMAL && c != DENORMAL) {
            f.exc |= IE;
            f.bits = indefinite;
            return;
        }
        int saved = f.exc;
        long mag = f.roundToInteger(mant, signExp, rc);
        boolean neg = (signExp & 0x8000) != 0;
        long limit = bytes == 8 ? Long.MIN_VALUE : 1L << (bytes * 8 - 1); // |most negative value|
        boolean fits = mag != -1 && (neg ? Long.compareUnsigned(mag, limit) <= 0 : Long.compareUnsigned(mag, limit) < 0);
        if (!fits) {
            f.exc = saved | IE;
            f.bits = indefinite;
            return;
        }
        f.bits = neg ? -mag : mag;
    }

    // --- Memory formats --------------------------------------------------------------------------------

    /**
     * Converts a 64-bit double to the 80-bit format without raising anything (FLD m64fp and the m64fp
     * operands): the conversion is exact and an SNaN stays signaling, so the instruction using the
     * value applies its own rules; {@link #loadedDenormal} says whether the source was a denormal,
     * which raises DE (SDM Vol. 2A FLD, FADD).
     */
    static void fromDouble(X87Float f, long v) {
        int sign = (int) (v >>> 63);
        int e = (int) ((v >>> 52) & 0x7ff);
        long frac = v & 0xf_ffff_ffff_ffffL;
        f.loadedDenormal = false;
        if (e == 0x7ff) {
            f.result(INT_BIT | (frac << 11), (sign << 15) | 0x7fff);
        } else if (e == 0) {
            if (frac == 0) {
                f.zero(sign);
                return;
            }
            f.loadedDenormal = true;
            int lz = Long.numberOfLeadingZeros(frac);
            f.result(frac << lz, (sign << 15) | (16383 - 1022 - (lz - 11)));
        } else {
            f.result(INT_BIT | (frac << 11), (sign << 15) | (e - 1023 + 16383));
        }
    }

    /** Converts a 32-bit single, as {@link #fromDouble}. */
    static void fromSingle(X87Float f, int v) {
        int sign = v >>> 31;
        int e = (v >>> 23) & 0xff;
        long frac = v & 0x7f_ffffL;
        f.loadedDenormal = false;
        if (e == 0xff) {
            f.result(INT_BIT | (frac << 40), (sign << 15) | 0x7fff);
        } else if (e == 0) {
            if (frac == 0) {
                f.zero(sign);
                return;
            }
            f.loadedDenormal = true;
            int lz = Long.numberOfLeadingZeros(frac);
            f.result(frac << lz, (sign << 15) | (16383 - 126 - (lz - 40)));
        } else {
            f.result(INT_BIT | (frac << 40), (sign << 15) | (e - 127 + 16383));
        }
    }

    /** FLD m32fp/m64fp after {@link #fromDouble}/{@link #fromSingle}: an SNaN raises IE and loads quieted, a denormal raises DE. */
    static void checkLoaded(X87Float f) {
        if (classify(f.m, f.se) == SNAN) {
            f.exc |= IE;
            f.m |= 1L << 62;
        }
        if (f.loadedDenormal) {
            f.exc |= DE;
        }
    }

    /**
     * Rounds to a 64-bit double or 32-bit single ({@code fmt} {@link #DBL}/{@link #SGL}, FST/FSTP):
     * NaNs keep their sign and upper payload (an SNaN raises IE and is quieted), unsupported formats
     * give the indefinite. Sets {@link #bits}; returns false when an unmasked exception leaves
     * nothing to store.
     */
    static boolean toMemory(X87Float f, long mant, int signExp, int fmt, int fcw) {
        int sign = signExp >>> 15;
        boolean dbl = fmt == DBL;
        switch (classify(mant, signExp)) {
            case ZERO -> f.bits = dbl ? (long) sign << 63 : (long) sign << 31;
            case INF -> f.bits = dbl ? ((long) sign << 63) | 0x7ff0_0000_0000_0000L : ((long) sign << 31) | 0x7f80_0000L;
            case QNAN, SNAN -> {
                if ((mant & (1L << 62)) == 0) {
                    f.exc |= IE;
                }
                f.bits = dbl ? ((long) sign << 63) | 0x7ff8_0000_0000_0000L | ((mant << 1) >>> 12)
                        : ((long) sign << 31) | 0x7fc0_0000L | ((mant << 1) >>> 41);
            }
            case UNSUPPORTED -> {
                f.exc |= IE;
                f.bits = dbl ? 0xfff8_0000_0000_0000L : 0xffc0_0000L;
            }
            default -> f.round(sign, exponent(mant, signExp), significand(mant), 0, fmt, dbl ? 53 : 24,
                    (fcw >> 10) & 3, fcw);
        }
        return (f.exc & (IE | OE | UE) & ~fcw) == 0;
    }
}
