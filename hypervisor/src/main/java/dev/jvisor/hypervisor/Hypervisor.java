package dev.jvisor.hypervisor;

/**
 * A way to run guest CPUs: hardware-assisted (KVM) or full emulation. Everything above this layer
 * sees only {@link Hypervisor}, {@link Vm} and {@link Vcpu}.
 */
public interface Hypervisor extends AutoCloseable {
    /** Short name used on the command line: {@code kvm} or {@code emu}. */
    String name();

    /**
     * Whether this back end can run a full operating system kernel on this host, and why (or why
     * not). Cheap; never throws.
     */
    Availability availability();

    /**
     * Creates a VM with {@code spec.vcpus()} vCPUs over {@code spec.memory()}. Port and MMIO accesses
     * that the back end does not handle itself go to {@code spec.ops()}.
     *
     * @throws HypervisorException if the host refuses (no permission, resource limits)
     */
    Vm createVm(VmSpec spec);

    /** Releases host resources of the back end itself (VMs are closed on their own). */
    @Override
    void close();
}
