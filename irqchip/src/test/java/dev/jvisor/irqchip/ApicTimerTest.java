package dev.jvisor.irqchip;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The local APIC timer in its three modes (Intel SDM Vol. 3A 10.5.4), on a hand-driven clock. */
class ApicTimerTest {
    private static final int VECTOR = 0xEC;
    private static final int PERIODIC = 1 << 17;
    private static final int TSC_DEADLINE = 2 << 17;

    private final Fixture f = new Fixture();
    private final LocalApic apic = f.lapic(0);

    @BeforeEach
    void enable() {
        f.enableApic(0);
        f.platform.pit().update(0);
        f.outb(0x43, 0x30); // quiet the power-on PIT so only the APIC timer has deadlines
    }

    private long apicDeadline() {
        return apic.timerDeadline();
    }

    @Test
    void oneShotFiresAfterInitialCountTimesDivider() {
        f.apicWrite(0, TIMER_DIVIDE, 0x3); // divide by 16
        f.apicWrite(0, LVT_TIMER, VECTOR);
        long start = f.now();
        f.apicWrite(0, TIMER_INITIAL, 1000);
        assertThat(apicDeadline()).isEqualTo(start + 16_000);
        f.advance(8_000);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isEqualTo(500);
        f.platform.updateTimers(0, f.now());
        assertThat(apic.interruptPending()).isFalse();
        assertThat(f.runToNextDeadline(0)).isTrue();
        assertThat(f.now()).isEqualTo(start + 16_000);
        assertThat(apic.acknowledge()).isEqualTo(VECTOR);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isZero();
        assertThat(f.platform.nextDeadline(0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void periodicReloads() {
        f.apicWrite(0, TIMER_DIVIDE, 0xB); // divide by 1
        f.apicWrite(0, LVT_TIMER, VECTOR | PERIODIC);
        long start = f.now();
        f.apicWrite(0, TIMER_INITIAL, 250_000);
        for (int period = 1; period <= 5; period++) {
            assertThat(f.runToNextDeadline(0)).isTrue();
            assertThat(f.now()).isEqualTo(start + 250_000L * period);
            assertThat(apic.acknowledge()).isEqualTo(VECTOR);
            f.apicWrite(0, EOI, 0);
        }
        f.advance(100_000);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isEqualTo(150_000);
    }

    @Test
    void maskedTimerCountsWithoutInterrupting() {
        f.apicWrite(0, LVT_TIMER, VECTOR | 1 << 16 | PERIODIC);
        f.apicWrite(0, TIMER_DIVIDE, 0xB);
        f.apicWrite(0, TIMER_INITIAL, 100);
        f.runToNextDeadline(0);
        assertThat(apic.interruptPending()).isFalse();
        f.advance(30);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isEqualTo(70);
    }

    @Test
    void zeroInitialCountStopsTheTimer() {
        f.apicWrite(0, LVT_TIMER, VECTOR);
        f.apicWrite(0, TIMER_INITIAL, 100);
        f.apicWrite(0, TIMER_INITIAL, 0);
        assertThat(apicDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isZero();
    }

    @Test
    void dividerChangeKeepsTheCurrentCount() {
        f.apicWrite(0, LVT_TIMER, VECTOR);
        f.apicWrite(0, TIMER_DIVIDE, 0x0); // divide by 2
        f.apicWrite(0, TIMER_INITIAL, 1000);
        f.advance(400); // 200 ticks
        f.apicWrite(0, TIMER_DIVIDE, 0xA); // divide by 128
        assertThat(f.apicRead(0, TIMER_DIVIDE)).isEqualTo(0xA);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isEqualTo(800);
        assertThat(apicDeadline()).isEqualTo(f.now() + 800L * 128);
    }

    @Test
    void finishedOneShotStaysAtZero() {
        f.apicWrite(0, LVT_TIMER, VECTOR);
        f.apicWrite(0, TIMER_DIVIDE, 0xA); // divide by 128
        f.apicWrite(0, TIMER_INITIAL, 10);
        f.runToNextDeadline(0);
        f.apicWrite(0, TIMER_DIVIDE, 0xB); // divide by 1
        assertThat(f.apicRead(0, TIMER_CURRENT)).isZero();
        assertThat(apicDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void changingTheModeDisarms() {
        f.apicWrite(0, LVT_TIMER, VECTOR);
        f.apicWrite(0, TIMER_INITIAL, 1000);
        f.apicWrite(0, LVT_TIMER, VECTOR | PERIODIC);
        assertThat(apicDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(f.apicRead(0, TIMER_CURRENT)).isZero();
        f.apicWrite(0, LVT_TIMER, VECTOR | 1 << 16 | PERIODIC); // masking alone keeps it
        f.apicWrite(0, TIMER_INITIAL, 1000);
        f.apicWrite(0, LVT_TIMER, VECTOR | PERIODIC);
        assertThat(apicDeadline()).isNotEqualTo(Long.MAX_VALUE);
    }

    @Test
    void tscDeadlineMode() {
        f.apicWrite(0, LVT_TIMER, VECTOR | TSC_DEADLINE);
        f.apicWrite(0, TIMER_INITIAL, 1000);
        assertThat(f.apicRead(0, TIMER_INITIAL)).as("ignored in TSC-deadline mode").isZero();
        long deadline = f.clock.tsc() + 2_000_000; // 1 ms at 2 GHz
        apic.writeTscDeadline(deadline);
        assertThat(apic.readTscDeadline()).isEqualTo(deadline);
        assertThat(f.platform.nextDeadline(0)).isEqualTo(f.now() + 1_000_000);
        f.advance(999_999);
        f.platform.updateTimers(0, f.now());
        assertThat(apic.interruptPending()).isFalse();
        assertThat(f.runToNextDeadline(0)).isTrue();
        assertThat(f.clock.tsc()).isGreaterThanOrEqualTo(deadline);
        assertThat(apic.acknowledge()).isEqualTo(VECTOR);
        assertThat(apic.readTscDeadline()).as("cleared when it fires").isZero();
        assertThat(f.apicRead(0, TIMER_CURRENT)).isZero();
    }

    @Test
    void pastTscDeadlineFiresAtOnce() {
        f.apicWrite(0, LVT_TIMER, VECTOR | TSC_DEADLINE);
        f.advance(1_000);
        apic.writeTscDeadline(1);
        assertThat(apic.interruptPending()).isTrue();
        assertThat(apic.readTscDeadline()).isZero();
    }

    @Test
    void tscDeadlineIgnoredInOtherModes() {
        f.apicWrite(0, LVT_TIMER, VECTOR);
        apic.writeTscDeadline(f.clock.tsc() + 100);
        assertThat(apic.readTscDeadline()).isZero();
        assertThat(apicDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void writingTheTscMovesTheDeadline() {
        f.apicWrite(0, LVT_TIMER, VECTOR | TSC_DEADLINE);
        long deadline = f.clock.tsc() + 2_000_000_000L;
        apic.writeTscDeadline(deadline);
        f.clock.setTsc(deadline - 2_000); // the guest jumps the TSC forward
        assertThat(f.platform.nextDeadline(0)).isEqualTo(f.now() + 1_000);
        f.runToNextDeadline(0);
        assertThat(apic.acknowledge()).isEqualTo(VECTOR);
    }

    @Test
    void zeroTscDeadlineDisarms() {
        f.apicWrite(0, LVT_TIMER, VECTOR | TSC_DEADLINE);
        apic.writeTscDeadline(f.clock.tsc() + 1_000);
        apic.writeTscDeadline(0);
        assertThat(apicDeadline()).isEqualTo(Long.MAX_VALUE);
    }
}
