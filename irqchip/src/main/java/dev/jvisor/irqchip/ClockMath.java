package dev.jvisor.irqchip;

/**
 * Overflow-safe conversions between time bases (nanoseconds, TSC ticks, 8254 ticks).
 *
 * <p>{@code value * multiplier / divisor} would overflow 64 bits after a few seconds of uptime at GHz
 * rates, so the value is split into whole divisor units and a remainder: {@code q * m + r * m / d}
 * with {@code r < d}. The remainder product stays below 2^63 as long as both {@code multiplier} and
 * {@code divisor} are at most {@link #MAX_RATE}, which holds for every rate used here (TSC up to
 * 8 GHz, 1 GHz nanoseconds, 1.193182 MHz PIT). The quotient product saturates at
 * {@link Long#MAX_VALUE}, which at 8 GHz is more than 36 years away.
 */
public final class ClockMath {
    /** Largest rate (in Hz, or any per-second unit) accepted by the conversions. */
    public static final long MAX_RATE = 8_000_000_000L;

    /** Nanoseconds per second. */
    public static final long NANOS_PER_SECOND = 1_000_000_000L;

    private ClockMath() {
    }

    /**
     * {@code floor(value * multiplier / divisor)} for a non-negative value, saturating at
     * {@link Long#MAX_VALUE}.
     */
    public static long scale(long value, long multiplier, long divisor) {
        if (value <= 0) {
            return 0;
        }
        long quotient = value / divisor;
        long remainder = value % divisor;
        if (quotient > (Long.MAX_VALUE - multiplier) / multiplier) {
            return Long.MAX_VALUE;
        }
        return quotient * multiplier + remainder * multiplier / divisor;
    }

    /**
     * {@code ceil(value * multiplier / divisor)} for a non-negative value, saturating at
     * {@link Long#MAX_VALUE}: the first instant in the target base that is not before {@code value}.
     */
    public static long scaleUp(long value, long multiplier, long divisor) {
        if (value <= 0) {
            return 0;
        }
        long quotient = value / divisor;
        long remainder = value % divisor;
        if (quotient > (Long.MAX_VALUE - multiplier) / multiplier) {
            return Long.MAX_VALUE;
        }
        long product = remainder * multiplier;
        return quotient * multiplier + product / divisor + (product % divisor == 0 ? 0 : 1);
    }

    /** Checks that {@code rate} is usable with {@link #scale}; returns it. */
    static long checkRate(long rate, String what) {
        if (rate <= 0 || rate > MAX_RATE) {
            throw new IllegalArgumentException(what + " must be in 1.." + MAX_RATE + " Hz, got " + rate);
        }
        return rate;
    }
}
