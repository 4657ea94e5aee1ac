package dev.jvisor.vmm;

/** Lets the trace tests (another package) use the package-private {@link TestKernels}. */
public final class TraceKernelAccess {
    /** The trace test kernel and its addresses. */
    public record Target(byte[] elf, long entry, long work, long workEnd) {
    }

    private TraceKernelAccess() {
    }

    public static Target target() {
        TestKernels.TraceTarget t = TestKernels.traceTarget();
        return new Target(t.elf(), t.entry(), t.work(), t.workEnd());
    }
}
