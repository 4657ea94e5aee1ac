package dev.jvisor.io.net;

/**
 * Traffic counters of a {@link NetBackend}, seen from the guest: tx is guest to network, rx is
 * network to guest. rx frames and bytes count what the guest took ({@link NetBackend#receive}); rx drops
 * count frames lost because the receive queue was full.
 */
public record NetStats(long txFrames, long txBytes, long txDropped, long rxFrames, long rxBytes, long rxDropped) {}
