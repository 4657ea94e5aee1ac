package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The timer bring-up of a Linux 6.1 boot, replayed at the register level with a minimal "CPU"
 * loop: the PIT as periodic clockevent, check_timer's IRQ 0 through IOAPIC pin 2, and the local
 * APIC timer calibrated against PIT ticks.
 */
class LinuxTimerBringUpTest {
    private static final int HZ = 250;
    private static final int LATCH = (int) ((Pit8254.FREQUENCY_HZ + HZ / 2) / HZ);
    private static final int TIMER_VECTOR = 0x30;

    private final Fixture f = new Fixture();
    private final LocalApic bsp = f.lapic(0);
    private long jiffies;
    private long calibrationStartCount = -1;
    private long calibrationEndCount = -1;
    private long calibrationStartJiffies;

    /** One interrupt-enabled stretch of the CPU: time advances to the next timer event, IRQs run. */
    private void runUntilNextEvent() {
        assertThat(f.runToNextDeadline(0)).isTrue();
        while (bsp.interruptPending()) {
            int vector = bsp.acknowledge();
            assertThat(vector).isEqualTo(TIMER_VECTOR);
            jiffies++;
            if (calibrationStartCount >= 0 && calibrationEndCount < 0 && jiffies - calibrationStartJiffies == 25) {
                calibrationEndCount = f.apicRead(0, TIMER_CURRENT) & 0xFFFF_FFFFL;
            }
            f.apicWrite(0, EOI, 0);
        }
    }

    @Test
    void checkTimerThenApicTimerCalibration() {
        // setup_local_APIC: software-enable, LINT0 masked ExtINT, LINT1 NMI.
        f.apicWrite(0, SVR, 0x1FF);
        f.apicWrite(0, LVT_LINT0, 0x10700);
        f.apicWrite(0, LVT_LINT1, 0x400);
        // PIT clockevent in periodic mode.
        f.pitPeriodic(LATCH);
        // check_timer: mask IRQ 0 in the 8259, re-init it with auto-EOI, IRQ 0 via IOAPIC pin 2.
        f.linuxInitPic(true, 0xFB, 0xFF);
        f.programPin(2, TIMER_VECTOR); // edge, active high, fixed, physical destination 0

        // timer_irq_works(): jiffies must advance by more than 4 while it waits ~10 ticks.
        for (int i = 0; i < 10; i++) {
            runUntilNextEvent();
        }
        assertThat(jiffies).isEqualTo(10);
        assertThat(f.platform.pic().intr()).as("IRQ 0 stays masked in the 8259").isFalse();

        // calibrate_APIC_clock: periodic LAPIC timer from 0xFFFFFFFF, divide by 16, masked,
        // measured over LAPIC_CAL_LOOPS = HZ / 10 PIT ticks.
        f.apicWrite(0, TIMER_DIVIDE, 0x3);
        f.apicWrite(0, LVT_TIMER, 0x10000 | 1 << 17 | 0xEC);
        f.apicWrite(0, TIMER_INITIAL, 0xFFFF_FFFF);
        runUntilNextEvent();
        calibrationStartJiffies = jiffies;
        calibrationStartCount = f.apicRead(0, TIMER_CURRENT) & 0xFFFF_FFFFL;
        while (calibrationEndCount < 0) {
            runUntilNextEvent();
        }
        long lapicTimerPeriod = (calibrationStartCount - calibrationEndCount) / 25;
        // 1 GHz / 16 / HZ, give or take the PIT's rounding of LATCH
        double expected = LocalApic.TIMER_FREQUENCY_HZ / 16.0 * LATCH / Pit8254.FREQUENCY_HZ;
        assertThat((double) lapicTimerPeriod).isCloseTo(expected, within(2.0));

        // lapic_timer_set_oneshot / lapic_next_event: the LAPIC takes over.
        f.apicWrite(0, LVT_TIMER, 0xEC);
        f.apicWrite(0, TIMER_INITIAL, (int) lapicTimerPeriod);
        long expectedFire = f.now() + lapicTimerPeriod * 16;
        assertThat(f.platform.nextDeadline(0)).isLessThanOrEqualTo(expectedFire);
        assertThat(bsp.timerDeadline()).isEqualTo(expectedFire);
    }
}
