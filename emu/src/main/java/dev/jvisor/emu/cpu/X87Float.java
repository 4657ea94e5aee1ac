package dev.jvisor.emu.cpu;

/**
 * The core of the software x87 (SDM Vol. 1 §4.2.2, §4.8, §8.2): the classes of the double-extended
 * format, correct rounding of exact results to 24/53/64-bit significands in every rounding mode
 * (into the register format or a 32/64-bit memory format), the masked and unmasked overflow and
 * underflow responses, NaN propagation, rounding to integers and comparison. {@link X87Ops} builds
 * the arithmetic on it, {@link X87Convert} the memory-format conversions.
 *
 * <p>A value is the pair ({@code m}, {@code se}) of an 80-bit register: {@code m} the 64-bit
 * significand with its explicit integer bit, {@code se} the sign (bit 15) and biased exponent. One
 * instance per FPU holds the outcome of the last operation in {@link #m}/{@link #se} (or
 * {@link #bits} for 32/64-bit memory formats) and the exceptions it raised in {@link #exc}, so no
 * operation allocates. Exception bits use the FSW positions; {@link #C1} reports "rounded up"
 * (SDM Vol. 1 §8.1.3.1), {@link #SF} a stack fault.
 */
final class X87Float {
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, SF = 64, C1 = 0x200;
    /** Operand classes, ordered so that every class from {@link #QNAN} on needs NaN handling. */
    static final int ZERO = 0, NORMAL = 1, DENORMAL = 2, INF = 3, QNAN = 4, SNAN = 5, UNSUPPORTED = 6;
    /** Destination formats of {@link #round}. */
    static final int EXT = 0, DBL = 1, SGL = 2;
    /** Rounding control values (FCW bits 10-11). */
    static final int RN = 0, RD = 1, RU = 2, RZ = 3;
    static final long INDEFINITE_MANT = 0xc000_0000_0000_0000L;
    static final int INDEFINITE_SE = 0xffff;
    static final long INT_BIT = 1L << 63;
    /** Unmasked overflow/underflow rebias the exponent of a register result (SDM Vol. 1 §4.9.1.4-5). */
    static final int REBIAS = 24576;

    long m;
    int se;
    /** A 32- or 64-bit memory-format result. */
    long bits;
    int exc;
    /** Whether the last {@link X87Convert#fromDouble}/{@link X87Convert#fromSingle} source was a denormal. */
    boolean loadedDenormal;

    // shiftRound's side results
    private boolean rnd;
    private boolean stk;

    // --- Classification ------------------------------------------------------------------------------

    static int classify(long m, int se) {
        int e = se & 0x7fff;
        if (e == 0x7fff) {
            if (m >= 0) {
                return UNSUPPORTED; // pseudo-infinity or pseudo-NaN
            }
            if ((m << 1) == 0) {
                return INF;
            }
            return (m & (1L << 62)) != 0 ? QNAN : SNAN;
        }
        if (e == 0) {
            return m == 0 ? ZERO : DENORMAL; // includes pseudo-denormals (integer bit set)
        }
        return m < 0 ? NORMAL : UNSUPPORTED; // unnormal
    }

    /** Unbiased exponent of the normalized significand of a finite nonzero value. */
    static int exponent(long m, int se) {
        return Math.max(se & 0x7fff, 1) - 16383 - Long.numberOfLeadingZeros(m);
    }

    /** The significand of a finite nonzero value shifted so that bit 63 is set. */
    static long significand(long m) {
        return m << Long.numberOfLeadingZeros(m);
    }

    /** Significand bits for the precision-control field (SDM Vol. 1 §8.1.5.2; the reserved 01 acts as 64). */
    static int precision(int fcw) {
        return switch ((fcw >> 8) & 3) {
            case 0 -> 24;
            case 2 -> 53;
            default -> 64;
        };
    }

    // --- Results ---------------------------------------------------------------------------------------

    void result(long mant, int signExp) {
        m = mant;
        se = signExp;
    }

    void zero(int sign) {
        result(0, sign << 15);
    }

    void infinity(int sign) {
        result(INT_BIT, (sign << 15) | 0x7fff);
    }

    /** The invalid-operation response: IE and the QNaN floating-point indefinite. */
    void invalid() {
        exc |= IE;
        result(INDEFINITE_MANT, INDEFINITE_SE);
    }

    /**
     * NaN and unsupported-operand handling for one or two operands (SDM Vol. 1 Table 4-7 and §8.5.1.2):
     * an unsupported format gives the indefinite, an SNaN raises IE and is quieted, of two NaNs the
     * one with the larger significand wins (a QNaN over an SNaN). Returns false when neither operand
     * needs it.
     */
    boolean nanResult(long am, int ase, int ca, long bm, int bse, int cb) {
        if (ca == UNSUPPORTED || cb == UNSUPPORTED) {
            invalid();
            return true;
        }
        boolean aNaN = ca == QNAN || ca == SNAN;
        boolean bNaN = cb == QNAN || cb == SNAN;
        if (!aNaN && !bNaN) {
            return false;
        }
        if (ca == SNAN || cb == SNAN) {
            exc |= IE;
        }
        boolean pickA;
        if (aNaN && bNaN) {
            if (ca != cb) {
                pickA = ca == QNAN;
            } else {
                long qa = am | (1L << 62), qb = bm | (1L << 62);
                pickA = qa != qb ? Long.compareUnsigned(qa, qb) > 0 : (ase & 0x8000) == 0;
            }
        } else {
            pickA = aNaN;
        }
        if (pickA) {
            result(am | (1L << 62), ase);
        } else {
            result(bm | (1L << 62), bse);
        }
        return true;
    }

    // --- Rounding --------------------------------------------------------------------------------------

    /**
     * Returns {@code (hi:lo) >>> shift} for {@code shift >= 64} and records the first bit shifted out
     * ({@link #rnd}) and whether any later one is set ({@link #stk}).
     */
    private long shiftRound(long hi, long lo, int shift) {
        if (shift == 64) {
            rnd = lo < 0;
            stk = (lo << 1) != 0;
            return hi;
        }
        if (shift < 128) {
            int s = shift - 64;
            rnd = ((hi >>> (s - 1)) & 1) != 0;
            stk = (hi & ((1L << (s - 1)) - 1)) != 0 || lo != 0;
            return hi >>> s;
        }
        if (shift == 128) {
            rnd = hi < 0;
            stk = (hi << 1) != 0 || lo != 0;
            return 0;
        }
        rnd = false;
        stk = hi != 0 || lo != 0;
        return 0;
    }

    private boolean roundsUp(int sign, long kept, int rc) {
        return switch (rc) {
            case RN -> rnd && (stk || (kept & 1) != 0);
            case RD -> (rnd || stk) && sign != 0;
            case RU -> (rnd || stk) && sign == 0;
            default -> false;
        };
    }

    /**
     * Rounds the nonzero exact value {@code (-1)^sign × hi:lo × 2^(e-127)} (a 128-bit significand with
     * bit 127 set, so bit 127 weighs {@code 2^e}) to {@code p} significand bits in format {@code fmt}
     * under rounding control {@code rc}, with the masked and unmasked overflow/underflow responses of
     * SDM Vol. 1 §4.9.1.4-6 ({@code fcw} supplies the masks). Tininess is detected after rounding, as
     * on Intel and AMD processors. EXT results go to {@link #m}/{@link #se}, others to {@link #bits};
     * an unmasked overflow or underflow for a memory format leaves no result (the caller stores
     * nothing).
     */
    void round(int sign, int e, long hi, long lo, int fmt, int p, int rc, int fcw) {
        int emin, emax, lsbMin;
        switch (fmt) {
            case EXT -> { emin = -16382; emax = 16383; lsbMin = -16382 - 63; }
            case DBL -> { emin = -1022; emax = 1023; lsbMin = -1074; }
            default -> { emin = -126; emax = 127; lsbMin = -149; }
        }
        boolean tiny = e < emin;
        if (tiny && e == emin - 1) {
            // Would rounding to p bits with an unbounded exponent carry up to 2^emin?
            long k = shiftRound(hi, lo, 128 - p);
            if (k == (-1L >>> (64 - p)) && roundsUp(sign, k, rc)) {
                tiny = false;
            }
        }
        if (tiny && (fcw & UE) == 0) {
            exc |= UE;
            if (fmt != EXT) {
                return; // a memory destination is left unwritten
            }
            if (!roundUnbounded(sign, e, hi, lo, p, rc, REBIAS)) {
                exc = (exc & ~C1) | PE; // beyond even the rebiased range: a zero, whatever RC says
                zero(sign);
            }
            return;
        }
        // Below 2^emin the significand is denormalized: its last bit stays at emin - p + 1.
        int lsb = Math.max(e, emin) - p + 1;
        long kept = shiftRound(hi, lo, lsb - e + 127);
        boolean inexact = rnd || stk;
        if (roundsUp(sign, kept, rc)) {
            exc |= C1;
            kept++;
            if (kept == 0) {
                kept = INT_BIT;
                lsb++;
            }
        }
        if (inexact) {
            exc |= PE;
            if (tiny) {
                exc |= UE;
            }
        }
        if (kept == 0) {
            packZero(sign, fmt);
            return;
        }
        int bitlen = 64 - Long.numberOfLeadingZeros(kept);
        int eRes = lsb + bitlen - 1;
        if (eRes > emax) {
            exc &= ~C1;
            if ((fcw & OE) == 0) {
                exc |= OE;
                if (fmt != EXT) {
                    exc &= ~PE; // nothing is stored, and no precision exception is reported
                    return;
                }
                if (!roundUnbounded(sign, e, hi, lo, p, rc, -REBIAS)) {
                    exc |= PE | C1; // beyond even the rebiased range: an infinity, whatever RC says
                    infinity(sign);
                }
                return;
            }
            exc |= OE | PE;
            boolean toInfinity = rc == RN || (rc == RU && sign == 0) || (rc == RD && sign != 0);
            if (toInfinity) {
                exc |= C1;
            }
            packLargest(sign, fmt, p, toInfinity);
            return;
        }
        if (eRes < emin) {
            long frac = kept << (lsb - lsbMin);
            switch (fmt) {
                case EXT -> result(frac, sign << 15);
                case DBL -> bits = ((long) sign << 63) | frac;
                default -> bits = ((long) sign << 31) | frac;
            }
            return;
        }
        switch (fmt) {
            case EXT -> result(kept << (64 - bitlen), (sign << 15) | (eRes + 16383));
            case DBL -> bits = ((long) sign << 63) | ((long) (eRes + 1023) << 52)
                    | ((kept << (53 - bitlen)) & 0xf_ffff_ffff_ffffL);
            default -> bits = ((long) sign << 31) | ((long) (eRes + 127) << 23) | ((kept << (24 - bitlen)) & 0x7f_ffffL);
        }
    }

    /**
     * Register result of an unmasked overflow/underflow: rounded normally with the exponent rebiased
     * by ±24576. Returns false (leaving no result) when even the rebiased exponent does not fit.
     */
    private boolean roundUnbounded(int sign, int e, long hi, long lo, int p, int rc, int rebias) {
        int lsb = e - p + 1;
        long kept = shiftRound(hi, lo, lsb - e + 127);
        boolean up = roundsUp(sign, kept, rc);
        if (up && ++kept == 0) {
            kept = INT_BIT;
            lsb++;
        }
        int bitlen = 64 - Long.numberOfLeadingZeros(kept);
        int biased = lsb + bitlen - 1 + 16383 + rebias;
        if (biased < 1 || biased > 0x7ffe) {
            return false;
        }
        if (rnd || stk) {
            exc |= PE;
        }
        if (up) {
            exc |= C1;
        }
        result(kept << (64 - bitlen), (sign << 15) | biased);
        return true;
    }

    private void packZero(int sign, int fmt) {
        switch (fmt) {
            case EXT -> zero(sign);
            case DBL -> bits = (long) sign << 63;
            default -> bits = (long) sign << 31;
        }
    }

    private void packLargest(int sign, int fmt, int p, boolean infinity) {
        switch (fmt) {
            case EXT -> {
                if (infinity) {
                    infinity(sign);
                } else {
                    result(-1L << (64 - p), (sign << 15) | 0x7ffe);
                }
            }
            case DBL -> bits = ((long) sign << 63) | (infinity ? 0x7ff0_0000_0000_0000L : 0x7fef_ffff_ffff_ffffL);
            default -> bits = ((long) sign << 31) | (infinity ? 0x7f80_0000L : 0x7f7f_ffffL);
        }
    }

    /**
     * Rounds a value just beside the finite nonzero {@code (mant, signExp)}: its magnitude minus
     * ({@code below}) or plus an amount far smaller than any rounding position, to 64 bits under
     * {@code rc}. This is how x - x³/6 (the sine of a tiny x) and similar results round in every mode.
     */
    void roundBeside(long mant, int signExp, boolean below, int rc, int fcw) {
        int e = exponent(mant, signExp);
        long hi = significand(mant), lo = 1;
        if (below) {
            hi--;
            lo = -1;
            if (hi >= 0) { // was exactly a power of two: renormalize
                hi = (hi << 1) | 1;
                e--;
            }
        }
        round(signExp >>> 15, e, hi, lo, EXT, 64, rc, fcw);
    }

    // --- Integer rounding ------------------------------------------------------------------------------

    /**
     * Rounds the magnitude of a finite nonzero value to an integer under {@code rc}; sets PE and C1 in
     * {@link #exc}. Returns the unsigned magnitude, or -1 when it does not fit in 64 bits.
     */
    long roundToInteger(long mant, int signExp, int rc) {
        int e = exponent(mant, signExp);
        if (e > 63) {
            return -1;
        }
        long kept = shiftRound(significand(mant), 0, 127 - e);
        if (rnd || stk) {
            exc |= PE;
        }
        if (roundsUp(signExp >>> 15, kept, rc)) {
            exc |= C1;
            if (++kept == 0) {
                return -1;
            }
        }
        return kept;
    }

    // --- Comparison ------------------------------------------------------------------------------------

    /**
     * Compares two values that are not NaNs or unsupported: -1, 0 or 1 (zeros of either sign are equal,
     * SDM Vol. 1 §4.8.3.1).
     */
    static int compare(long am, int ase, long bm, int bse) {
        boolean az = am == 0 && (ase & 0x7fff) == 0;
        boolean bz = bm == 0 && (bse & 0x7fff) == 0;
        if (az && bz) {
            return 0;
        }
        int sa = az ? 0 : (ase & 0x8000) != 0 ? -1 : 1;
        int sb = bz ? 0 : (bse & 0x8000) != 0 ? -1 : 1;
        if (sa != sb) {
            return sa < sb ? -1 : 1;
        }
        int mag = Integer.compare(magnitudeExponent(am, ase), magnitudeExponent(bm, bse));
        if (mag == 0) {
            mag = Long.compareUnsigned(significand(am), significand(bm));
        }
        return sa < 0 ? -mag : mag;
    }

    private static int magnitudeExponent(long m, int se) {
        return (se & 0x7fff) == 0x7fff ? Integer.MAX_VALUE : exponent(m, se);
    }
}
