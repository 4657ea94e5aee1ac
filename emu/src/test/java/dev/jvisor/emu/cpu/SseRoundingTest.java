package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Differential test of ADD/SUB/MUL/DIV/SQRT SS/SD against an independent reference: thousands of
 * random operands (denormals, extreme exponents, near-cancellations) in all four rounding modes,
 * with and without flush-to-zero, run as real guest instructions in a loop. The reference rounds
 * the exact result (BigDecimal comparisons) and derives overflow and tininess from thresholds,
 * which is a different method from the emulator's bit-level rounding.
 */
class SseRoundingTest extends SseTest {
    private static final long TABLE = 0x200000;
    private static final int RECORD = 32;
    private static final int[] OPCODES = {0x58, 0x5c, 0x59, 0x5e, 0x51}; // add, sub, mul, div, sqrt

    @Test
    void singlePrecisionMatchesTheReference() {
        for (int opcode : OPCODES) {
            check(false, opcode, 3000, 11 + opcode);
        }
    }

    @Test
    void doublePrecisionMatchesTheReference() {
        for (int opcode : OPCODES) {
            check(true, opcode, 3000, 17 + opcode);
        }
    }

    private record Case(long a, long b, int mxcsr) {
    }

    private static void check(boolean dbl, int opcode, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long a = dbl ? randomDouble(rnd) : randomFloat(rnd);
            long b;
            int kind = rnd.nextInt(8);
            if ((opcode == 0x59 || opcode == 0x5e) && kind < 3) {
                // Results within a few ulps of the smallest normal or the largest finite value.
                double x = (1 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
                double limit = kind == 2 ? (dbl ? Double.MAX_VALUE : Float.MAX_VALUE)
                        : (dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL);
                double target = limit * (1 + rnd.nextInt(-8, 9) * (dbl ? 0x1p-53 : 0x1p-24));
                double y = opcode == 0x59 ? target / x : x / target;
                a = dbl ? Double.doubleToRawLongBits(x) : Float.floatToRawIntBits((float) x) & 0xffff_ffffL;
                b = dbl ? Double.doubleToRawLongBits(y) : Float.floatToRawIntBits((float) y) & 0xffff_ffffL;
            } else if (kind < 5) { // close to a: cancellation and ties
                b = a + rnd.nextInt(-3, 4);
                if (rnd.nextBoolean()) {
                    b ^= dbl ? Long.MIN_VALUE : 0x8000_0000L;
                }
            } else {
                b = dbl ? randomDouble(rnd) : randomFloat(rnd);
            }
            if (opcode == 0x51) {
                b &= dbl ? Long.MAX_VALUE : 0x7fff_ffffL;
            }
            if (!finiteNonZero(a, dbl) || !finiteNonZero(b, dbl)) {
                continue;
            }
            int mx = XMM_MASKED | rnd.nextInt(4) << 13 | (rnd.nextInt(4) == 0 ? Sse.FTZ : 0);
            cases.add(new Case(a, b, mx));
        }
        ByteBuffer buf = ByteBuffer.allocate(cases.size() * RECORD).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            buf.putLong(i * RECORD, c.a).putLong(i * RECORD + 8, c.b).putInt(i * RECORD + 16, c.mxcsr);
        }
        int prefix = dbl ? 0xf2 : 0xf3;
        Asm a = code();
        a.mov(RBX, TABLE).mov(RCX, cases.size());
        Label loop = a.here();
        rm(a, 0, 0xae, 2, 16);          // ldmxcsr [rbx+16]
        rm(a, prefix, 0x10, 0, 0);      // movss/movsd xmm0, [rbx]
        rm(a, prefix, 0x10, 1, 8);      // movss/movsd xmm1, [rbx+8]
        rr(a, prefix, opcode, 0, 1);    // op xmm0, xmm1
        rm(a, prefix, 0x11, 0, 24);     // movss/movsd [rbx+24], xmm0
        rm(a, 0, 0xae, 3, 20);          // stmxcsr [rbx+20]
        a.add(RBX, RECORD).loop(loop);
        try (CpuHarness h = run(a, s -> s.memory.write(TABLE, buf.array()))) {
            assertThat(vector(h)).isEqualTo(-1);
            byte[] out = h.memory.read(TABLE, cases.size() * RECORD);
            ByteBuffer ob = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                long[] expected = reference(dbl, opcode, c.a, c.b, c.mxcsr);
                long got = dbl ? ob.getLong(i * RECORD + 24) : ob.getInt(i * RECORD + 24) & 0xffff_ffffL;
                int flags = ob.getInt(i * RECORD + 20) & Sse.FLAGS;
                String what = String.format("op %02x %s a=%x b=%x mxcsr=%x", opcode, dbl ? "sd" : "ss", c.a, c.b,
                        c.mxcsr);
                assertThat(Long.toHexString(got)).as(what).isEqualTo(Long.toHexString(expected[0]));
                assertThat(Integer.toBinaryString(flags)).as(what).isEqualTo(Long.toBinaryString(expected[1]));
            }
        }
    }

    private static boolean finiteNonZero(long bits, boolean dbl) {
        return dbl ? Double.isFinite(Double.longBitsToDouble(bits)) && (bits & Long.MAX_VALUE) != 0
                : Float.isFinite(Float.intBitsToFloat((int) bits)) && (bits & 0x7fff_ffffL) != 0;
    }

    private static long randomFloat(SplittableRandom r) {
        int exp = switch (r.nextInt(5)) {
            case 0 -> 0; // denormal
            case 1 -> r.nextInt(1, 30);
            case 2 -> r.nextInt(225, 255);
            default -> r.nextInt(100, 155);
        };
        int frac = r.nextInt(4) == 0 ? r.nextInt(8) << 20 : r.nextInt(1 << 23);
        return ((long) r.nextInt(2) << 31 | (long) exp << 23 | frac) & 0xffff_ffffL;
    }

    private static long randomDouble(SplittableRandom r) {
        long exp = switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1, 80);
            case 2 -> r.nextInt(1960, 2047);
            default -> r.nextInt(900, 1150);
        };
        long frac = r.nextInt(4) == 0 ? (long) r.nextInt(8) << 49 : r.nextLong() & ((1L << 52) - 1);
        return (long) r.nextInt(2) << 63 | exp << 52 | frac;
    }

    // --- Reference ----------------------------------------------------------------------------------

    /** Compares a candidate with the exact result: sign(candidate - exact). */
    private interface Exact {
        int cmp(BigDecimal candidate);
    }

    /** Expected {result bits, flags} for finite non-zero operands with all exceptions masked. */
    static long[] reference(boolean dbl, int opcode, long ab, long bb, int mx) {
        double x = dbl ? Double.longBitsToDouble(ab) : Float.intBitsToFloat((int) ab);
        double y = dbl ? Double.longBitsToDouble(bb) : Float.intBitsToFloat((int) bb);
        BigDecimal a = new BigDecimal(x);
        BigDecimal b = new BigDecimal(y);
        long flags = 0;
        boolean denA = opcode != 0x51 && Math.abs(x) < (dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL);
        boolean denB = Math.abs(y) < (dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL);
        if (denA || denB) {
            flags |= Sse.DE;
        }
        Exact exact;
        double approx;
        int sign;
        switch (opcode) {
            case 0x58, 0x5c -> {
                BigDecimal s = opcode == 0x58 ? a.add(b) : a.subtract(b);
                if (s.signum() == 0) {
                    boolean down = ((mx >> 13) & 3) == Sse.RD;
                    return new long[] {down ? (dbl ? Long.MIN_VALUE : 0x8000_0000L) : 0, flags};
                }
                exact = c -> c.compareTo(s);
                approx = s.doubleValue();
                sign = s.signum();
            }
            case 0x59 -> {
                BigDecimal p = a.multiply(b);
                exact = c -> c.compareTo(p);
                approx = x * y;
                sign = p.signum();
            }
            case 0x5e -> {
                exact = c -> c.multiply(b).subtract(a).signum() * b.signum();
                approx = x / y;
                sign = a.signum() * b.signum();
            }
            default -> {
                exact = c -> c.signum() < 0 ? -1 : c.multiply(c).compareTo(b);
                approx = Math.sqrt(y);
                sign = 1;
            }
        }
        return round(dbl, exact, approx, sign, mx, flags);
    }

    private static long[] round(boolean dbl, Exact exact, double approx, int sign, int mx, long flags) {
        int rc = (mx >> 13) & 3;
        double max = dbl ? Double.MAX_VALUE : Float.MAX_VALUE;
        double minNormal = dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL;
        BigDecimal maxB = new BigDecimal(max);
        BigDecimal ulpMax = new BigDecimal(dbl ? Math.ulp(Double.MAX_VALUE) : Math.ulp(Float.MAX_VALUE));
        BigDecimal limit = maxB.add(ulpMax); // 2^(emax+1)
        BigDecimal normal = new BigDecimal(minNormal);
        // The unbounded ulp just below the smallest normal: 2^-1075 (not a double) or 2^-150.
        BigDecimal u = dbl ? new BigDecimal(Double.MIN_VALUE).divide(BigDecimal.TWO) : new BigDecimal(0x1p-150);
        boolean up = (rc == Sse.RU && sign > 0) || (rc == Sse.RD && sign < 0);
        boolean down = rc == Sse.RZ || (rc == Sse.RU && sign < 0) || (rc == Sse.RD && sign > 0);
        // Work on magnitudes: m(c) compares |candidate| with |exact|.
        Exact mag = c -> sign > 0 ? exact.cmp(c) : -exact.cmp(c.negate());

        // Overflow: the result rounded with unbounded exponent reaches 2^(emax+1).
        boolean overflow;
        if (mag.cmp(limit) <= 0) {
            overflow = true;
        } else if (mag.cmp(maxB) < 0) {
            overflow = up || (rc == Sse.RN && mag.cmp(maxB.add(ulpMax.divide(BigDecimal.TWO))) <= 0);
        } else {
            overflow = false;
        }
        if (overflow) {
            boolean inf = rc == Sse.RN || up;
            double r = inf ? Double.POSITIVE_INFINITY : max;
            return new long[] {bits(dbl, sign < 0 ? -r : r), flags | Sse.OE | Sse.PE};
        }
        // Bracket |exact| between adjacent representable magnitudes lo <= |exact| <= hi.
        double lo = Math.min(Math.abs(approx), max);
        if (lo == 0) {
            lo = dbl ? Double.MIN_VALUE : Float.MIN_VALUE;
        }
        if (!dbl) {
            lo = (float) lo;
        }
        while (lo > 0 && mag.cmp(new BigDecimal(lo)) > 0) {
            lo = next(dbl, lo, false);
        }
        while (lo < max && mag.cmp(new BigDecimal(next(dbl, lo, true))) <= 0) {
            lo = next(dbl, lo, true);
        }
        boolean inexact = mag.cmp(new BigDecimal(lo)) != 0;
        double hi = inexact ? next(dbl, lo, true) : lo;
        double r;
        if (!inexact || Double.isInfinite(hi)) {
            r = lo; // (just above the largest finite value without overflow: that value)
        } else if (up) {
            r = hi;
        } else if (down) {
            r = lo;
        } else {
            BigDecimal mid = new BigDecimal(lo).add(new BigDecimal(hi)).divide(BigDecimal.TWO);
            int c = mag.cmp(mid);
            if (c < 0) {
                r = hi;
            } else if (c > 0) {
                r = lo;
            } else {
                r = (bits(dbl, lo) & 1) == 0 ? lo : hi;
            }
        }
        // Tininess after rounding with unbounded exponent.
        boolean tiny;
        if (mag.cmp(normal) <= 0) {
            tiny = false;
        } else if (down) {
            tiny = true;
        } else if (up) {
            tiny = mag.cmp(normal.subtract(u)) >= 0;
        } else {
            tiny = mag.cmp(normal.subtract(u.divide(BigDecimal.TWO))) > 0;
        }
        if (tiny && (mx & Sse.FTZ) != 0) {
            return new long[] {bits(dbl, sign < 0 ? -0.0 : 0.0), flags | Sse.UE | Sse.PE};
        }
        if (inexact) {
            flags |= Sse.PE | (tiny ? Sse.UE : 0);
        }
        return new long[] {bits(dbl, sign < 0 ? -r : r), flags};
    }

    private static double next(boolean dbl, double v, boolean up) {
        if (dbl) {
            return up ? Math.nextUp(v) : Math.nextDown(v);
        }
        return up ? Math.nextUp((float) v) : Math.nextDown((float) v);
    }

    private static long bits(boolean dbl, double v) {
        return dbl ? Double.doubleToRawLongBits(v) : Float.floatToRawIntBits((float) v) & 0xffff_ffffL;
    }

    @Test
    void referenceSelfCheck() {
        // 1/3 in single precision: nearest rounds down, up rounds up (0x3eaaaaab).
        long third = Float.floatToRawIntBits(1f) & 0xffff_ffffL;
        long three = Float.floatToRawIntBits(3f) & 0xffff_ffffL;
        assertThat(reference(false, 0x5e, third, three, XMM_MASKED)[0]).isEqualTo(0x3eaaaaabL);
        assertThat(reference(false, 0x5e, third, three, XMM_MASKED | Sse.RZ << 13)[0]).isEqualTo(0x3eaaaaaaL);
    }
}
