package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS (SDM Vol. 2A, special cases from their
 * result tables and, where the SDM says "undefined", what processors do).
 *
 * <p>Precision: special operands (NaNs, zeros, infinities, out-of-range arguments), exact cases
 * (log2 of a power of two, the multiples of π/4 FPATAN returns for zero and infinite operands) and
 * tiny arguments (where sin x, tan x, atan x round like x - ε or x + ε) are exact and honour the
 * rounding control. Other finite results are computed with {@link StrictMath} in double precision,
 * so they carry about 53 correct bits rather than the processor's 64; they report PE with C1 clear.
 * Trigonometric arguments are reduced exactly modulo π/2 as the processor represents it (a 66-bit
 * π), so large arguments give the hardware's results, not the mathematically exact ones; the
 * remainder enters the double computation with its 11 extra bits to first order. |x| ≥ 2^63 sets C2
 * and leaves ST(0) alone. Logarithms add the exponent exactly and multiply by ST(1) in exact 80-bit
 * arithmetic. {@code op} is the second opcode byte.
 */
final class X87Transcendental extends X87Insn {
    static final int F2XM1 = 0xf0, FYL2X = 0xf1, FPTAN = 0xf2, FPATAN = 0xf3, FYL2XP1 = 0xf9, FSINCOS = 0xfb,
            FSIN = 0xfe, FCOS = 0xff;
    private static final double LN2 = 0.6931471805599453;
    /** π and 3π/4 truncated to 64 bits; the bits that follow are above one half in both. */
    private static final long PI_M = 0xc90f_daa2_2168_c234L, PI3_4_M = 0x96cb_e3f9_990e_91a7L;
    /** ln(2) (× 2^-1) and log2(e) as 128-bit significands. */
    private static final long LN2_HI = 0xb172_17f7_d1cf_79abL, LN2_LO = 0xc9e3_b398_03f2_f6afL,
            L2E_HI = 0xb8aa_3b29_5c17_f0bbL, L2E_LO = 0xbe87_fed0_691d_3e88L;
    private static final int ONE_SE = 0x3fff;

    @Override
    void exec(Cpu c) {
        X87 x = begin(c);
        switch (op) {
            case F2XM1 -> twoToXMinusOne(x, x.f, x.top);
            case FYL2X, FYL2XP1 -> logarithm(x, x.f, x.top, op == FYL2XP1);
            case FPATAN -> arctangent(x, x.f, x.top);
            default -> trigonometric(x, x.f, x.top);
        }
    }

    /** Loads a double result (exact in 80 bits) with PE. */
    private static void setDouble(X87Float f, double v) {
        int saved = f.exc;
        X87Convert.fromDouble(f, Double.doubleToRawLongBits(v));
        f.exc = saved | PE;
    }

    /** The control word for exact helper operations: 64-bit precision, all masked, same rounding. */
    private static int full(int fcw) {
        return fcw | 0x33f;
    }

    /** Raises DE for a denormal operand; true when DE is unmasked and the instruction must stop. */
    private static boolean denormalStops(X87 x, X87Float f, int ca, int cb) {
        if (ca == DENORMAL || cb == DENORMAL) {
            f.exc |= DE;
            if ((x.fcw & DE) == 0) {
                x.commit(f.exc);
                return true;
            }
        }
        return false;
    }

    /** F2XM1: 2^x - 1 for -1 ≤ x ≤ 1; larger finite arguments are returned unchanged (with PE), as processors do. */
    private static void twoToXMinusOne(X87 x, X87Float f, int p0) {
        if (x.isEmpty(p0)) {
            if (x.commit(IE | SF)) {
                x.writeIndefinite(p0);
            }
            return;
        }
        long m = x.mant[p0];
        int s = x.se[p0];
        int cls = classify(m, s);
        if (cls >= QNAN) {
            f.nanResult(m, s, cls, 0, 0, ZERO);
        } else if (cls == ZERO) {
            f.result(m, s);
        } else if (cls == INF) {
            f.result(INT_BIT, (s & 0x8000) != 0 ? 0xbfff : 0x7fff); // 2^-inf - 1 = -1
        } else {
            if (denormalStops(x, f, cls, ZERO)) {
                return;
            }
            int e = exponent(m, s);
            boolean one = e == 0 && significand(m) == INT_BIT;
            if (e >= 0 && !one) {
                f.result(m, s);
                f.exc |= PE;
            } else if (one) {
                // 2^1 - 1 = 1 and 2^-1 - 1 = -0.5, flagged as processors do (PE, and C1 for +1).
                f.result(INT_BIT, (s & 0x8000) != 0 ? 0xbffe : 0x3fff);
                f.exc |= PE | ((s & 0x8000) != 0 ? 0 : C1);
            } else if (e < -70) {
                // 2^x - 1 = x ln 2 (1 + x ln 2 / 2 + ...): the correction is below the last bit.
                mulIrrational(f, m, s, LN2_HI, LN2_LO, -1, x.fcw);
                f.exc |= (f.se & 0x7fff) == 0 ? UE : 0;
            } else {
                setDouble(f, StrictMath.expm1(X87.decode(m, s) * LN2));
            }
        }
        if (x.commit(f.exc)) {
            x.write(p0, f.m, f.se);
        }
    }

    /** FYL2X: ST(1) × log2(ST(0)); FYL2XP1: ST(1) × log2(ST(0) + 1); then pop. */
    private static void logarithm(X87 x, X87Float f, int p0, boolean plusOne) {
        int p1 = (p0 + 1) & 7;
        if (x.isEmpty(p0) || x.isEmpty(p1)) {
            if (x.commit(IE | SF)) {
                x.writeIndefinite(p1);
                x.pop();
            }
            return;
        }
        long xm = x.mant[p0], ym = x.mant[p1];
        int xs = x.se[p0], ys = x.se[p1];
        int cx = classify(xm, xs), cy = classify(ym, ys);
        if (cx >= QNAN || cy >= QNAN) {
            f.nanResult(xm, xs, cx, ym, ys, cy);
        } else {
            boolean neg = (xs & 0x8000) != 0 && cx != ZERO;
            int cmpMinusOne = plusOne && neg ? X87Float.compare(xm, xs & 0x7fff, INT_BIT, ONE_SE) : -1;
            if (neg && (!plusOne || cmpMinusOne > 0 || cx == INF)) {
                f.invalid(); // logarithm of a negative number
            } else {
                boolean pole = plusOne ? cmpMinusOne == 0 : cx == ZERO;
                if (pole) {
                    // log2(0) = -inf: ±0 × -inf is invalid, a finite multiplier a zero divide (before DE).
                    if (cy == ZERO) {
                        f.invalid();
                    } else {
                        if (cy != INF) {
                            f.exc |= ZE;
                        }
                        f.infinity((ys >>> 15) ^ 1);
                    }
                } else {
                    if (denormalStops(x, f, cx, cy)) {
                        return;
                    }
                    product(f, plusOne, xm, xs, cx, ym, ys, cy, x.fcw);
                }
            }
        }
        if (x.commit(f.exc)) {
            x.write(p1, f.m, f.se);
            x.pop();
        }
    }

    /** ST(1) × log2(ST(0)) (or log2(ST(0) + 1)) for operands without a pole, NaN or invalid case. */
    private static void product(X87Float f, boolean plusOne, long xm, int xs, int cx, long ym, int ys, int cy, int fcw) {
        int before = f.exc;
        long lm;
        int ls;
        boolean inexact = false;
        if (cx == INF || cx == ZERO) {
            lm = xm; // log2(inf) = inf; log2(1 + ±0) = ±0
            ls = xs;
        } else if (plusOne) {
            if (exponent(xm, xs) < -70) {
                mulIrrational(f, xm, xs, L2E_HI, L2E_LO, 0, full(fcw)); // log2(1+x) = x log2(e)
            } else {
                setDouble(f, StrictMath.log1p(X87.decode(xm, xs)) / LN2);
            }
            lm = f.m;
            ls = f.se;
            inexact = true;
        } else {
            int e = exponent(xm, xs);
            long sig = significand(xm);
            if (sig == INT_BIT) {
                X87Convert.fromInteger(f, e); // powers of two have exact logarithms
            } else {
                setDouble(f, log2(e, sig));
            }
            lm = f.m;
            ls = f.se;
            inexact = e != 0 || sig != INT_BIT; // the processor flags PE unless log2(x) = 0
        }
        f.exc = before; // PE follows the processor's rule below
        X87Ops.mul(f, ym, ys, lm, ls, false, fcw | 0x300);
        if (inexact && cy != ZERO && cy != INF) {
            f.exc |= PE | ((f.se & 0x7fff) == 0 ? UE : 0);
        }
        f.exc &= ~C1;
    }

    /**
     * x × c for an irrational constant c = (cHi:cLo) × 2^(cExp-127) given to 128 bits, rounded once
     * to 64 bits under the rounding control (the bits beyond are never all zero); PE is raised.
     */
    private static void mulIrrational(X87Float f, long m, int s, long cHi, long cLo, int cExp, int fcw) {
        long sig = significand(m);
        int e = exponent(m, s) + cExp;
        long h1 = Math.unsignedMultiplyHigh(sig, cHi), l1 = sig * cHi;
        long mid = l1 + Math.unsignedMultiplyHigh(sig, cLo);
        long hi = h1 + (Long.compareUnsigned(mid, l1) < 0 ? 1 : 0);
        if (hi < 0) {
            e++;
        } else {
            hi = (hi << 1) | (mid >>> 63);
            mid <<= 1;
        }
        f.round(s >>> 15, e, hi, mid | 1, EXT, 64, (fcw >> 10) & 3, fcw);
        f.exc |= PE;
    }

    /** log2 of the positive value sig × 2^(e-63), not a power of two. */
    private static double log2(int e, long sig) {
        if (e == 0) { // x in (1, 2): log1p of the exact x - 1 keeps the relative accuracy
            return StrictMath.log1p(Math.scalb((double) (sig - INT_BIT), -63)) / LN2;
        }
        if (e == -1) { // x in (0.5, 1)
            return StrictMath.log1p(-Math.scalb((double) (-sig), -64)) / LN2;
        }
        return e + StrictMath.log(X87.decode(sig, 0x3fff)) / LN2;
    }

    /** FPATAN: ST(1) = arctan(ST(1) / ST(0)) in the quadrant of (ST(0), ST(1)), then pop. */
    private static void arctangent(X87 x, X87Float f, int p0) {
        int p1 = (p0 + 1) & 7;
        if (x.isEmpty(p0) || x.isEmpty(p1)) {
            if (x.commit(IE | SF)) {
                x.writeIndefinite(p1);
                x.pop();
            }
            return;
        }
        long xm = x.mant[p0], ym = x.mant[p1];
        int xs = x.se[p0], ys = x.se[p1];
        int cx = classify(xm, xs), cy = classify(ym, ys);
        if (cx >= QNAN || cy >= QNAN) {
            f.nanResult(xm, xs, cx, ym, ys, cy);
        } else if (!denormalStops(x, f, cx, cy)) {
            int ySign = ys & 0x8000;
            boolean xNeg = (xs & 0x8000) != 0;
            int rc = (x.fcw >> 10) & 3;
            if (cy == ZERO || cy == INF || cx == ZERO || cx == INF) {
                // Only signs and which operand is zero or infinite matter (SDM Table 3-30).
                if (cy == ZERO || (cx == INF && cy != INF)) {
                    if (xNeg) {
                        multipleOfQuarterPi(f, ySign, PI_M, 0x4000, rc); // ±π
                    } else {
                        f.zero(ySign >>> 15);
                    }
                } else if (cy == INF && cx == INF) {
                    if (xNeg) {
                        multipleOfQuarterPi(f, ySign, PI3_4_M, 0x4000, rc); // ±3π/4
                    } else {
                        multipleOfQuarterPi(f, ySign, PI_M, 0x3ffe, rc); // ±π/4
                    }
                } else {
                    multipleOfQuarterPi(f, ySign, PI_M, 0x3fff, rc); // ±π/2
                }
            } else if (!xNeg && exponent(ym, ys) - exponent(xm, xs) < -62) {
                // atan(t) = t - t³/3 with t³/3 below the last bit: an exact quotient rounds like
                // "just below |t|", an inexact one is already rounded.
                X87Ops.div(f, ym, ys, xm, xs, false, x.fcw | 0x300);
                if ((f.exc & PE) == 0 && classify(f.m, f.se) != ZERO) {
                    f.roundBeside(f.m, f.se, true, rc, x.fcw);
                }
                f.exc |= PE | ((f.se & 0x7fff) == 0 ? UE : 0);
            } else {
                // Scale both by the same power of two into double range: only their ratio matters.
                int k = Math.max(exponent(ym, ys), exponent(xm, xs));
                setDouble(f, StrictMath.atan2(scaled(ym, ys, k), scaled(xm, xs, k)));
            }
        }
        if (x.commit(f.exc)) {
            x.write(p1, f.m, f.se);
            x.pop();
        }
    }

    /** ±(a multiple of π/4 given by its truncated significand) rounded under RC; PE, and C1 when rounded up. */
    private static void multipleOfQuarterPi(X87Float f, int sign, long truncated, int exp, int rc) {
        boolean up = rc == RN || (rc == RU && sign == 0) || (rc == RD && sign != 0);
        f.result(truncated + (up ? 1 : 0), sign | exp);
        f.exc |= PE | (up ? C1 : 0);
    }

    private static double scaled(long m, int s, int k) {
        return Math.scalb(X87.decode(significand(m), (s & 0x8000) | 0x3fff), exponent(m, s) - k);
    }

    /** FPTAN (pushes 1.0), FSIN, FCOS, FSINCOS (ST(0) = sine, then cosine pushed). */
    private void trigonometric(X87 x, X87Float f, int p0) {
        boolean pushes = op == FPTAN || op == FSINCOS;
        if (x.isEmpty(p0) || (pushes && x.pushOverflows())) {
            int exc = x.isEmpty(p0) ? IE | SF : IE | SF | C1;
            x.fsw &= ~X87.C2;
            if (x.commit(exc)) {
                x.writeIndefinite(p0);
                if (pushes) {
                    x.push(INDEFINITE_MANT, INDEFINITE_SE);
                }
            }
            return;
        }
        long m = x.mant[p0];
        int s = x.se[p0];
        int cls = classify(m, s);
        int rc = (x.fcw >> 10) & 3;
        long rm, pm;
        int rs, ps;
        if (cls == NORMAL && exponent(m, s) >= 63) {
            x.commit(0);
            x.fsw |= X87.C2; // out of range: the operand is left for the program to reduce
            return;
        }
        x.fsw &= ~X87.C2;
        if (cls >= QNAN || cls == INF) {
            if (cls == INF) {
                f.invalid();
            } else {
                f.nanResult(m, s, cls, 0, 0, ZERO);
            }
            rm = pm = f.m; // FPTAN and FSINCOS push the same NaN
            rs = ps = f.se;
        } else {
            if (denormalStops(x, f, cls, ZERO)) {
                return;
            }
            boolean tiny = cls == ZERO || exponent(m, s) < -32;
            if (tiny) {
                // sin x = x - x³/6, tan x = x + x³/3, cos x = 1 - x²/2: exact up to the rounding.
                if (cls == ZERO) {
                    f.result(op == FCOS ? INT_BIT : m, op == FCOS ? ONE_SE : s);
                } else if (op != FCOS) {
                    f.roundBeside(m, s, op != FPTAN, rc, x.fcw);
                } else {
                    f.roundBeside(INT_BIT, ONE_SE, true, rc, x.fcw);
                }
                rm = f.m;
                rs = f.se;
                if (op == FSINCOS && cls != ZERO) {
                    f.roundBeside(INT_BIT, ONE_SE, true, rc, x.fcw);
                } else {
                    f.result(INT_BIT, ONE_SE);
                }
                pm = f.m;
                ps = f.se;
                if (cls != ZERO) {
                    f.exc |= PE;
                }
            } else {
                int q = reduce(f, m, s);
                double d = X87.decode(f.m, f.se);
                // r = d + dl exactly (dl has at most 11 bits); it enters to first order.
                long rMant = f.m;
                int rSe = f.se;
                X87Convert.fromDouble(f, Double.doubleToRawLongBits(d));
                int saved = f.exc;
                X87Ops.add(f, rMant, rSe, f.m, f.se, true, false, 0x37f);
                double dl = X87.decode(f.m, f.se);
                f.exc = saved;
                double sin = StrictMath.sin(d), cos = StrictMath.cos(d);
                double sinR = sin + cos * dl, cosR = cos - sin * dl;
                double neg = (s & 0x8000) != 0 ? -1 : 1;
                // sin and cos of x from those of the remainder and the quadrant q; tan is odd.
                double sinX = neg * switch (q) { case 0 -> sinR; case 1 -> cosR; case 2 -> -sinR; default -> -cosR; };
                double cosX = switch (q) { case 0 -> cosR; case 1 -> -sinR; case 2 -> -cosR; default -> sinR; };
                double primary;
                if (op == FPTAN) {
                    double t = StrictMath.tan(d);
                    double tanR = t + (1 + t * t) * dl;
                    primary = neg * ((q & 1) == 0 ? tanR : -1 / tanR);
                } else {
                    primary = op == FCOS ? cosX : sinX;
                }
                setDouble(f, primary);
                rm = f.m;
                rs = f.se;
                if (op == FSINCOS) {
                    setDouble(f, cosX);
                } else {
                    f.result(INT_BIT, ONE_SE);
                }
                pm = f.m;
                ps = f.se;
            }
        }
        if (x.commit(f.exc)) {
            x.write(p0, rm, rs);
            if (pushes) {
                x.push(pm, ps);
            }
        }
    }

    /** π/2 with the 66-bit significand the processor uses, as the integer P66 (value P66 × 2^-65). */
    private static final long HALF_PI_HI = PI_M >>> 62, HALF_PI_LO = (PI_M << 2) | 3;

    /**
     * Reduces |x| (finite, nonzero, below 2^63) to r = |x| - q·π/2 with |r| ≤ π/4, exactly with
     * respect to the processor's 66-bit π (so large arguments come out as on the hardware). Leaves r
     * in {@code f} (64 bits, nearest) and returns q mod 4.
     */
    private static int reduce(X87Float f, long m, int s) {
        int e = exponent(m, s);
        long sig = significand(m);
        if (e < -1) {
            f.result(m, s & 0x7fff);
            return 0;
        }
        // N = |x| × 2^65 as a (64 + shift)-bit integer; restoring division by P66 (< 2^66).
        int shift = e + 2;
        long nHi = shift == 64 ? sig : sig >>> (64 - shift);
        long nLo = shift == 64 ? 0 : sig << shift;
        long rHi = 0, rLo = 0, q = 0;
        for (int i = 63 + shift; i >= 0; i--) {
            long bit = i >= 64 ? (nHi >>> (i - 64)) & 1 : (nLo >>> i) & 1;
            rHi = (rHi << 1) | (rLo >>> 63);
            rLo = (rLo << 1) | bit;
            q <<= 1;
            if (rHi > HALF_PI_HI || (rHi == HALF_PI_HI && Long.compareUnsigned(rLo, HALF_PI_LO) >= 0)) {
                long borrow = Long.compareUnsigned(rLo, HALF_PI_LO) < 0 ? 1 : 0;
                rLo -= HALF_PI_LO;
                rHi -= HALF_PI_HI + borrow;
                q |= 1;
            }
        }
        // Round the quotient to nearest so that |r| ≤ π/4: compare 2R with P66.
        long twoHi = (rHi << 1) | (rLo >>> 63), twoLo = rLo << 1;
        int cmp = twoHi != HALF_PI_HI ? Long.compare(twoHi, HALF_PI_HI) : Long.compareUnsigned(twoLo, HALF_PI_LO);
        int sign = 0;
        if (cmp > 0 || (cmp == 0 && (q & 1) != 0)) {
            q++;
            long borrow = Long.compareUnsigned(HALF_PI_LO, rLo) < 0 ? 1 : 0;
            rLo = HALF_PI_LO - rLo;
            rHi = HALF_PI_HI - rHi - borrow;
            sign = 1;
        }
        if (rHi == 0 && rLo == 0) {
            f.zero(sign);
            return (int) q & 3;
        }
        int lz = rHi != 0 ? Long.numberOfLeadingZeros(rHi) : 64 + Long.numberOfLeadingZeros(rLo);
        long hi, lo;
        if (lz >= 64) {
            hi = rLo << (lz - 64);
            lo = 0;
        } else {
            hi = (rHi << lz) | (lz == 0 ? 0 : rLo >>> (64 - lz));
            lo = rLo << lz;
        }
        int saved = f.exc;
        f.round(sign, 127 - lz - 65, hi, lo, EXT, 64, RN, 0x37f);
        f.exc = saved;
        return (int) q & 3;
    }
}
