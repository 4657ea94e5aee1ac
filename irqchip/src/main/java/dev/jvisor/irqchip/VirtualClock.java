package dev.jvisor.irqchip;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The one guest time base of a VM: monotonic guest nanoseconds and the time-stamp counter derived
 * from them. Every timer chip (PIT, local APIC timers, and the devices module's RTC and PM timer)
 * reads this clock, so they agree with each other and with {@code RDTSC}.
 *
 * <p>Guest time is host {@link System#nanoTime()} minus the time the VM spent paused, so a guest
 * {@code sleep 1} takes one host second and nothing drifts. While paused, {@link #nanos()} stands
 * still. Guest time starts at 0 when the clock is created.
 *
 * <p>The TSC runs at a fixed nominal frequency ({@link #tscHz()}); {@code tsc = offset +
 * nanos * tscHz / 1e9}. The guest may write IA32_TSC, which moves the offset ({@link #setTsc}).
 *
 * <p>Thread-safe; {@link #nanos()} and {@link #tsc()} are lock-free and allocation-free.
 */
public final class VirtualClock {
    /** The default nominal TSC frequency: 2 GHz. */
    public static final long DEFAULT_TSC_HZ = 2_000_000_000L;

    /** Running/paused state, replaced as a whole so readers never see half an update. */
    private record State(boolean paused, long hostBase, long frozenNanos) {
    }

    private final LongSupplier hostNanos;
    private final long tscHz;
    private volatile State state;
    private volatile long tscOffset;
    private volatile int tscEpoch;

    /** A clock on {@link System#nanoTime()} with a 2 GHz TSC. */
    public VirtualClock() {
        this(System::nanoTime, DEFAULT_TSC_HZ);
    }

    /** A clock on {@link System#nanoTime()} with the given TSC frequency (1 Hz .. 8 GHz). */
    public VirtualClock(long tscHz) {
        this(System::nanoTime, tscHz);
    }

    /**
     * A clock on any monotonic nanosecond source; tests pass a controllable one.
     *
     * @param hostNanos monotonic host time in nanoseconds
     * @param tscHz     nominal TSC frequency, 1 Hz .. {@link ClockMath#MAX_RATE}
     */
    public VirtualClock(LongSupplier hostNanos, long tscHz) {
        this.hostNanos = Objects.requireNonNull(hostNanos, "hostNanos");
        this.tscHz = ClockMath.checkRate(tscHz, "TSC frequency");
        this.state = new State(false, hostNanos.getAsLong(), 0);
    }

    /** Guest time in nanoseconds since the clock was created, excluding paused time. */
    public long nanos() {
        State s = state;
        if (s.paused) {
            return s.frozenNanos;
        }
        return Math.max(0, hostNanos.getAsLong() - s.hostBase);
    }

    /** Stops guest time (VM paused). Idempotent. */
    public synchronized void pause() {
        State s = state;
        if (!s.paused) {
            state = new State(true, s.hostBase, nanos());
        }
    }

    /** Lets guest time run again from where it stopped. Idempotent. */
    public synchronized void resume() {
        State s = state;
        if (s.paused) {
            state = new State(false, hostNanos.getAsLong() - s.frozenNanos, 0);
        }
    }

    /** True while paused. */
    public boolean paused() {
        return state.paused;
    }

    /** The nominal TSC frequency in Hz. */
    public long tscHz() {
        return tscHz;
    }

    /** The guest TSC now (an unsigned 64-bit value). */
    public long tsc() {
        return tscAt(nanos());
    }

    /** The guest TSC at guest time {@code nanos}. */
    public long tscAt(long nanos) {
        return tscOffset + ClockMath.scale(nanos, tscHz, ClockMath.NANOS_PER_SECOND);
    }

    /**
     * The first guest time at which the TSC reaches {@code tscValue} (compared unsigned), or 0 if it
     * already has at {@code nowNanos}; {@link Long#MAX_VALUE} if that is further away than 2^63 ns.
     */
    public long nanosWhenTscReaches(long tscValue, long nowNanos) {
        long now = tscAt(nowNanos);
        if (Long.compareUnsigned(tscValue, now) <= 0) {
            return 0;
        }
        long delta = tscValue - now;
        if (delta < 0) {
            return Long.MAX_VALUE;
        }
        long wait = ClockMath.scaleUp(delta, ClockMath.NANOS_PER_SECOND, tscHz);
        return wait > Long.MAX_VALUE - nowNanos ? Long.MAX_VALUE : nowNanos + wait;
    }

    /** Sets the guest TSC (a guest write of IA32_TSC): from now on it counts on from {@code value}. */
    public synchronized void setTsc(long value) {
        tscOffset = value - ClockMath.scale(nanos(), tscHz, ClockMath.NANOS_PER_SECOND);
        tscEpoch++;
    }

    /** Changes whenever {@link #setTsc} moves the TSC, so cached TSC deadlines can be recomputed. */
    public int tscEpoch() {
        return tscEpoch;
    }
}
