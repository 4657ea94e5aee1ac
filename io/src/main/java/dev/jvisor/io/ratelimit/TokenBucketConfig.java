package dev.jvisor.io.ratelimit;

import java.time.Duration;

/**
 * One token bucket's settings, as in Firecracker's rate limiter: the bucket holds at most
 * {@code size} tokens and refills from empty to full in {@code refillTime}, at a steady rate; on top
 * of that, {@code oneTimeBurst} extra tokens are available once, at start, and are never refilled.
 *
 * <p>For a bytes bucket a token is a byte, for an operations bucket a token is one request. The
 * steady rate is {@code size / refillTime}: {@code size=10 MiB, refillTime=1s} allows 10 MiB/s.
 *
 * @param size bucket capacity in tokens, at least 1
 * @param oneTimeBurst extra tokens spent before the bucket itself, 0 for none
 * @param refillTime time to refill an empty bucket, at least 1 ms
 */
public record TokenBucketConfig(long size, long oneTimeBurst, Duration refillTime) {
    public TokenBucketConfig {
        if (size <= 0) {
            throw new IllegalArgumentException("token bucket size must be positive, got " + size);
        }
        if (oneTimeBurst < 0) {
            throw new IllegalArgumentException("token bucket one-time burst must not be negative, got " + oneTimeBurst);
        }
        if (refillTime == null || refillTime.toMillis() < 1) {
            throw new IllegalArgumentException("token bucket refill time must be at least 1 ms, got " + refillTime);
        }
    }

    /** A bucket allowing {@code tokensPerSecond} steadily, with one second's worth of capacity. */
    public static TokenBucketConfig perSecond(long tokensPerSecond) {
        return new TokenBucketConfig(tokensPerSecond, 0, Duration.ofSeconds(1));
    }
}
