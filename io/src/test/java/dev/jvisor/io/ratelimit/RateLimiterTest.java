package dev.jvisor.io.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Deterministic token-bucket behaviour on an injected clock (no sleeping, no real time). */
class RateLimiterTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private RateLimiter limiter(TokenBucketConfig bytes, TokenBucketConfig ops) {
        return new RateLimiter(bytes, ops, now::get);
    }

    @Test
    void unlimitedLetsEverythingThrough() {
        RateLimiter r = limiter(null, null);
        assertThat(r.isLimited()).isFalse();
        assertThat(r.consume(1_000_000, Long.MAX_VALUE / 2)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.bytesAvailable()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void bytesBucketEmptiesThenRefillsAtTheConfiguredRate() {
        // 1000 bytes per 100 ms: 10 bytes per ms.
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofMillis(100)), null);
        assertThat(r.consume(1, 600)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.consume(1, 400)).isEqualTo(RateLimiter.PROCEED);
        long wait = r.consume(1, 100);
        assertThat(wait).as("100 bytes at 10 bytes/ms").isEqualTo(10 * MS);
        now.addAndGet(wait - 1);
        assertThat(r.consume(1, 100)).as("one nanosecond early").isEqualTo(1);
        now.addAndGet(1);
        assertThat(r.consume(1, 100)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.bytesAvailable()).isZero();
    }

    @Test
    void refillNeverExceedsTheBucketSize() {
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofMillis(100)), null);
        r.consume(0, 1000);
        now.addAndGet(10_000 * MS);
        assertThat(r.bytesAvailable()).isEqualTo(1000);
    }

    @Test
    void fractionsOfTokensAreCarriedNotLost() {
        // 3 tokens per 10 ms: polling every 1 ms earns 0.3 tokens each time.
        RateLimiter r = limiter(null, new TokenBucketConfig(3, 0, Duration.ofMillis(10)));
        assertThat(r.consume(3, 0)).isEqualTo(RateLimiter.PROCEED);
        for (int i = 0; i < 10; i++) {
            now.addAndGet(MS);
            r.opsAvailable();
        }
        assertThat(r.opsAvailable()).isEqualTo(3);
    }

    @Test
    void oneTimeBurstIsSpentFirstAndNeverRefilled() {
        RateLimiter r = limiter(new TokenBucketConfig(100, 500, Duration.ofSeconds(1)), null);
        assertThat(r.bytesAvailable()).isEqualTo(600);
        assertThat(r.consume(1, 550)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.bytesAvailable()).isEqualTo(50);
        now.addAndGet(10_000 * MS);
        assertThat(r.bytesAvailable()).as("only the bucket refills").isEqualTo(100);
    }

    @Test
    void bothBucketsMustAllowAndNothingIsTakenOnRefusal() {
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofSeconds(1)), new TokenBucketConfig(2, 0, Duration.ofSeconds(1)));
        assertThat(r.consume(1, 10)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.consume(1, 10)).isEqualTo(RateLimiter.PROCEED);
        long wait = r.consume(1, 10);
        assertThat(wait).as("ops bucket: one op per 500 ms").isEqualTo(500 * MS);
        assertThat(r.bytesAvailable()).as("bytes not taken by the refused request").isEqualTo(980);
        long bytesWait = r.consume(0, 2000);
        assertThat(bytesWait).as("oversized request needs a full bucket").isEqualTo(20 * MS);
    }

    @Test
    void oversizedRequestPassesOnAFullBucketAndLeavesDebt() {
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofSeconds(1)), null);
        assertThat(r.consume(1, 3000)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.bytesAvailable()).isEqualTo(-2000);
        assertThat(r.consume(1, 1)).as("pay back 2001 bytes at 1 byte/ms").isEqualTo(2001 * MS);
    }

    @Test
    void refundReturnsTokens() {
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofSeconds(1)), null);
        r.consume(1, 800);
        r.refund(1, 300);
        assertThat(r.bytesAvailable()).isEqualTo(500);
        r.refund(0, 10_000);
        assertThat(r.bytesAvailable()).isEqualTo(1000);
    }

    @Test
    void updateWhileRunningKeepsSpentTokensSpent() {
        RateLimiter r = limiter(new TokenBucketConfig(1000, 0, Duration.ofSeconds(1)), null);
        r.consume(1, 900);
        r.update(new TokenBucketConfig(5000, 0, Duration.ofSeconds(1)), null);
        assertThat(r.bytesAvailable()).as("growing does not refill").isEqualTo(100);
        now.addAndGet(100 * MS);
        assertThat(r.bytesAvailable()).as("new rate: 5 bytes/ms").isEqualTo(600);
        r.update(new TokenBucketConfig(50, 0, Duration.ofSeconds(1)), new TokenBucketConfig(1, 0, Duration.ofSeconds(1)));
        assertThat(r.bytesAvailable()).as("shrinking clamps").isEqualTo(50);
        assertThat(r.consume(1, 1)).isEqualTo(RateLimiter.PROCEED);
        assertThat(r.consume(1, 1)).isPositive();
        r.update(null, null);
        assertThat(r.isLimited()).isFalse();
        assertThat(r.consume(100, 100)).isEqualTo(RateLimiter.PROCEED);
    }

    @Test
    void hugeRatesAndLongPausesDoNotOverflow() {
        RateLimiter r = limiter(new TokenBucketConfig(Long.MAX_VALUE / 4, 0, Duration.ofDays(365)), null);
        assertThat(r.consume(1, Long.MAX_VALUE / 4)).isEqualTo(RateLimiter.PROCEED);
        now.addAndGet(Duration.ofDays(100).toNanos());
        long available = r.bytesAvailable();
        assertThat(available).isBetween(Long.MAX_VALUE / 4 / 365 * 99, Long.MAX_VALUE / 4 / 365 * 101);
        now.addAndGet(Duration.ofDays(1000).toNanos());
        assertThat(r.bytesAvailable()).isEqualTo(Long.MAX_VALUE / 4);
    }

    @Test
    void rejectsBadConfigurationAndRequests() {
        assertThatThrownBy(() -> new TokenBucketConfig(0, 0, Duration.ofSeconds(1))).hasMessageContaining("size must be positive");
        assertThatThrownBy(() -> new TokenBucketConfig(1, -1, Duration.ofSeconds(1))).hasMessageContaining("burst");
        assertThatThrownBy(() -> new TokenBucketConfig(1, 0, Duration.ZERO)).hasMessageContaining("refill time");
        RateLimiter r = limiter(TokenBucketConfig.perSecond(10), null);
        assertThatThrownBy(() -> r.consume(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
