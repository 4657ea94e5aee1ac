package dev.jvisor.server.manager;

import java.util.List;

/**
 * What a VM is doing, for {@code vm stats} and the Prometheus metrics.
 *
 * @param name          the VM
 * @param state         its state
 * @param backend       {@code kvm}/{@code emu} while running, else null
 * @param vcpus         vCPU count
 * @param memoryBytes   guest RAM
 * @param memoryResidentBytes guest RAM resident in host memory (touched), -1 when not running
 * @param cpuNanos      host CPU time its vCPUs used in this run
 * @param cpuPercent    over the last second, percent of one host CPU
 * @param uptimeSeconds since it started
 * @param throttles     how often its CPU cap held it back
 * @param instructions  guest instructions emulated (emulator only, else -1)
 * @param hostNice      the nice value its KVM vCPU threads got from its weight (null unless running on KVM)
 * @param hostSchedulingProblem why its weight or cpuset could not be applied on the host, or null
 * @param drives        per drive I/O
 * @param nets          per interface traffic
 */
public record VmStats(String name, String state, String backend, int vcpus, long memoryBytes, long memoryResidentBytes,
                      long cpuNanos,
                      double cpuPercent, long uptimeSeconds, long throttles, long instructions,
                      Integer hostNice, String hostSchedulingProblem, List<DriveStats> drives, List<NetStats> nets) {
    /** One drive's completed requests. */
    public record DriveStats(int index, long readOps, long readBytes, long writeOps, long writeBytes, long flushes) {
    }

    /** One interface's frames (rx: to the guest). */
    public record NetStats(int index, long rxFrames, long rxBytes, long rxDropped, long txFrames, long txBytes,
                           long txDropped) {
    }
}
