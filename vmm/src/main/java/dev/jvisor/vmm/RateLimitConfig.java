package dev.jvisor.vmm;

import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rate limit of one device: an optional bucket of bytes and an optional bucket of operations
 * (Firecracker's token buckets, see {@link TokenBucketConfig}), as written on the command line:
 *
 * <pre>
 *   rate=TERM[+TERM]     TERM = AMOUNT/PERIOD   (bytes: 10M/s, 512K/100ms)
 *                               COUNT op/PERIOD (operations: 1000op/s)
 *   burst=AMOUNT[+COUNTop]                      (one-time extra tokens at start)
 * </pre>
 *
 * AMOUNT is a byte count with an optional binary suffix (K, M, G; "B" or "iB" may follow), PERIOD is
 * {@code s}, {@code Ns} or {@code Nms}. A term makes a bucket of AMOUNT tokens refilled from empty in
 * PERIOD: {@code 10M/s} allows 10 MiB per second steadily and bursts of up to 10 MiB, while
 * {@code 1M/100ms} allows the same 10 MiB/s in bursts of at most 1 MiB.
 *
 * @param bytes the bytes bucket, or null for no bandwidth limit
 * @param ops   the operations bucket, or null for no operation-rate limit
 */
public record RateLimitConfig(TokenBucketConfig bytes, TokenBucketConfig ops) {
    /** No limit at all. */
    public static final RateLimitConfig NONE = new RateLimitConfig(null, null);

    private static final Pattern TERM = Pattern.compile("(?i)(\\d+)([kmgt]?)(?:i?b)?(ops?)?/(\\d*)(ms|s)");
    private static final Pattern BURST = Pattern.compile("(?i)(\\d+)([kmgt]?)(?:i?b)?(ops?)?");

    /**
     * Parses the {@code rate=} and {@code burst=} values (either may be null).
     *
     * @throws IllegalArgumentException naming the bad part and the expected form
     */
    public static RateLimitConfig parse(String rate, String burst) {
        if (rate == null) {
            if (burst != null) {
                throw new IllegalArgumentException("burst=" + burst + " needs a rate= to add to");
            }
            return NONE;
        }
        long bytesSize = 0, opsSize = 0;
        Duration bytesPeriod = null, opsPeriod = null;
        for (String term : rate.split("\\+", -1)) {
            Matcher m = TERM.matcher(term.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("bad rate term '" + term
                        + "' (expected AMOUNT/PERIOD like 10M/s or COUNTop/PERIOD like 1000op/s)");
            }
            boolean isOps = m.group(3) != null;
            if (isOps && !m.group(2).isEmpty()) {
                throw new IllegalArgumentException("bad rate term '" + term + "': an operation count takes no size suffix");
            }
            long amount = amount(m.group(1), m.group(2), term);
            Duration period = period(m.group(4), m.group(5), term);
            if (isOps) {
                if (opsPeriod != null) {
                    throw new IllegalArgumentException("rate=" + rate + " gives two operation limits");
                }
                opsSize = amount;
                opsPeriod = period;
            } else {
                if (bytesPeriod != null) {
                    throw new IllegalArgumentException("rate=" + rate + " gives two bandwidth limits");
                }
                bytesSize = amount;
                bytesPeriod = period;
            }
        }
        long bytesBurst = 0, opsBurst = 0;
        if (burst != null) {
            for (String term : burst.split("\\+", -1)) {
                Matcher m = BURST.matcher(term.trim());
                if (!m.matches()) {
                    throw new IllegalArgumentException("bad burst term '" + term + "' (expected AMOUNT like 64M or COUNTop like 100op)");
                }
                if (m.group(3) != null) {
                    if (opsPeriod == null) {
                        throw new IllegalArgumentException("burst " + term + " is for operations but rate= sets no op/PERIOD limit");
                    }
                    opsBurst = Math.addExact(opsBurst, amount(m.group(1), m.group(2), term));
                } else {
                    if (bytesPeriod == null) {
                        throw new IllegalArgumentException("burst " + term + " is in bytes but rate= sets no bandwidth limit");
                    }
                    bytesBurst = Math.addExact(bytesBurst, amount(m.group(1), m.group(2), term));
                }
            }
        }
        return new RateLimitConfig(
                bytesPeriod == null ? null : new TokenBucketConfig(bytesSize, bytesBurst, bytesPeriod),
                opsPeriod == null ? null : new TokenBucketConfig(opsSize, opsBurst, opsPeriod));
    }

    private static long amount(String digits, String suffix, String term) {
        int shift = switch (suffix.toUpperCase(Locale.ROOT)) {
            case "" -> 0;
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 40;
        };
        try {
            long n = Long.parseLong(digits);
            if (n <= 0) {
                throw new IllegalArgumentException("rate term '" + term + "' must be positive");
            }
            return Math.multiplyExact(n, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("rate term '" + term + "' is too large");
        }
    }

    private static Duration period(String digits, String unit, String term) {
        long n;
        try {
            n = digits.isEmpty() ? 1 : Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rate term '" + term + "' has a period too long");
        }
        Duration d = unit.equalsIgnoreCase("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
        if (d.toMillis() < 1 || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("rate term '" + term + "': the period must be between 1 ms and a day");
        }
        return d;
    }

    /** Whether any limit is set. */
    public boolean limited() {
        return bytes != null || ops != null;
    }

    /** A fresh limiter with these buckets (each device gets its own). */
    public RateLimiter newLimiter() {
        return limited() ? new RateLimiter(bytes, ops) : RateLimiter.unlimited();
    }

    @Override
    public String toString() {
        if (!limited()) {
            return "unlimited";
        }
        StringBuilder s = new StringBuilder();
        if (bytes != null) {
            s.append(bytes.size()).append(" bytes/").append(bytes.refillTime().toMillis()).append(" ms");
            if (bytes.oneTimeBurst() > 0) {
                s.append(" (burst ").append(bytes.oneTimeBurst()).append(')');
            }
        }
        if (ops != null) {
            s.append(s.isEmpty() ? "" : ", ").append(ops.size()).append(" ops/").append(ops.refillTime().toMillis()).append(" ms");
            if (ops.oneTimeBurst() > 0) {
                s.append(" (burst ").append(ops.oneTimeBurst()).append(')');
            }
        }
        return s.toString();
    }
}
