package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * The exactly rounded x87 operations on 80-bit values (SDM Vol. 2A instruction pages; special
 * cases from their "Results" tables): add/subtract, multiply, divide and square root honour the
 * precision and rounding controls; partial remainder, round-to-integer and scale are exact or
 * rounded to the full 64 bits. Each writes its result and exceptions into an {@link X87Float}.
 *
 * <p>Exception priority follows SDM Vol. 1 §4.9.2: unsupported operands and SNaNs (IE), then QNaN
 * propagation, then other invalid operations and zero divide, then the denormal operand (DE, which
 * stops the operation when unmasked), then overflow/underflow/precision. {@code extraDe} reports a
 * denormal memory operand that was already converted to a normal 80-bit value.
 */
final class X87Ops {
    private X87Ops() {
    }

    /** Raises DE for denormal operands; true when an unmasked DE stops the operation. */
    private static boolean denormal(X87Float f, int ca, int cb, boolean extraDe, int fcw) {
        if (ca == DENORMAL || cb == DENORMAL || extraDe) {
            f.exc |= DE;
            return (fcw & DE) == 0;
        }
        return false;
    }

    /** a + b, or a - b with {@code subtract} (FADD, FSUB, FSUBR, FIADD...). */
    static void add(X87Float f, long am, int ase, long bm, int bse, boolean subtract, boolean extraDe, int fcw) {
        int ca = classify(am, ase), cb = classify(bm, bse);
        if ((ca >= QNAN || cb >= QNAN) && f.nanResult(am, ase, ca, bm, bse, cb)) {
            return;
        }
        int sa = ase >>> 15, sb = (bse >>> 15) ^ (subtract ? 1 : 0);
        if (ca == INF || cb == INF) {
            if (ca == INF && cb == INF && sa != sb) {
                f.invalid();
                return;
            }
            if (denormal(f, ca, cb, extraDe, fcw)) {
                return;
            }
            f.infinity(ca == INF ? sa : sb);
            return;
        }
        if (denormal(f, ca, cb, extraDe, fcw)) {
            return;
        }
        int rc = (fcw >> 10) & 3;
        int p = precision(fcw);
        if (ca == ZERO && cb == ZERO) {
            f.zero(sa == sb ? sa : rc == RD ? 1 : 0);
            return;
        }
        if (cb == ZERO) {
            f.round(sa, exponent(am, ase), significand(am), 0, EXT, p, rc, fcw);
            return;
        }
        if (ca == ZERO) {
            f.round(sb, exponent(bm, bse), significand(bm), 0, EXT, p, rc, fcw);
            return;
        }
        int ea = exponent(am, ase), eb = exponent(bm, bse);
        long ma = significand(am), mb = significand(bm);
        if (ea < eb || (ea == eb && Long.compareUnsigned(ma, mb) < 0)) {
            int t = ea; ea = eb; eb = t;
            long u = ma; ma = mb; mb = u;
            t = sa; sa = sb; sb = t;
        }
        int d = ea - eb;
        long bh, bl;
        if (d == 0) {
            bh = mb;
            bl = 0;
        } else if (d < 64) {
            bh = mb >>> d;
            bl = mb << (64 - d);
        } else if (d == 64) {
            bh = 0;
            bl = mb;
        } else if (d < 128) {
            // Bits shifted out only matter as a sticky bit far below every rounding position.
            bh = 0;
            bl = (mb >>> (d - 64)) | ((mb << (128 - d)) != 0 ? 1 : 0);
        } else {
            bh = 0;
            bl = 1;
        }
        long hi, lo;
        int e = ea;
        if (sa == sb) {
            lo = bl;
            hi = ma + bh;
            if (Long.compareUnsigned(hi, ma) < 0) {
                lo = (lo >>> 1) | (hi << 63) | (lo & 1);
                hi = (hi >>> 1) | INT_BIT;
                e++;
            }
        } else {
            lo = -bl;
            hi = ma - bh - (bl != 0 ? 1 : 0);
            if (hi == 0 && lo == 0) {
                f.zero(rc == RD ? 1 : 0); // exact cancellation (SDM Vol. 1 §4.8.3.1)
                return;
            }
            int s = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
            if (s >= 64) {
                hi = lo << (s - 64);
                lo = 0;
            } else if (s > 0) {
                hi = (hi << s) | (lo >>> (64 - s));
                lo <<= s;
            }
            e -= s;
        }
        f.round(sa, e, hi, lo, EXT, p, rc, fcw);
    }

    /** a × b (FMUL, FIMUL). */
    static void mul(X87Float f, long am, int ase, long bm, int bse, boolean extraDe, int fcw) {
        int ca = classify(am, ase), cb = classify(bm, bse);
        if ((ca >= QNAN || cb >= QNAN) && f.nanResult(am, ase, ca, bm, bse, cb)) {
            return;
        }
        if ((ca == INF && cb == ZERO) || (ca == ZERO && cb == INF)) {
            f.invalid();
            return;
        }
        if (denormal(f, ca, cb, extraDe, fcw)) {
            return;
        }
        int s = (ase ^ bse) >>> 15;
        if (ca == INF || cb == INF) {
            f.infinity(s);
            return;
        }
        if (ca == ZERO || cb == ZERO) {
            f.zero(s);
            return;
        }
        long ma = significand(am), mb = significand(bm);
        int e = exponent(am, ase) + exponent(bm, bse);
        long hi = Math.unsignedMultiplyHigh(ma, mb);
        long lo = ma * mb;
        if (hi < 0) {
            e++;
        } else {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
        }
        f.round(s, e, hi, lo, EXT, precision(fcw), (fcw >> 10) & 3, fcw);
    }

    /** a ÷ b (FDIV, FDIVR, FIDIV...). */
    static void div(X87Float f, long am, int ase, long bm, int bse, boolean extraDe, int fcw) {
        int ca = classify(am, ase), cb = classify(bm, bse);
        if ((ca >= QNAN || cb >= QNAN) && f.nanResult(am, ase, ca, bm, bse, cb)) {
            return;
        }
        if ((ca == INF && cb == INF) || (ca == ZERO && cb == ZERO)) {
            f.invalid();
            return;
        }
        int s = (ase ^ bse) >>> 15;
        if (cb == ZERO && ca != INF) {
            f.exc |= ZE;
            f.infinity(s);
            return;
        }
        if (denormal(f, ca, cb, extraDe, fcw)) {
            return;
        }
        if (ca == INF) {
            f.infinity(s);
            return;
        }
        if (cb == INF || ca == ZERO) {
            f.zero(s);
            return;
        }
        long n = significand(am), d = significand(bm);
        int e = exponent(am, ase) - exponent(bm, bse);
        long q, r;
        int steps;
        if (Long.compareUnsigned(n, d) >= 0) {
            q = 1;
            r = n - d;
            steps = 63;
        } else {
            q = 0;
            r = n;
            steps = 64;
            e--;
        }
        // Restoring division: one quotient bit per step, the remainder staying below d.
        for (int i = 0; i < steps; i++) {
            boolean carry = r < 0;
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, d) >= 0) {
                r -= d;
                q |= 1;
            }
        }
        long half = d - r; // the remainder is at least half of d when r >= d - r
        int cmp = Long.compareUnsigned(r, half);
        long lo = (cmp >= 0 ? INT_BIT : 0) | (r != 0 && cmp != 0 ? 1 : 0);
        f.round(s, e, q, lo, EXT, precision(fcw), (fcw >> 10) & 3, fcw);
    }

    /** √a (FSQRT). */
    static void sqrt(X87Float f, long am, int ase, int fcw) {
        int ca = classify(am, ase);
        if (ca >= QNAN && f.nanResult(am, ase, ca, 0, 0, ZERO)) {
            return;
        }
        if (ca == ZERO) {
            f.result(am, ase);
            return;
        }
        if ((ase & 0x8000) != 0) {
            f.invalid();
            return;
        }
        if (denormal(f, ca, ZERO, false, fcw)) {
            return;
        }
        if (ca == INF) {
            f.result(am, ase);
            return;
        }
        int e = exponent(am, ase);
        long sig = significand(am);
        // Radicand R (128 bits) with value = R × 2^(even power); the root's top bit weighs 2^eRes.
        long rh, rl;
        int eRes;
        if ((e & 1) != 0) {
            rh = sig;
            rl = 0;
            eRes = (e - 1) >> 1;
        } else {
            rh = sig >>> 1;
            rl = sig << 63;
            eRes = e >> 1;
        }
        // Digit-by-digit square root: two radicand bits per root bit; remainder < 2^67 in (remHi, remLo).
        long root = 0, remHi = 0, remLo = 0;
        for (int i = 63; i >= 0; i--) {
            int two = i >= 32 ? (int) (rh >>> (2 * i - 64)) & 3 : (int) (rl >>> (2 * i)) & 3;
            remHi = (remHi << 2) | (remLo >>> 62);
            remLo = (remLo << 2) | two;
            long trialHi = root >>> 62, trialLo = (root << 2) | 1;
            if (remHi > trialHi || (remHi == trialHi && Long.compareUnsigned(remLo, trialLo) >= 0)) {
                long borrow = Long.compareUnsigned(remLo, trialLo) < 0 ? 1 : 0;
                remLo -= trialLo;
                remHi -= trialHi + borrow;
                root = (root << 1) | 1;
            } else {
                root <<= 1;
            }
        }
        // The next root bit is 1 exactly when the remainder exceeds the root (never an exact half).
        boolean roundBit = remHi != 0 || Long.compareUnsigned(remLo, root) > 0;
        long lo = (roundBit ? INT_BIT : 0) | (remHi != 0 || remLo != 0 ? 1 : 0);
        f.round(0, eRes, root, lo, EXT, precision(fcw), (fcw >> 10) & 3, fcw);
    }

    /**
     * FPREM ({@code ieee} false: quotient truncated) and FPREM1 ({@code ieee}: quotient rounded to
     * nearest even) of a = ST(0) by b = ST(1). Exact. When the exponents differ by 64 or more only a
     * partial reduction is done: the quotient is taken to N = 32 + (difference mod 32) bits, so the
     * difference drops to a multiple of 32 (the processors' choice within the SDM's "32 to 63").
     * Returns the condition bits: C2 for a partial result, else C0/C3/C1 = quotient bits 2/1/0; -1 for
     * a NaN or invalid result, after which only C2 is cleared.
     */
    static int remainder(X87Float f, long am, int ase, long bm, int bse, boolean ieee, int fcw) {
        int ca = classify(am, ase), cb = classify(bm, bse);
        if ((ca >= QNAN || cb >= QNAN) && f.nanResult(am, ase, ca, bm, bse, cb)) {
            return -1;
        }
        if (ca == INF || cb == ZERO) {
            f.invalid();
            return -1;
        }
        if (denormal(f, ca, cb, false, fcw)) {
            return 0;
        }
        int sign = ase >>> 15;
        int rc = (fcw >> 10) & 3;
        if (ca == ZERO) {
            f.result(am, ase);
            return 0;
        }
        int ea = exponent(am, ase), eb = cb == INF ? Integer.MAX_VALUE : exponent(bm, bse);
        long ma = significand(am), mb = significand(bm);
        int d = cb == INF ? -2 : ea - eb;
        if (d < 0) {
            if (ieee && d == -1 && Long.compareUnsigned(ma, mb) > 0) {
                // |a| > |b|/2: the quotient rounds to 1 and the remainder is -(|b| - |a|).
                long hi = mb - (ma >>> 1) - (((ma & 1) != 0) ? 1 : 0);
                long lo = (ma & 1) != 0 ? INT_BIT : 0;
                int s = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
                if (s >= 64) {
                    hi = lo << (s - 64);
                    lo = 0;
                } else if (s > 0) {
                    hi = (hi << s) | (lo >>> (64 - s));
                    lo <<= s;
                }
                f.round(sign ^ 1, eb - s, hi, lo, EXT, 64, rc, fcw);
                return 0x200; // quotient 1: C1 = Q0
            }
            f.round(sign, ea, ma, 0, EXT, 64, rc, fcw); // the dividend itself, normalized
            return 0;
        }
        boolean partial = d >= 64;
        int n = partial ? 32 + (d & 31) : d;
        long r = ma, q = 0;
        if (Long.compareUnsigned(r, mb) >= 0) {
            r -= mb;
            q = 1;
        }
        for (int i = 0; i < n; i++) {
            boolean carry = r < 0;
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, mb) >= 0) {
                r -= mb;
                q |= 1;
            }
        }
        if (ieee && !partial) {
            int cmp = Long.compareUnsigned(r, mb - r);
            if (cmp > 0 || (cmp == 0 && (q & 1) != 0)) {
                q++;
                r = mb - r;
                sign ^= 1;
            }
        }
        if (r == 0) {
            f.zero(ase >>> 15);
        } else {
            int lz = Long.numberOfLeadingZeros(r);
            f.round(sign, eb + d - n - lz, r << lz, 0, EXT, 64, rc, fcw);
        }
        if (partial) {
            return 0x400;
        }
        return ((q & 4) != 0 ? 0x100 : 0) | ((q & 2) != 0 ? 0x4000 : 0) | ((q & 1) != 0 ? 0x200 : 0);
    }

    /** FRNDINT: rounds to an integer under the rounding control (full precision, PE when inexact). */
    static void roundToInteger(X87Float f, long am, int ase, int fcw) {
        int ca = classify(am, ase);
        if (ca >= QNAN && f.nanResult(am, ase, ca, 0, 0, ZERO)) {
            return;
        }
        if (denormal(f, ca, ZERO, false, fcw)) {
            return;
        }
        if (ca == ZERO || ca == INF) {
            f.result(am, ase);
            return;
        }
        long mag = f.roundToInteger(am, ase, (fcw >> 10) & 3);
        if (mag == -1 || exponent(am, ase) >= 63) {
            f.result(am, ase); // already an integer
        } else if (mag == 0) {
            f.zero(ase >>> 15);
        } else {
            int lz = Long.numberOfLeadingZeros(mag);
            f.result(mag << lz, (ase & 0x8000) | (16383 + 63 - lz));
        }
    }

    /** FSCALE: a × 2^trunc(b), rounded to 64 bits (SDM Vol. 2A FSCALE, Table 3-38). */
    static void scale(X87Float f, long am, int ase, long bm, int bse, int fcw) {
        int ca = classify(am, ase), cb = classify(bm, bse);
        if ((ca >= QNAN || cb >= QNAN) && f.nanResult(am, ase, ca, bm, bse, cb)) {
            return;
        }
        boolean bNeg = (bse & 0x8000) != 0;
        if ((ca == INF && cb == INF && bNeg) || (ca == ZERO && cb == INF && !bNeg)) {
            f.invalid();
            return;
        }
        if (denormal(f, ca, cb, false, fcw)) {
            return;
        }
        int sa = ase >>> 15;
        if (ca == INF || ca == ZERO) {
            f.result(am, ase);
            return;
        }
        if (cb == INF) {
            if (bNeg) {
                f.zero(sa);
            } else {
                f.infinity(sa);
            }
            return;
        }
        int n = 0;
        if (cb != ZERO) {
            int eb = exponent(bm, bse);
            if (eb >= 20) {
                n = 1 << 20; // far beyond the exponent range either way
            } else if (eb >= 0) {
                n = (int) (significand(bm) >>> (63 - eb));
            }
            if (bNeg) {
                n = -n;
            }
        }
        f.round(sa, exponent(am, ase) + n, significand(am), 0, EXT, 64, (fcw >> 10) & 3, fcw);
    }
}
