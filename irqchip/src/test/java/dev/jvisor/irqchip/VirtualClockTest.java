package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualClockTest {
    private final AtomicLong host = new AtomicLong(123_456_789L);
    private final VirtualClock clock = new VirtualClock(host::get, 2_000_000_000L);

    @Test
    void guestTimeStartsAtZeroAndFollowsTheHost() {
        assertThat(clock.nanos()).isZero();
        host.addAndGet(1_500);
        assertThat(clock.nanos()).isEqualTo(1_500);
        assertThat(clock.tsc()).isEqualTo(3_000);
    }

    @Test
    void pausedTimeIsNotGuestTime() {
        host.addAndGet(1_000_000);
        clock.pause();
        assertThat(clock.paused()).isTrue();
        host.addAndGet(60_000_000_000L);
        assertThat(clock.nanos()).isEqualTo(1_000_000);
        clock.pause(); // idempotent
        clock.resume();
        assertThat(clock.nanos()).isEqualTo(1_000_000);
        host.addAndGet(500);
        assertThat(clock.nanos()).isEqualTo(1_000_500);
        clock.resume(); // idempotent
        assertThat(clock.nanos()).isEqualTo(1_000_500);
    }

    @Test
    void guestTscWritesMoveTheOffsetAndTheTscKeepsCounting() {
        host.addAndGet(1_000);
        int epoch = clock.tscEpoch();
        clock.setTsc(1_000_000_000_000L);
        assertThat(clock.tsc()).isEqualTo(1_000_000_000_000L);
        assertThat(clock.tscEpoch()).isNotEqualTo(epoch);
        host.addAndGet(10);
        assertThat(clock.tsc()).isEqualTo(1_000_000_000_020L);
    }

    @Test
    void tscOfYearsOfUptimeDoesNotOverflow() {
        long fiveYears = 5L * 365 * 24 * 3600 * 1_000_000_000L;
        host.addAndGet(fiveYears);
        assertThat(clock.tsc()).isEqualTo(fiveYears * 2);
    }

    @Test
    void findsWhenTheTscReachesAValue() {
        host.addAndGet(1_000);
        long now = clock.nanos();
        assertThat(clock.nanosWhenTscReaches(clock.tsc() + 2_001, now)).isEqualTo(now + 1_001);
        assertThat(clock.nanosWhenTscReaches(clock.tsc() - 1, now)).isZero();
        // an "unsigned" deadline far beyond 2^63 ticks never arrives
        assertThat(clock.nanosWhenTscReaches(-2, now)).isEqualTo(Long.MAX_VALUE);
        assertThat(clock.tscAt(clock.nanosWhenTscReaches(123_457L, 0))).isGreaterThanOrEqualTo(123_457L);
    }

    @Test
    void systemClockRuns() throws InterruptedException {
        VirtualClock real = new VirtualClock();
        long before = real.nanos();
        Thread.sleep(2);
        assertThat(real.nanos()).isGreaterThan(before);
        assertThat(real.tscHz()).isEqualTo(VirtualClock.DEFAULT_TSC_HZ);
    }

    @Test
    void rejectsUnusableTscFrequencies() {
        assertThatThrownBy(() -> new VirtualClock(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TSC frequency");
        assertThatThrownBy(() -> new VirtualClock(9_000_000_000L)).isInstanceOf(IllegalArgumentException.class);
    }
}
