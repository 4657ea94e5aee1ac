package dev.jvisor.irqchip;

/**
 * The local APIC timer (Intel SDM Vol. 3A 10.5.4): divide configuration, initial and current count,
 * one-shot and periodic modes, and TSC-deadline mode with IA32_TSC_DEADLINE (10.5.4.1).
 *
 * <p>The timer counts at {@link LocalApic#TIMER_FREQUENCY_HZ} (1 GHz, one tick per guest nanosecond)
 * divided by the divide configuration, so no state advances per tick: the current count and the
 * next expiry are computed from the start time. Not thread-safe: its {@link LocalApic} guards it.
 */
final class ApicTimer {
    static final int MODE_ONE_SHOT = 0;
    static final int MODE_PERIODIC = 1;
    static final int MODE_TSC_DEADLINE = 2;

    private final VirtualClock clock;

    /** Timer mode from LVT timer bits 18:17; the reserved encoding 3 counts as one-shot. */
    private int mode;
    private int initialCount;
    private int divideConfig;
    /** log2 of the divider selected by {@link #divideConfig}. */
    private int shift = 1;
    /** Guest time at which the count was (virtually) {@link #initialCount}. */
    private long startNanos;
    /** True while a one-shot or periodic count is in progress. */
    private boolean counting;
    /** Next expiry in guest nanoseconds, {@link Long#MAX_VALUE} when disarmed. */
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private long tscDeadline;
    /** {@link VirtualClock#tscEpoch()} when {@link #deadlineNanos} was derived from the TSC deadline. */
    private volatile int tscEpoch;
    /** True while {@link #deadlineNanos} was derived from IA32_TSC_DEADLINE (and may go stale). */
    private volatile boolean tscBased;

    ApicTimer(VirtualClock clock) {
        this.clock = clock;
    }

    /** Power-up / INIT state: everything zero, divide by 2 (SDM 10.4.7.1). */
    void reset() {
        mode = MODE_ONE_SHOT;
        initialCount = 0;
        divideConfig = 0;
        shift = 1;
        startNanos = 0;
        counting = false;
        deadlineNanos = Long.MAX_VALUE;
        tscDeadline = 0;
        tscBased = false;
    }

    /** Applies the mode field of a written LVT timer entry; a change of mode disarms the timer. */
    void setMode(int lvtModeBits) {
        int newMode = lvtModeBits == MODE_TSC_DEADLINE || lvtModeBits == MODE_PERIODIC ? lvtModeBits : MODE_ONE_SHOT;
        if (newMode != mode) {
            // SDM 10.5.4.1: "A write to the LVT Timer Register that changes the timer mode disarms
            // the local APIC timer."
            mode = newMode;
            initialCount = 0;
            counting = false;
            tscDeadline = 0;
            tscBased = false;
            deadlineNanos = Long.MAX_VALUE;
        }
    }

    int initialCount() {
        return initialCount;
    }

    int divideConfig() {
        return divideConfig;
    }

    /** Starts (or with 0 stops) counting; ignored in TSC-deadline mode (SDM 10.5.4.1). */
    void writeInitialCount(int value, long now) {
        if (mode == MODE_TSC_DEADLINE) {
            return;
        }
        initialCount = value;
        if (value == 0) {
            counting = false;
            deadlineNanos = Long.MAX_VALUE;
            return;
        }
        counting = true;
        startNanos = now;
        deadlineNanos = now + periodNanos();
    }

    /**
     * Selects the divider (bits 0, 1 and 3; SDM Figure 10-10). A running count continues from its
     * current value at the new rate.
     */
    void writeDivide(int value, long now) {
        int newConfig = value & 0xB;
        int encoded = ((newConfig >>> 1) & 4) | (newConfig & 3);
        int newShift = (encoded + 1) & 7;
        if (counting && deadlineNanos != Long.MAX_VALUE) {
            long current = currentCount(now) & 0xFFFF_FFFFL;
            long initial = initialCount & 0xFFFF_FFFFL;
            long remaining = current << newShift;
            startNanos = now + remaining - (initial << newShift);
            deadlineNanos = now + remaining;
        }
        divideConfig = newConfig;
        shift = newShift;
    }

    /** The current-count register: 0 when idle, after a one-shot ran out, and in TSC-deadline mode. */
    int currentCount(long now) {
        if (!counting || mode == MODE_TSC_DEADLINE) {
            return 0;
        }
        long initial = initialCount & 0xFFFF_FFFFL;
        long elapsedTicks = Math.max(0, now - startNanos) >>> shift;
        if (mode == MODE_PERIODIC) {
            return (int) (initial - elapsedTicks % initial);
        }
        return elapsedTicks >= initial ? 0 : (int) (initial - elapsedTicks);
    }

    /** IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode (SDM 10.5.4.1). */
    long readTscDeadline() {
        return mode == MODE_TSC_DEADLINE ? tscDeadline : 0;
    }

    /** Arms (or with 0 disarms) the TSC deadline; ignored outside TSC-deadline mode. */
    void writeTscDeadline(long value, long now) {
        if (mode != MODE_TSC_DEADLINE) {
            return;
        }
        tscDeadline = value;
        armTscDeadline(now);
    }

    private void armTscDeadline(long now) {
        tscEpoch = clock.tscEpoch();
        tscBased = tscDeadline != 0;
        deadlineNanos = tscDeadline == 0 ? Long.MAX_VALUE : clock.nanosWhenTscReaches(tscDeadline, now);
    }

    /** Next expiry in guest nanoseconds, re-derived if the guest moved the TSC since it was armed. */
    long deadline(long now) {
        if (!cachedDeadlineValid()) {
            armTscDeadline(now);
        }
        return deadlineNanos;
    }

    /** The cached expiry: a volatile read, valid when {@link #cachedDeadlineValid()}. */
    long cachedDeadline() {
        return deadlineNanos;
    }

    /** False only if a TSC-deadline expiry was computed before the guest last wrote the TSC. */
    boolean cachedDeadlineValid() {
        return !tscBased || tscEpoch == clock.tscEpoch();
    }

    /**
     * Advances the timer to {@code now}; true if it expired (the caller delivers the LVT vector
     * unless masked). A periodic timer that missed several periods expires once, as the single IRR
     * bit would merge them anyway.
     */
    boolean expire(long now) {
        long deadline = deadline(now);
        if (now < deadline) {
            return false;
        }
        switch (mode) {
            case MODE_PERIODIC -> {
                long period = periodNanos();
                long periods = (now - startNanos) / period;
                startNanos += periods * period;
                deadlineNanos = startNanos + period;
            }
            case MODE_TSC_DEADLINE -> {
                // SDM 10.5.4.1: the timer disarms itself and clears IA32_TSC_DEADLINE.
                tscDeadline = 0;
                tscBased = false;
                deadlineNanos = Long.MAX_VALUE;
            }
            default -> {
                counting = false; // a finished one-shot reads 0 whatever the divider does next
                deadlineNanos = Long.MAX_VALUE;
            }
        }
        return true;
    }

    private long periodNanos() {
        // 1 GHz timer clock: one tick per nanosecond before the divider; at most 2^32 * 128 ns.
        return (initialCount & 0xFFFF_FFFFL) << shift;
    }
}
