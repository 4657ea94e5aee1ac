package dev.jvisor.emu.cpu;

/**
 * Receives what the emulated CPU does, for {@code --trace} modes: instructions (each is run as its
 * own block while a tracer wants them), exceptions and interrupts, port and MMIO accesses. Called
 * on the vCPU's thread; implementations must be quick and must not touch the CPU.
 *
 * <p>With no tracer installed the run loop pays one field check per block, nothing more.
 */
public interface ExecutionTracer {
    /** Whether {@link #instruction} should be called (this makes every block one instruction long). */
    default boolean wantsInstructions() {
        return true;
    }

    /** Before executing the instruction at {@code cpu.rip()} (linear address {@code linear}). */
    default void instruction(CpuView cpu, long linear) {
    }

    /** An exception is being delivered (vector, error code or -1, the faulting RIP, CR2). */
    default void exception(CpuView cpu, int vector, int errorCode, long rip, long cr2) {
    }

    /** An external interrupt (or NMI, vector 2) is being delivered before the instruction at RIP. */
    default void interrupt(CpuView cpu, int vector, long rip) {
    }

    /** A port access (value read or written). */
    default void port(CpuView cpu, boolean write, int port, int size, long value) {
    }

    /** An access to a physical address that is not RAM (device MMIO, local APIC, IOAPIC). */
    default void mmio(CpuView cpu, boolean write, long address, int size, long value) {
    }
}
