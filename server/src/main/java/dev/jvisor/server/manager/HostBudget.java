package dev.jvisor.server.manager;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/**
 * Admission control: the memory and vCPUs the host gives to VMs, and how much of it running VMs
 * hold. A VM is admitted when it starts (its memory is reserved up front, whether it is then
 * touched up front or lazily) and released when it stops; a VM that would not fit is refused with a
 * message naming the shortfall.
 *
 * <p>Defaults: the host's RAM minus a reserve for the host itself (1/8, at least 512 MiB), and
 * {@value #DEFAULT_VCPU_OVERCOMMIT} vCPUs per host CPU (vCPUs are time-shared; memory is not).
 */
public final class HostBudget {
    public static final int DEFAULT_VCPU_OVERCOMMIT = 4;
    private static final long MIB = 1 << 20;

    private final long memoryBytes;
    private final int vcpus;
    private long usedMemory;
    private int usedVcpus;

    public HostBudget(long memoryBytes, int vcpus) {
        if (memoryBytes <= 0 || vcpus <= 0) {
            throw new IllegalArgumentException("the host budget must be positive");
        }
        this.memoryBytes = memoryBytes;
        this.vcpus = vcpus;
    }

    /** The default budget of this host. */
    public static HostBudget ofHost() {
        long ram = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        long reserve = Math.max(512 * MIB, ram / 8);
        return new HostBudget(Math.max(MIB * 64, ram - reserve),
                Runtime.getRuntime().availableProcessors() * DEFAULT_VCPU_OVERCOMMIT);
    }

    /** Capacity and use, for {@code host info}. */
    public record Usage(long memoryBytes, long usedMemoryBytes, int vcpus, int usedVcpus) {
    }

    public synchronized Usage usage() {
        return new Usage(memoryBytes, usedMemory, vcpus, usedVcpus);
    }

    /** Refuses a VM that could never fit, even on an empty host. */
    public void checkFits(String name, long memory, int cpus) throws ServiceException {
        if (memory > memoryBytes) {
            throw new ServiceException(ServiceException.Kind.INSUFFICIENT_RESOURCES, "VM '" + name + "' needs "
                    + mib(memory) + " of memory but the host budget is only " + mib(memoryBytes));
        }
        if (cpus > vcpus) {
            throw new ServiceException(ServiceException.Kind.INSUFFICIENT_RESOURCES, "VM '" + name + "' needs "
                    + cpus + " vCPUs but the host budget is only " + vcpus);
        }
    }

    /** Reserves memory and vCPUs for a starting VM, or says what is short. */
    public synchronized void reserve(String name, long memory, int cpus) throws ServiceException {
        long freeMemory = memoryBytes - usedMemory;
        int freeVcpus = vcpus - usedVcpus;
        if (memory > freeMemory) {
            throw new ServiceException(ServiceException.Kind.INSUFFICIENT_RESOURCES, "not enough memory to start '"
                    + name + "': it needs " + mib(memory) + ", " + mib(freeMemory) + " of the host's "
                    + mib(memoryBytes) + " are free (short by " + mib(memory - freeMemory) + ")");
        }
        if (cpus > freeVcpus) {
            throw new ServiceException(ServiceException.Kind.INSUFFICIENT_RESOURCES, "not enough vCPUs to start '"
                    + name + "': it needs " + cpus + ", " + freeVcpus + " of the host's " + vcpus
                    + " are free (short by " + (cpus - freeVcpus) + ")");
        }
        usedMemory += memory;
        usedVcpus += cpus;
    }

    public synchronized void release(long memory, int cpus) {
        usedMemory -= memory;
        usedVcpus -= cpus;
        if (usedMemory < 0 || usedVcpus < 0) {
            throw new IllegalStateException("host budget released more than was reserved");
        }
    }

    private static String mib(long bytes) {
        return (bytes + MIB - 1) / MIB + " MiB";
    }
}
