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

    /**
     * Arms breakpoints, watchpoints and single-stepping; {@link VcpuExit.Debug} reports hits.
     * Only while the vCPU is not running.
     *
     * @throws HypervisorException if the back end cannot do what is asked (e.g. more hardware
     *                             breakpoints than the CPU has)
     */
    default void setDebug(DebugSettings settings) {
        if (settings.active()) {
            throw new HypervisorException("this back end does not support guest debugging");
        }
    }

    /**
     * Translates a guest linear address through the vCPU's current page tables (as a debugger
     * reading guest virtual memory must), or returns -1 if it is not mapped.
     */
    default long translate(long linear) {
        throw new HypervisorException("this back end cannot translate guest addresses");
    }
}
