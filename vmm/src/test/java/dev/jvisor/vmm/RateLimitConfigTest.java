package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {
    @Test
    void noRateMeansNoLimit() {
        RateLimitConfig none = RateLimitConfig.parse(null, null);
        assertThat(none).isEqualTo(RateLimitConfig.NONE);
        assertThat(none.limited()).isFalse();
        assertThat(none.newLimiter().isLimited()).isFalse();
    }

    @Test
    void bytesAndOperationsTermsMakeTheirBuckets() {
        RateLimitConfig r = RateLimitConfig.parse("10M/s+1000op/s", null);
        assertThat(r.bytes()).isEqualTo(new TokenBucketConfig(10L << 20, 0, Duration.ofSeconds(1)));
        assertThat(r.ops()).isEqualTo(new TokenBucketConfig(1000, 0, Duration.ofSeconds(1)));
        assertThat(RateLimitConfig.parse("512KiB/100ms", null).bytes())
                .isEqualTo(new TokenBucketConfig(512L << 10, 0, Duration.ofMillis(100)));
        assertThat(RateLimitConfig.parse("20ops/2s", null).ops())
                .isEqualTo(new TokenBucketConfig(20, 0, Duration.ofSeconds(2)));
        assertThat(RateLimitConfig.parse("1G/s", null).ops()).isNull();
    }

    @Test
    void burstAddsOneTimeTokensToTheMatchingBucket() {
        RateLimitConfig r = RateLimitConfig.parse("1M/s+100op/s", "64M+50op");
        assertThat(r.bytes().oneTimeBurst()).isEqualTo(64L << 20);
        assertThat(r.ops().oneTimeBurst()).isEqualTo(50);
    }

    @Test
    void theLimiterLetsTheBucketThroughThenMakesTheNextRequestWait() {
        RateLimiter limiter = RateLimitConfig.parse("4K/s+2op/s", null).newLimiter();
        assertThat(limiter.consume(1, 4096)).isEqualTo(RateLimiter.PROCEED);
        assertThat(limiter.consume(1, 1)).isPositive(); // bytes bucket is empty
        RateLimiter ops = RateLimitConfig.parse("2op/s", null).newLimiter();
        assertThat(ops.consume(1, 1 << 20)).isEqualTo(RateLimiter.PROCEED);
        assertThat(ops.consume(1, 1 << 20)).isEqualTo(RateLimiter.PROCEED);
        assertThat(ops.consume(1, 1)).isPositive();
    }

    @Test
    void badTermsAreRefusedWithTheExpectedForm() {
        assertThatThrownBy(() -> RateLimitConfig.parse("10M", null)).hasMessageContaining("expected AMOUNT/PERIOD");
        assertThatThrownBy(() -> RateLimitConfig.parse("10M/h", null)).hasMessageContaining("bad rate term '10M/h'");
        assertThatThrownBy(() -> RateLimitConfig.parse("0/s", null)).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> RateLimitConfig.parse("1M/s+2M/s", null)).hasMessageContaining("two bandwidth limits");
        assertThatThrownBy(() -> RateLimitConfig.parse("1op/s+2op/s", null)).hasMessageContaining("two operation limits");
        assertThatThrownBy(() -> RateLimitConfig.parse("1Kop/s", null)).hasMessageContaining("no size suffix");
        assertThatThrownBy(() -> RateLimitConfig.parse("99999999999T/s", null)).hasMessageContaining("too large");
        assertThatThrownBy(() -> RateLimitConfig.parse("1M/0s", null)).hasMessageContaining("between 1 ms and a day");
        assertThatThrownBy(() -> RateLimitConfig.parse("1M/2000000s", null)).hasMessageContaining("between 1 ms and a day");
        assertThatThrownBy(() -> RateLimitConfig.parse(null, "1M")).hasMessageContaining("needs a rate=");
        assertThatThrownBy(() -> RateLimitConfig.parse("1M/s", "10op")).hasMessageContaining("no op/PERIOD limit");
        assertThatThrownBy(() -> RateLimitConfig.parse("1op/s", "10M")).hasMessageContaining("no bandwidth limit");
        assertThatThrownBy(() -> RateLimitConfig.parse("1op/s", "lots")).hasMessageContaining("bad burst term");
    }
}
