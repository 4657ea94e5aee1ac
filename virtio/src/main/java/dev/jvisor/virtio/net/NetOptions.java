package dev.jvisor.virtio.net;

import dev.jvisor.io.ratelimit.RateLimiter;
import java.util.Objects;

/**
 * How a virtio-net device is set up. The MAC address comes from the back end ({@code NetBackend#mac}),
 * which may filter on it.
 *
 * @param queueSize     maximum size of the receive and transmit queues (a power of two, 16 to 1024)
 * @param mergeableRx   offer VIRTIO_NET_F_MRG_RXBUF, letting a frame span several receive buffers
 * @param rxRateLimiter limits frames delivered to the guest
 * @param txRateLimiter limits frames sent by the guest
 */
public record NetOptions(int queueSize, boolean mergeableRx, RateLimiter rxRateLimiter, RateLimiter txRateLimiter) {
    public NetOptions {
        if (queueSize < 16 || queueSize > 1024 || Integer.bitCount(queueSize) != 1) {
            throw new IllegalArgumentException("virtio-net queue size must be a power of two from 16 to 1024, got " + queueSize);
        }
        Objects.requireNonNull(rxRateLimiter, "rxRateLimiter");
        Objects.requireNonNull(txRateLimiter, "txRateLimiter");
    }

    /** 256-entry queues, mergeable receive buffers, no rate limits. */
    public static NetOptions defaults() {
        return new NetOptions(256, true, RateLimiter.unlimited(), RateLimiter.unlimited());
    }

    public NetOptions withMergeableRx(boolean mergeable) {
        return new NetOptions(queueSize, mergeable, rxRateLimiter, txRateLimiter);
    }

    public NetOptions withRateLimiters(RateLimiter rx, RateLimiter tx) {
        return new NetOptions(queueSize, mergeableRx, rx, tx);
    }
}
