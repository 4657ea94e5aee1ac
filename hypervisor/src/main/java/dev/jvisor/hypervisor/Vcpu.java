package dev.jvisor.hypervisor;

/**
 * One virtual CPU. {@link #run()} is called on the vCPU's own platform thread and returns only for
 * lifecycle events; port and MMIO accesses are delivered to {@link VmOps} while it runs.
 *
 * <p>The state accessors may be called only while {@link #run()} is not executing.
 */
public interface Vcpu {
    int index();

    /**
     * Runs guest code until a lifecycle event: {@link #kick()}, a halted CPU that nothing can wake,
     * a triple fault, or a crash of the back end itself.
     */
    VcpuExit run();

    /**
     * Makes a running (or the next) {@link #run()} return {@link VcpuExit.Kicked} soon. Callable from
     * any thread; used to pause, stop and snapshot.
     */
    void kick();

    Registers getRegisters();

    void setRegisters(Registers registers);

    SystemRegisters getSystemRegisters();

    void setSystemRegisters(SystemRegisters registers);

    FpuState getFpu();

    void setFpu(FpuState fpu);

    /** Reads a model-specific register. @throws HypervisorException for an MSR this vCPU lacks */
    long getMsr(int index);

    /** Writes a model-specific register. @throws HypervisorException for an MSR this vCPU lacks */
    void setMsr(int index, long value);
}
