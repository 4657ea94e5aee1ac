package dev.jvisor.virtio.block;

import dev.jvisor.io.ratelimit.RateLimiter;
import java.util.Objects;

/**
 * How a virtio-blk device presents its disk.
 *
 * @param queueSize   the request queue's maximum size (a power of two, 4 to 1024); {@code seg_max}
 *                    is derived from it
 * @param readOnly    present the disk read-only (VIRTIO_BLK_F_RO) even if the image is writable;
 *                    a read-only image is always presented read-only
 * @param rateLimiter bytes and operations limits; {@link RateLimiter#unlimited()} for none
 */
public record BlockOptions(int queueSize, boolean readOnly, RateLimiter rateLimiter) {
    public BlockOptions {
        if (queueSize < 4 || queueSize > 1024 || Integer.bitCount(queueSize) != 1) {
            throw new IllegalArgumentException("virtio-blk queue size must be a power of two from 4 to 1024, got " + queueSize);
        }
        Objects.requireNonNull(rateLimiter, "rateLimiter");
    }

    /** 256 entries, writable if the image is, no rate limit. */
    public static BlockOptions defaults() {
        return new BlockOptions(256, false, RateLimiter.unlimited());
    }

    public BlockOptions withReadOnly(boolean readOnly) {
        return new BlockOptions(queueSize, readOnly, rateLimiter);
    }

    public BlockOptions withRateLimiter(RateLimiter rateLimiter) {
        return new BlockOptions(queueSize, readOnly, rateLimiter);
    }
}
