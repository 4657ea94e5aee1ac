package dev.jvisor.vmm.bench;

import java.lang.management.ManagementFactory;

/**
 * The host's clocks at one moment: wall time, CPU time of the whole process (every thread: vCPUs,
 * device I/O threads, back ends, JIT and GC) and CPU time of the VM's vCPU threads alone. The
 * difference of two samples says what a stretch of guest activity cost the host.
 *
 * @param wallNanos    {@link System#nanoTime()}
 * @param processCpuNanos CPU time of this JVM so far
 * @param vcpuCpuNanos CPU time of the VM's vCPU threads so far
 */
public record HostSample(long wallNanos, long processCpuNanos, long vcpuCpuNanos) {
    /** Takes samples. */
    @FunctionalInterface
    public interface Source {
        HostSample sample();
    }

    /**
     * The CPU time of this JVM, from the platform's {@code OperatingSystemMXBean} (HotSpot's
     * {@code com.sun.management} extension; -1 where a JVM does not offer it).
     */
    public static long currentProcessCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** What happened between {@code this} (earlier) and {@code later}. */
    public Span until(HostSample later) {
        return new Span(later.wallNanos - wallNanos, later.processCpuNanos - processCpuNanos,
                later.vcpuCpuNanos - vcpuCpuNanos);
    }

    /**
     * The difference of two samples.
     *
     * @param wallNanos       elapsed wall time
     * @param processCpuNanos CPU time the whole process used
     * @param vcpuCpuNanos    CPU time the vCPU threads used (guest code, its device accesses)
     */
    public record Span(long wallNanos, long processCpuNanos, long vcpuCpuNanos) {
        public double seconds() {
            return wallNanos / 1e9;
        }

        /** MiB per second for {@code bytes} moved in this span. */
        public double mibPerSecond(long bytes) {
            return bytes / 1048576.0 / seconds();
        }

        /** Host CPU milliseconds (all threads) per MiB of {@code bytes}. */
        public double cpuMillisPerMib(long bytes) {
            return processCpuNanos / 1e6 / (bytes / 1048576.0);
        }

        /** Host CPU milliseconds outside the vCPU threads (devices, back ends, JVM) per MiB. */
        public double nonVcpuCpuMillisPerMib(long bytes) {
            return (processCpuNanos - vcpuCpuNanos) / 1e6 / (bytes / 1048576.0);
        }
    }
}
