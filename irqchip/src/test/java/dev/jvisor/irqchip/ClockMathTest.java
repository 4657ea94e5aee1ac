package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ClockMathTest {
    private static final long[][] RATES = {
            {2_000_000_000L, 1_000_000_000L}, {1_000_000_000L, 2_000_000_000L},
            {1_193_182L, 1_000_000_000L}, {1_000_000_000L, 1_193_182L},
            {ClockMath.MAX_RATE, 1_000_000_000L}, {1_000_000_000L, ClockMath.MAX_RATE}, {3, 7}};

    @Test
    void scaleMatchesExactArithmeticWhereverItFits() {
        SplittableRandom random = new SplittableRandom(42);
        for (long[] rate : RATES) {
            for (int i = 0; i < 2_000; i++) {
                long value = random.nextLong(0, 1L << (10 + random.nextInt(50)));
                BigInteger product = BigInteger.valueOf(value).multiply(BigInteger.valueOf(rate[0]));
                BigInteger[] qr = product.divideAndRemainder(BigInteger.valueOf(rate[1]));
                BigInteger floor = qr[0];
                BigInteger ceil = qr[1].signum() == 0 ? floor : floor.add(BigInteger.ONE);
                long expectedFloor = floor.bitLength() < 63 ? floor.longValue() : Long.MAX_VALUE;
                long expectedCeil = ceil.bitLength() < 63 ? ceil.longValue() : Long.MAX_VALUE;
                if (expectedFloor != Long.MAX_VALUE) {
                    assertThat(ClockMath.scale(value, rate[0], rate[1])).as("%d * %d / %d", value, rate[0], rate[1])
                            .isEqualTo(expectedFloor);
                }
                if (expectedCeil != Long.MAX_VALUE) {
                    assertThat(ClockMath.scaleUp(value, rate[0], rate[1])).isEqualTo(expectedCeil);
                }
            }
        }
    }

    @Test
    void tenYearsOfNanosecondsConvertToTscWithoutOverflow() {
        long tenYears = 10L * 365 * 24 * 3600 * 1_000_000_000L;
        assertThat(ClockMath.scale(tenYears, 2_000_000_000L, 1_000_000_000L)).isEqualTo(tenYears * 2);
        assertThat(ClockMath.scale(tenYears, ClockMath.MAX_RATE, 1_000_000_000L)).isEqualTo(tenYears * 8);
    }

    @Test
    void saturatesInsteadOfWrapping() {
        assertThat(ClockMath.scale(Long.MAX_VALUE, ClockMath.MAX_RATE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(ClockMath.scaleUp(Long.MAX_VALUE / 2, 1_000_000_000L, 1_193_182L)).isEqualTo(Long.MAX_VALUE);
        assertThat(ClockMath.scale(-5, 10, 3)).isZero();
    }
}
