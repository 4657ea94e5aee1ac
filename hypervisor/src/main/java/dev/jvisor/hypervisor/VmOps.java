package dev.jvisor.hypervisor;

/**
 * The one callback through which both back ends deliver the guest's port and MMIO accesses to the
 * machine model. The emulator's {@code OUT} and KVM's {@code KVM_EXIT_IO} land in the same method.
 *
 * <p>Sizes are 1, 2, 4 or 8 bytes; values are little-endian and zero-extended. Called on the vCPU
 * thread that made the access; implementations must be thread-safe when a VM has several vCPUs.
 * Reads of unclaimed addresses return all ones, as on real hardware; writes to them are dropped.
 */
public interface VmOps {
    long pioRead(int port, int size);

    void pioWrite(int port, int size, long value);

    long mmioRead(long address, int size);

    void mmioWrite(long address, int size, long value);
}
