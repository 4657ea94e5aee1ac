package dev.jvisor.vmm;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;

/**
 * Takes part in the vCPU threads' run loop of a {@link VirtualMachine}, as a debugger must: it may
 * hold a vCPU before it enters guest code, and it receives the debug events the back end reports
 * ({@link VcpuExit.Debug}). Installed with {@link VirtualMachine#supervise} before the VM starts.
 *
 * <p>{@link #beforeRun} and {@link #debugEvent} are called on the vCPU's own thread, between two
 * {@link Vcpu#run()} calls, so the vCPU's state may be read and changed while they block.
 */
public interface VcpuSupervisor {
    /**
     * Called before every {@link Vcpu#run()}; may block to keep the vCPU stopped. Must return soon
     * after {@link #machineStopped} (the thread then ends).
     */
    void beforeRun(Vcpu vcpu);

    /** The vCPU reported a breakpoint, watchpoint or single-step; {@link #beforeRun} follows. */
    void debugEvent(Vcpu vcpu, VcpuExit.Debug event);

    /** The VM stopped for good (any thread, once): release every held vCPU. */
    void machineStopped(ExitReason reason);
}
