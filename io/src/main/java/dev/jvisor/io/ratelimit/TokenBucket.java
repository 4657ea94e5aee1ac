package dev.jvisor.io.ratelimit;

import java.math.BigInteger;

/**
 * The arithmetic of one token bucket (not thread-safe: {@link RateLimiter} guards it).
 *
 * <p>Refill is exact: elapsed nanoseconds times {@code size} are divided by the refill time and the
 * remainder is carried to the next refill, so no fraction of a token is ever lost or invented,
 * however often the bucket is polled.
 *
 * <p>A request larger than the whole bucket could never be satisfied by waiting; as in Firecracker,
 * it is let through once the bucket is full and leaves the bucket in debt (a negative budget), so
 * the average rate still holds.
 */
final class TokenBucket {
    private final long size;
    private final long refillNanos;
    private long budget;
    private long burst;
    private long lastRefill;
    private long carry; // remainder of (elapsed * size) not yet worth a whole token, in units of 1/refillNanos

    TokenBucket(TokenBucketConfig config, long now) {
        this.size = config.size();
        this.refillNanos = config.refillTime().toNanos();
        this.budget = size;
        this.burst = config.oneTimeBurst();
        this.lastRefill = now;
    }

    /** A bucket replacing {@code old}: the tokens already spent stay spent (budget clamped to the new size). */
    TokenBucket(TokenBucketConfig config, long now, TokenBucket old) {
        this(config, now);
        old.refill(now);
        this.budget = Math.min(old.budget, size);
    }

    /** Adds the tokens earned since the last refill. */
    void refill(long now) {
        long elapsed = now - lastRefill;
        if (elapsed <= 0) {
            return;
        }
        lastRefill = now;
        if (budget >= size) {
            carry = 0;
            return;
        }
        long hi = Math.multiplyHigh(elapsed, size);
        long product = elapsed * size;
        if (hi == 0 && product >= 0 && product <= Long.MAX_VALUE - carry) { // fast path, no allocation
            long total = product + carry;
            long earned = total / refillNanos;
            budget = earned >= size - budget ? size : budget + earned;
            carry = total % refillNanos;
        } else {
            BigInteger[] qr = BigInteger.valueOf(elapsed).multiply(BigInteger.valueOf(size))
                    .add(BigInteger.valueOf(carry)).divideAndRemainder(BigInteger.valueOf(refillNanos));
            if (qr[0].compareTo(BigInteger.valueOf(size).subtract(BigInteger.valueOf(budget))) >= 0) {
                budget = size;
            } else {
                budget += qr[0].longValue();
                carry = qr[1].longValue();
            }
        }
        if (budget >= size) {
            budget = size;
            carry = 0;
        }
    }

    /** Nanoseconds (rounded up) until {@code tokens} more tokens are earned, counting the carry. */
    private long timeToEarn(long tokens) {
        long hi = Math.multiplyHigh(tokens, refillNanos);
        long product = tokens * refillNanos;
        if (hi == 0 && product >= 0) { // fast path, no allocation
            long needed = product - carry;
            if (needed <= 0) {
                return 0;
            }
            return needed / size + (needed % size == 0 ? 0 : 1);
        }
        BigInteger needed = BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(refillNanos))
                .subtract(BigInteger.valueOf(carry));
        if (needed.signum() <= 0) {
            return 0;
        }
        BigInteger[] qr = needed.divideAndRemainder(BigInteger.valueOf(size));
        BigInteger t = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return t.bitLength() < 63 ? t.longValue() : Long.MAX_VALUE;
    }

    /** Nanoseconds until a request of {@code tokens} could pass, 0 if it can pass now (after refill). */
    long waitFor(long tokens) {
        long available = budget + burst;
        long required = Math.min(tokens, size); // oversized requests need a full bucket, see class doc
        if (available >= required) {
            return 0;
        }
        return Math.max(1, timeToEarn(required - available));
    }

    /** Takes {@code tokens} (burst first), possibly driving the budget negative for oversized requests. */
    void take(long tokens) {
        long fromBurst = Math.min(burst, tokens);
        burst -= fromBurst;
        budget -= tokens - fromBurst;
    }

    /** Gives back tokens of a request that was not carried out after all. */
    void giveBack(long tokens) {
        budget = Math.min(size, budget + tokens);
    }

    long budget() {
        return budget;
    }

    long burst() {
        return burst;
    }
}
