package dev.jvisor.irqchip;

/**
 * The Intel 8254 programmable interval timer at ports 0x40-0x43, clocked at 1.193182 MHz from the
 * {@link VirtualClock}. Counter 0's OUT is ISA IRQ 0 (PIC IR0, IOAPIC pin 2); counter 1 is the old
 * DRAM refresh counter; counter 2's GATE and OUT are bits 0 and 5 of port 0x61
 * ({@link SystemControlPort}).
 *
 * <p>Counter 0 interrupts are raised when its OUT rises: the CPU of the BSP asks for
 * {@link #nextDeadline()} and calls {@link #update(long)} when it is due (through {@link Platform}).
 * Several rising edges missed between two updates are merged into one, as an edge-triggered PIC or
 * IOAPIC input would merge them anyway.
 *
 * <p>Power-on state is what PC firmware leaves: counter 0 in mode 3 with count 65536 (18.2 Hz),
 * counter 1 in mode 2 with count 18 (15 us refresh), counter 2 in mode 3 with its gate low.
 *
 * <p>Thread-safe. Lock order: the PIT's lock is taken before the interrupt lines'.
 */
public final class Pit8254 {
    /** The input clock of all three counters. */
    public static final long FREQUENCY_HZ = 1_193_182L;

    /** Receives counter 0's OUT level (ISA IRQ 0). */
    interface Irq0 {
        void setLevel(boolean level);
    }

    private final Object lock = new Object();
    private final VirtualClock clock;
    private final Irq0 irq0;
    private final PitChannel[] channels = {new PitChannel(true), new PitChannel(true), new PitChannel(false)};
    /** The tick up to which counter 0's rising edges have been passed on. */
    private long irqCheckedTick;
    /** The level last driven on IRQ 0. */
    private boolean irqLevel;
    /** Guest time of counter 0's next rising edge. */
    private volatile long nextIrqNanos = Long.MAX_VALUE;

    Pit8254(VirtualClock clock, Irq0 irq0) {
        this.clock = clock;
        this.irq0 = irq0;
        synchronized (lock) {
            long tick = tick(clock.nanos());
            program(0, 3, 0, tick);
            program(1, 2, 18, tick);
            program(2, 3, 0, tick);
            syncIrqLocked(tick);
        }
    }

    private void program(int channel, int mode, int count, long tick) {
        channels[channel].writeControl(PitChannel.ACCESS_WORD << 4 | mode << 1, tick);
        channels[channel].write(count & 0xFF, tick);
        channels[channel].write(count >>> 8, tick);
    }

    /** True for ports 0x40-0x43. */
    static boolean handles(int port) {
        return port >= 0x40 && port <= 0x43;
    }

    /** PIT input-clock ticks since guest time 0. */
    static long tick(long nanos) {
        return ClockMath.scale(nanos, FREQUENCY_HZ, ClockMath.NANOS_PER_SECOND);
    }

    /** The first guest time at which {@link #tick} reaches {@code tick}. */
    static long nanosOfTick(long tick) {
        return tick == Long.MAX_VALUE ? Long.MAX_VALUE : ClockMath.scaleUp(tick, ClockMath.NANOS_PER_SECOND, FREQUENCY_HZ);
    }

    /** Reads one byte: a counter's latched status/count or live count; the control port reads 0xFF. */
    int read(int port) {
        synchronized (lock) {
            long tick = tick(clock.nanos());
            syncIrqLocked(tick);
            if (port == 0x43) {
                return 0xFF; // the control word register is write-only
            }
            return channels[port - 0x40].read(tick) & 0xFF;
        }
    }

    /** Writes one byte: a counter's count or, at 0x43, a control word / latch / read-back command. */
    void write(int port, int value) {
        int data = value & 0xFF;
        synchronized (lock) {
            long tick = tick(clock.nanos());
            syncIrqLocked(tick); // pass on edges of the old programming first
            if (port == 0x43) {
                writeControlLocked(data, tick);
            } else {
                channels[port - 0x40].write(data, tick);
            }
            syncIrqLocked(tick);
        }
    }

    private void writeControlLocked(int control, long tick) {
        int select = control >>> 6;
        if (select == 3) {
            // Read-back command: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 3:1
            // select counters 2..0.
            for (int channel = 0; channel < 3; channel++) {
                if ((control & (2 << channel)) != 0) {
                    if ((control & 0x20) == 0) {
                        channels[channel].latchCount(tick);
                    }
                    if ((control & 0x10) == 0) {
                        channels[channel].latchStatus(tick);
                    }
                }
            }
        } else if ((control & 0x30) == 0) {
            channels[select].latchCount(tick); // counter latch command
        } else {
            channels[select].writeControl(control, tick);
        }
    }

    /** Counter 2's GATE (port 0x61 bit 0). */
    void setGate2(boolean level) {
        synchronized (lock) {
            channels[2].setGate(level, tick(clock.nanos()));
        }
    }

    /** Counter 2's GATE as last set. */
    boolean gate2() {
        synchronized (lock) {
            return channels[2].gate();
        }
    }

    /** Counter 2's OUT now (port 0x61 bit 5). */
    boolean out2() {
        synchronized (lock) {
            return channels[2].out(tick(clock.nanos()));
        }
    }

    /** Guest time of counter 0's next rising edge (a volatile read), {@link Long#MAX_VALUE} if none. */
    public long nextDeadline() {
        return nextIrqNanos;
    }

    /** Passes on counter 0's OUT changes up to guest time {@code nowNanos}. */
    public void update(long nowNanos) {
        if (nowNanos < nextIrqNanos) {
            return;
        }
        synchronized (lock) {
            syncIrqLocked(tick(nowNanos));
        }
    }

    /**
     * Brings IRQ 0 up to date with counter 0 at {@code tick}: if OUT rose since the last sync, the
     * line shows a rising edge even if OUT has fallen again since (mode 2's one-tick low pulse is
     * usually over by the time anyone looks); then the line follows OUT's current level.
     */
    private void syncIrqLocked(long tick) {
        PitChannel counter = channels[0];
        if (tick < irqCheckedTick) {
            tick = irqCheckedTick; // guest time is monotonic; a stale caller changes nothing
        }
        boolean rose = counter.nextRisingEdge(irqCheckedTick) <= tick;
        boolean level = counter.out(tick);
        if (rose) {
            if (irqLevel) {
                driveIrq(false);
            }
            driveIrq(true);
        }
        if (level != irqLevel) {
            driveIrq(level);
        }
        irqCheckedTick = tick;
        nextIrqNanos = nanosOfTick(counter.nextRisingEdge(tick));
    }

    private void driveIrq(boolean level) {
        irqLevel = level;
        irq0.setLevel(level);
    }
}
