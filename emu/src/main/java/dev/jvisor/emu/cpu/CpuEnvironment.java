package dev.jvisor.emu.cpu;

/**
 * Everything outside the CPU core that an emulated CPU talks to: its local APIC, the platform's
 * timers and interrupt controllers, and the machine's devices. One implementation per vCPU, made by
 * the emulator back end; tests supply small ones.
 *
 * <p>All methods are called on the CPU's own thread.
 */
public interface CpuEnvironment {
    /** A maskable interrupt is waiting (the CPU checks RFLAGS.IF and interrupt shadows itself). */
    boolean interruptPending();

    /** Takes the highest-priority pending maskable interrupt and returns its vector, or -1. */
    int acknowledgeInterrupt();

    /** A non-maskable interrupt is waiting. */
    boolean nmiPending();

    /** Takes the pending NMI. */
    void acknowledgeNmi();

    long pioRead(int port, int size);

    void pioWrite(int port, int size, long value);

    /** A physical access outside RAM (local APIC page, IOAPIC, device MMIO). */
    long mmioRead(long physicalAddress, int size);

    void mmioWrite(long physicalAddress, int size, long value);

    /** Guest time in nanoseconds (monotonic; stops while the VM is paused). */
    long nanos();

    /** The time-stamp counter as RDTSC returns it. */
    long tsc();

    /** The guest wrote IA32_TSC. */
    void setTsc(long value);

    /** Reads an MSR the environment owns (IA32_APIC_BASE, IA32_TSC_DEADLINE...); see {@link #ownsMsr}. */
    long readMsr(int index);

    /** Writes an environment-owned MSR; throws IllegalArgumentException for a value the CPU must #GP on. */
    void writeMsr(int index, long value);

    /** Whether {@link #readMsr}/{@link #writeMsr} handle this MSR. */
    boolean ownsMsr(int index);

    /** Guest nanoseconds of the next timer event for this CPU, or Long.MAX_VALUE. */
    long nextDeadline();

    /** Fires timers due at {@code now}. */
    void updateTimers(long now);

    /**
     * Blocks the halted CPU until an interrupt is pending (a maskable one counts only when
     * {@code maskableAccepted}), {@code deadline} (guest ns) passes, or {@link #wake()} is called.
     */
    void waitForEvent(long deadline, boolean maskableAccepted);

    /** Ends a {@link #waitForEvent} early (from any thread). */
    void wake();

    /**
     * For application processors: the pending INIT/SIPI event, polled while the CPU waits for SIPI.
     * Returns -1 for none, -2 for INIT, or the SIPI vector (0-255).
     */
    int takeStartupEvent();
}
