package dev.jvisor.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeviceTimerTest {
    @Test
    void runsTheCallbackOnceTheDeadlineIsReached() throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        try (DeviceTimer timer = new DeviceTimer("t", System::nanoTime, fired::countDown)) {
            timer.armAt(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5));
            assertThat(fired.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(timer.isArmed()).isFalse();
        }
    }

    @Test
    void neverFiresBeforeTheTimeBaseReachesTheDeadline() throws InterruptedException {
        // A time base that stands still: the deadline is never reached, whatever the host clock does.
        AtomicInteger calls = new AtomicInteger();
        try (DeviceTimer timer = new DeviceTimer("t", () -> 0L, calls::incrementAndGet)) {
            timer.armAt(1_000_000); // 1 ms ahead of a clock that never moves
            Thread.sleep(20);
            assertThat(calls.get()).isZero();
            assertThat(timer.isArmed()).isTrue();
            timer.disarm();
            assertThat(timer.isArmed()).isFalse();
        }
    }

    @Test
    void callbackMayRearmAndCloseStopsIt() throws InterruptedException {
        CountDownLatch three = new CountDownLatch(3);
        DeviceTimer[] holder = new DeviceTimer[1];
        holder[0] = new DeviceTimer("t", System::nanoTime, () -> {
            three.countDown();
            holder[0].armAt(System.nanoTime() + 1_000_000);
        });
        holder[0].armAt(System.nanoTime());
        assertThat(three.await(30, TimeUnit.SECONDS)).isTrue();
        holder[0].close();
        holder[0].armAt(System.nanoTime());
        assertThat(holder[0].isArmed()).isFalse(); // ignored after close
    }

    @Test
    void aFailingCallbackDoesNotKillTheTimer() throws InterruptedException {
        CountDownLatch second = new CountDownLatch(2);
        try (DeviceTimer timer = new DeviceTimer("t", System::nanoTime, () -> {
            second.countDown();
            throw new IllegalStateException("device bug");
        })) {
            timer.armAt(System.nanoTime());
            while (timer.isArmed()) {
                Thread.sleep(1);
            }
            timer.armAt(System.nanoTime());
            assertThat(second.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
