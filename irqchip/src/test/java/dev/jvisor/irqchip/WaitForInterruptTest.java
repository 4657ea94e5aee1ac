package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HLT support: {@link Platform#waitForInterrupt} ends on an interrupt raised by another thread, on
 * its deadline, or on {@link Platform#wake}. The timeouts only guard against a hang.
 */
@Timeout(30)
class WaitForInterruptTest {
    private static final long MILLIS = 1_000_000L;

    /** Starts {@code action} on a new thread once the test thread is about to block. */
    private static Thread later(Runnable action) {
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            action.run();
        });
        return thread;
    }

    @Test
    void wokenByALineRaisedOnAnotherThread() throws InterruptedException {
        Fixture f = new Fixture();
        f.enableApic(0);
        f.programPin(4, 0x24);
        Thread device = later(() -> f.platform.lines().pulse(4));
        f.platform.waitForInterrupt(0, Long.MAX_VALUE);
        assertThat(f.lapic(0).interruptPending()).isTrue();
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x24);
        device.join();
    }

    @Test
    void wokenByItsDeadline() {
        Platform platform = new Platform(new VirtualClock(), 1);
        long deadline = platform.clock().nanos() + 20 * MILLIS;
        platform.waitForInterrupt(0, deadline);
        assertThat(platform.clock().nanos()).isGreaterThanOrEqualTo(deadline);
        assertThat(platform.lapic(0).interruptPending()).isFalse();
    }

    @Test
    void wokenByAKick() throws InterruptedException {
        Fixture f = new Fixture();
        Thread kicker = later(() -> f.platform.wake(0));
        f.platform.waitForInterrupt(0, Long.MAX_VALUE);
        kicker.join();
        assertThat(f.lapic(0).pendingEvents()).isZero();
    }

    @Test
    void aKickBeforeTheWaitIsNotLost() {
        Platform platform = new Platform(new VirtualClock(), 1);
        platform.wake(0);
        long before = platform.clock().nanos();
        platform.waitForInterrupt(0, Long.MAX_VALUE); // returns at once
        long deadline = platform.clock().nanos() + 5 * MILLIS;
        platform.waitForInterrupt(0, deadline); // the kick was used up: this one runs to its deadline
        assertThat(platform.clock().nanos()).isGreaterThanOrEqualTo(deadline).isGreaterThan(before);
    }

    @Test
    void maskedHaltIgnoresMaskableInterruptsButNotNmi() throws InterruptedException {
        Platform platform = new Platform(new VirtualClock(), 1);
        platform.lapic(0).mmioWrite(SVR, 4, 0x1FF);
        platform.lapic(0).deliver(DeliveryMode.FIXED, 0x41, false);
        long deadline = platform.clock().nanos() + 10 * MILLIS;
        platform.waitForInterrupt(0, deadline, false);
        assertThat(platform.clock().nanos()).isGreaterThanOrEqualTo(deadline);

        Thread nmi = later(() -> platform.lapic(0).deliver(DeliveryMode.NMI, 0, false));
        platform.waitForInterrupt(0, Long.MAX_VALUE, false);
        nmi.join();
        assertThat(platform.lapic(0).nmiPending()).isTrue();
    }

    @Test
    void apWaitingForStartupIsWokenByTheSipi() throws InterruptedException {
        Fixture f = new Fixture(2);
        CountDownLatch started = new CountDownLatch(1);
        int[] vector = {-1};
        Thread ap = Thread.ofPlatform().start(() -> {
            started.countDown();
            LocalApic apic = f.lapic(1);
            while (true) {
                f.platform.waitForInterrupt(1, Long.MAX_VALUE, false);
                apic.takeInit();
                int v = apic.takeStartupVector();
                if (v >= 0) {
                    vector[0] = v;
                    return;
                }
            }
        });
        started.await();
        f.apicWrite(0, ICR_HIGH, 1 << 24);
        f.apicWrite(0, ICR_LOW, 0xC500);
        f.apicWrite(0, ICR_LOW, 0x0600 | 0x9A);
        ap.join();
        assertThat(vector[0]).isEqualTo(0x9A);
    }

    @Test
    void timerDeadlineAsHaltDeadline() {
        Fixture f = new Fixture();
        f.enableApic(0);
        f.apicWrite(0, LVT_TIMER, 0xEC);
        f.apicWrite(0, TIMER_INITIAL, 1000);
        long deadline = f.platform.nextDeadline(0);
        f.advanceTo(deadline); // the hand-driven clock is already there: the wait ends at once
        f.platform.waitForInterrupt(0, deadline);
        f.platform.updateTimers(0, f.now());
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0xEC);
    }
}
