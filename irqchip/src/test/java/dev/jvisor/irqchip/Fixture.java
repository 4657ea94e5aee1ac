package dev.jvisor.irqchip;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A platform on a hand-driven clock, with the port and register sequences the tests share (most of
 * them as Linux 6.1 writes them).
 */
final class Fixture {
    static final long TSC_HZ = 2_000_000_000L;
    static final long IOAPIC = Ioapic.DEFAULT_BASE;

    // LAPIC register offsets.
    static final int ID = 0x20;
    static final int TPR = 0x80;
    static final int PPR = 0xA0;
    static final int EOI = 0xB0;
    static final int LDR = 0xD0;
    static final int DFR = 0xE0;
    static final int SVR = 0xF0;
    static final int ISR = 0x100;
    static final int TMR = 0x180;
    static final int IRR = 0x200;
    static final int ESR = 0x280;
    static final int ICR_LOW = 0x300;
    static final int ICR_HIGH = 0x310;
    static final int LVT_TIMER = 0x320;
    static final int LVT_LINT0 = 0x350;
    static final int LVT_LINT1 = 0x360;
    static final int LVT_ERROR = 0x370;
    static final int TIMER_INITIAL = 0x380;
    static final int TIMER_CURRENT = 0x390;
    static final int TIMER_DIVIDE = 0x3E0;

    final AtomicLong hostNanos = new AtomicLong(5_000_000_000L);
    final VirtualClock clock = new VirtualClock(hostNanos::get, TSC_HZ);
    final Platform platform;

    Fixture(int cpus) {
        platform = new Platform(clock, cpus);
    }

    Fixture() {
        this(1);
    }

    long now() {
        return clock.nanos();
    }

    void advance(long nanos) {
        hostNanos.addAndGet(nanos);
    }

    /** Moves guest time to {@code nanos} (never backwards). */
    void advanceTo(long nanos) {
        long delta = nanos - now();
        if (delta > 0) {
            advance(delta);
        }
    }

    /** Advances to CPU {@code cpu}'s next timer deadline and fires what is due; false if none. */
    boolean runToNextDeadline(int cpu) {
        long deadline = platform.nextDeadline(cpu);
        if (deadline == Long.MAX_VALUE) {
            return false;
        }
        advanceTo(deadline);
        platform.updateTimers(cpu, now());
        return true;
    }

    void outb(int port, int value) {
        platform.pioWrite(port, 1, value);
    }

    int inb(int port) {
        return (int) platform.pioRead(port, 1);
    }

    LocalApic lapic(int cpu) {
        return platform.lapic(cpu);
    }

    int apicRead(int cpu, int offset) {
        return (int) lapic(cpu).mmioRead(offset, 4);
    }

    void apicWrite(int cpu, int offset, int value) {
        lapic(cpu).mmioWrite(offset, 4, value & 0xFFFF_FFFFL);
    }

    /** Software-enables CPU {@code cpu}'s APIC with spurious vector 0xFF, as Linux does. */
    void enableApic(int cpu) {
        apicWrite(cpu, SVR, 0x1FF);
    }

    /** Acknowledges and EOIs everything pending on {@code cpu}; returns how many vectors came. */
    int drain(int cpu) {
        int count = 0;
        while (lapic(cpu).interruptPending()) {
            lapic(cpu).acknowledge();
            apicWrite(cpu, EOI, 0);
            count++;
        }
        return count;
    }

    int ioapicRead(int index) {
        platform.mmioWrite(IOAPIC, 4, index);
        return (int) platform.mmioRead(IOAPIC + 0x10, 4);
    }

    void ioapicWrite(int index, int value) {
        platform.mmioWrite(IOAPIC, 4, index);
        platform.mmioWrite(IOAPIC + 0x10, 4, value & 0xFFFF_FFFFL);
    }

    /** Writes a redirection entry high dword first, as Linux's ioapic_write_entry does. */
    void programPin(int pin, long entry) {
        ioapicWrite(0x11 + 2 * pin, (int) (entry >>> 32));
        ioapicWrite(0x10 + 2 * pin, (int) entry);
    }

    long readPin(int pin) {
        long low = ioapicRead(0x10 + 2 * pin) & 0xFFFF_FFFFL;
        long high = ioapicRead(0x11 + 2 * pin) & 0xFFFF_FFFFL;
        return high << 32 | low;
    }

    /** Linux's init_8259A (arch/x86/kernel/i8259.c): vectors 0x30/0x38, cascade on IR2. */
    void linuxInitPic(boolean autoEoi, int masterMask, int slaveMask) {
        outb(0x21, 0xFF);
        outb(0xA1, 0xFF);
        outb(0x20, 0x11);
        outb(0x21, 0x30);
        outb(0x21, 1 << 2);
        outb(0x21, autoEoi ? 0x03 : 0x01);
        outb(0xA0, 0x11);
        outb(0xA1, 0x38);
        outb(0xA1, 2);
        outb(0xA1, 0x01);
        outb(0x21, masterMask);
        outb(0xA1, slaveMask);
    }

    /** Linux's mask_and_ack_8259A for {@code irq} then unmask: the specific EOI sequence. */
    void linuxAckPic(int irq) {
        if (irq >= 8) {
            inb(0xA1);
            outb(0xA0, 0x60 + (irq & 7));
            outb(0x20, 0x60 + 2);
        } else {
            inb(0x21);
            outb(0x20, 0x60 + irq);
        }
    }

    /** Programs PIT counter 0 as Linux's periodic clockevent: mode 2, LSB then MSB. */
    void pitPeriodic(int latch) {
        outb(0x43, 0x34);
        outb(0x40, latch & 0xFF);
        outb(0x40, latch >>> 8);
    }

    /** Guest nanoseconds of PIT tick {@code tick}. */
    static long pitNanos(long tick) {
        return Pit8254.nanosOfTick(tick);
    }

    long pitTick() {
        return Pit8254.tick(now());
    }
}
