package dev.jvisor.hypervisor;

/** Why {@link Vcpu#run()} returned. Port and MMIO accesses never appear here (see {@link VmOps}). */
public sealed interface VcpuExit {
    /** {@link Vcpu#kick()} was called. */
    record Kicked() implements VcpuExit {
    }

    /**
     * The CPU halted and nothing can wake it (HLT without an interrupt source, or with interrupts
     * disabled). With an in-kernel/emulated irqchip, an HLT that can be woken stays inside run().
     */
    record Halted() implements VcpuExit {
    }

    /** The guest shut the CPU down: a triple fault. {@code detail} says what the back end knows. */
    record Shutdown(String detail) implements VcpuExit {
    }

    /**
     * The guest or the back end failed in a way that ends the VM: an exception with no handler the
     * back end cannot reflect, a KVM entry failure or internal error, an emulator invariant.
     */
    record Crashed(CrashReport report) implements VcpuExit {
    }

    /**
     * A debug event requested through {@link Vcpu#setDebug}: a breakpoint reached (RIP is at the
     * breakpoint, not yet executed), a single step done, or a watchpoint hit (after the access).
     *
     * @param reason   what happened
     * @param address  the breakpoint or watched address (for steps: the new RIP)
     */
    record Debug(Reason reason, long address) implements VcpuExit {
        public enum Reason { BREAKPOINT, STEP, WATCHPOINT }
    }

    Kicked KICKED = new Kicked();
    Halted HALTED = new Halted();
}
