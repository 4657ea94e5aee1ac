package dev.jvisor.io.net;

/**
 * Traffic counters of a {@link NetBackend}, seen from the guest: tx is guest to network, rx is
 * network to guest.
 */
public record NetStats(long txFrames, long txBytes, long txDropped, long rxFrames, long rxBytes, long rxDropped) {}
