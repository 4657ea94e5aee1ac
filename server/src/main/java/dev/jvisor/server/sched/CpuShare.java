package dev.jvisor.server.sched;

/**
 * How much host CPU a VM may have: a {@code weight} that divides contended CPU in proportion
 * (default {@value #DEFAULT_WEIGHT}), and a {@code capPercent} that bounds it even when the host is
 * idle, in percent of one host CPU (0 for no cap; 150 means one and a half CPUs).
 */
public record CpuShare(int weight, int capPercent) {
    public static final int DEFAULT_WEIGHT = 100;
    public static final int MAX_WEIGHT = 10_000;
    public static final CpuShare DEFAULT = new CpuShare(DEFAULT_WEIGHT, 0);

    public CpuShare {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("cpu weight must be between 1 and " + MAX_WEIGHT + ", got " + weight);
        }
        if (capPercent < 0) {
            throw new IllegalArgumentException("cpu cap must be 0 (none) or a positive percentage, got " + capPercent);
        }
    }

    /** Checks the cap against the VM's vCPU count: a VM cannot use more than 100% per vCPU. */
    public void checkFor(int vcpus) {
        if (capPercent > 100 * vcpus) {
            throw new IllegalArgumentException("cpu cap " + capPercent + "% is more than " + vcpus
                    + " vCPU(s) can use (at most " + 100 * vcpus + "%)");
        }
    }

    /** The CPU time a capped VM may use per {@code periodNanos}, or {@link Long#MAX_VALUE} without a cap. */
    public long quotaNanos(long periodNanos) {
        return capPercent == 0 ? Long.MAX_VALUE : periodNanos / 100 * capPercent;
    }
}
