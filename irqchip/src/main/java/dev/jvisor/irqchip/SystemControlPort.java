package dev.jvisor.irqchip;

/**
 * Port 0x61, the PC's "system control port B" / NMI status and control register: bit 0 is PIT
 * counter 2's GATE, bit 1 enables the speaker data, bits 2-3 are the parity/IOCHK check enables,
 * bit 4 toggles with every DRAM refresh request, bit 5 is counter 2's OUT, and bits 6-7 report
 * IOCHK/SERR NMI sources (never raised here). Linux's {@code pit_calibrate_tsc} and
 * {@code quick_pit_calibrate} set bit 0, clear bit 1 and poll bit 5.
 */
final class SystemControlPort {
    static final int PORT = 0x61;
    /** DRAM refresh period in PIT ticks (firmware programs counter 1 with 18, about 15.09 us). */
    private static final long REFRESH_TICKS = 18;

    private final Pit8254 pit;
    private final VirtualClock clock;
    /** Bits 0-3 as last written. */
    private int control;

    SystemControlPort(Pit8254 pit, VirtualClock clock) {
        this.pit = pit;
        this.clock = clock;
    }

    synchronized int read() {
        boolean refreshToggle = (Pit8254.tick(clock.nanos()) / REFRESH_TICKS & 1) != 0;
        return control | (refreshToggle ? 0x10 : 0) | (pit.out2() ? 0x20 : 0);
    }

    synchronized void write(int value) {
        control = value & 0x0F;
        pit.setGate2((value & 1) != 0);
    }
}
