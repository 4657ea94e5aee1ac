package dev.jvisor.hypervisor;

import dev.jvisor.memory.GuestMemory;

/**
 * What a back end needs to build a VM.
 *
 * @param memory guest RAM (owned by the caller, who closes it after the VM)
 * @param vcpus  number of vCPUs, at least 1
 * @param ops    receives port and MMIO accesses the back end does not handle itself
 */
public record VmSpec(GuestMemory memory, int vcpus, VmOps ops) {
    public VmSpec {
        if (vcpus < 1) {
            throw new IllegalArgumentException("a VM needs at least one vCPU, got " + vcpus);
        }
        java.util.Objects.requireNonNull(memory, "memory");
        java.util.Objects.requireNonNull(ops, "ops");
    }
}
