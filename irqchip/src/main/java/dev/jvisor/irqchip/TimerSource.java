package dev.jvisor.irqchip;

/**
 * A timer device outside this module (the devices module's RTC, for example) that fires on the boot
 * CPU's thread, so that the BSP's halt and run loop honours its deadlines as it honours the PIT's.
 * Register it with {@link Platform#addBspTimer}.
 */
public interface TimerSource {
    /**
     * Guest time in nanoseconds of the next event, {@link Long#MAX_VALUE} if none. Called on every
     * pass of the BSP's run loop: keep it a field read. If another thread moves the deadline earlier
     * it must call {@link Platform#wake(int) wake(0)} so a halted BSP re-reads it.
     */
    long nextDeadline();

    /** Fires whatever is due at guest time {@code nowNanos}; called on the BSP's thread. */
    void fire(long nowNanos);
}
