package dev.jvisor.io.ratelimit;

import java.util.function.LongSupplier;

/**
 * A Firecracker-style rate limiter for one device: an optional bucket of bytes and an optional bucket
 * of operations (see {@link TokenBucketConfig}). A request passes only if both buckets allow it.
 *
 * <p>Use: before carrying out a request, call {@link #consume(long, long)}. A result of
 * {@link #PROCEED} means go ahead (the tokens are taken); any other value is the number of
 * nanoseconds after which a retry may succeed, and nothing was taken: the device leaves the request
 * on its queue, stops processing that queue, and retries on a timer. If a request that consumed
 * tokens then fails, {@link #refund} returns them.
 *
 * <p>Thread-safe; calls are short and never block. The clock is injectable for deterministic tests.
 * The hot path ({@code consume}) does not allocate.
 */
public final class RateLimiter {
    /** {@link #consume} result meaning the request may proceed now. */
    public static final long PROCEED = 0;

    private final LongSupplier nanoClock;
    private TokenBucket bytes;
    private TokenBucket ops;

    /**
     * @param bytesBucket limit on bytes, or null for none
     * @param opsBucket limit on operations, or null for none
     * @param nanoClock monotonic nanosecond clock ({@code System::nanoTime} in production)
     */
    public RateLimiter(TokenBucketConfig bytesBucket, TokenBucketConfig opsBucket, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        long now = nanoClock.getAsLong();
        this.bytes = bytesBucket == null ? null : new TokenBucket(bytesBucket, now);
        this.ops = opsBucket == null ? null : new TokenBucket(opsBucket, now);
    }

    /** A limiter on the system's monotonic clock. */
    public RateLimiter(TokenBucketConfig bytesBucket, TokenBucketConfig opsBucket) {
        this(bytesBucket, opsBucket, System::nanoTime);
    }

    /** A limiter that lets everything through (both buckets absent). */
    public static RateLimiter unlimited() {
        return new RateLimiter(null, null);
    }

    /**
     * Asks to carry out {@code ops} operations moving {@code bytes} bytes.
     *
     * @return {@link #PROCEED} (tokens taken) or the nanoseconds to wait before retrying (nothing taken)
     * @throws IllegalArgumentException for negative amounts
     */
    public synchronized long consume(long ops, long bytes) {
        if (ops < 0 || bytes < 0) {
            throw new IllegalArgumentException("negative rate limiter request: ops=" + ops + " bytes=" + bytes);
        }
        long now = nanoClock.getAsLong();
        long wait = 0;
        if (this.bytes != null && bytes > 0) {
            this.bytes.refill(now);
            wait = this.bytes.waitFor(bytes);
        }
        if (this.ops != null && ops > 0) {
            this.ops.refill(now);
            wait = Math.max(wait, this.ops.waitFor(ops));
        }
        if (wait != 0) {
            return wait;
        }
        if (this.bytes != null && bytes > 0) {
            this.bytes.take(bytes);
        }
        if (this.ops != null && ops > 0) {
            this.ops.take(ops);
        }
        return PROCEED;
    }

    /** Returns tokens taken by a {@link #consume} whose request was then not carried out. */
    public synchronized void refund(long ops, long bytes) {
        if (ops < 0 || bytes < 0) {
            throw new IllegalArgumentException("negative rate limiter refund: ops=" + ops + " bytes=" + bytes);
        }
        if (this.bytes != null) {
            this.bytes.giveBack(bytes);
        }
        if (this.ops != null) {
            this.ops.giveBack(ops);
        }
    }

    /**
     * Replaces the buckets while the device runs (null removes a limit). Tokens already spent stay
     * spent: a bucket that shrinks keeps at most its new size, one that grows does not get a free
     * refill; the new configuration's one-time burst is granted afresh.
     */
    public synchronized void update(TokenBucketConfig bytesBucket, TokenBucketConfig opsBucket) {
        long now = nanoClock.getAsLong();
        bytes = replace(bytes, bytesBucket, now);
        ops = replace(ops, opsBucket, now);
    }

    private static TokenBucket replace(TokenBucket old, TokenBucketConfig config, long now) {
        if (config == null) {
            return null;
        }
        return old == null ? new TokenBucket(config, now) : new TokenBucket(config, now, old);
    }

    /** Whether any bucket is configured. */
    public synchronized boolean isLimited() {
        return bytes != null || ops != null;
    }

    /** Tokens left in the bytes bucket (negative when in debt), or {@code Long.MAX_VALUE} if unlimited; for monitoring. */
    public synchronized long bytesAvailable() {
        return available(bytes);
    }

    /** Tokens left in the operations bucket, or {@code Long.MAX_VALUE} if unlimited; for monitoring. */
    public synchronized long opsAvailable() {
        return available(ops);
    }

    private long available(TokenBucket bucket) {
        if (bucket == null) {
            return Long.MAX_VALUE;
        }
        bucket.refill(nanoClock.getAsLong());
        return bucket.budget() + bucket.burst();
    }
}
