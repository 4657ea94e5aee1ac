package dev.jvisor.server.firecracker;

import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.vmm.RateLimitConfig;
import java.time.Duration;
import java.util.List;

/**
 * The request bodies of Firecracker's API (its {@code firecracker.yaml} swagger definitions), with
 * its snake_case field names. Unknown fields are refused, as Firecracker's own deserialiser does.
 * Fields jvisor accepts but has no use for (SMT, CPU templates, cache type, I/O engine) are
 * checked for type and otherwise ignored.
 */
public final class FirecrackerModels {
    private FirecrackerModels() {
    }

    /** Every request type, for the fuzz target. */
    public static final List<Class<?>> REQUEST_TYPES = List.of(BootSource.class, MachineConfig.class, Drive.class,
            PartialDrive.class, NetworkInterface.class, InstanceActionInfo.class, VmStateChange.class, Logger.class,
            Metrics.class);

    /** {@code PUT /boot-source}. */
    public record BootSource(String kernelImagePath, String bootArgs, String initrdPath) {
    }

    /** {@code PUT|PATCH /machine-config}. */
    public record MachineConfig(Integer vcpuCount, Integer memSizeMib, Boolean smt, Boolean trackDirtyPages,
                                String cpuTemplate, String hugePages) {
    }

    /** A token bucket: {@code size} tokens refilled from empty in {@code refill_time} milliseconds. */
    public record TokenBucket(Long size, Long oneTimeBurst, Long refillTime) {
        TokenBucketConfig toConfig(String what) {
            if (size == null || refillTime == null) {
                throw new IllegalArgumentException(what + " needs size and refill_time");
            }
            if (size < 0 || refillTime < 0 || (oneTimeBurst != null && oneTimeBurst < 0)) {
                throw new IllegalArgumentException(what + ": sizes and times must not be negative");
            }
            if (size == 0 || refillTime == 0) {
                return null; // Firecracker: a zero size or refill time means no limit
            }
            return new TokenBucketConfig(size, oneTimeBurst == null ? 0 : oneTimeBurst, Duration.ofMillis(refillTime));
        }
    }

    /** A rate limiter: a bandwidth bucket (bytes) and an operations bucket. */
    public record RateLimiter(TokenBucket bandwidth, TokenBucket ops) {
        /** The equivalent jvisor limit. */
        public RateLimitConfig toConfig() {
            return new RateLimitConfig(bandwidth == null ? null : bandwidth.toConfig("bandwidth"),
                    ops == null ? null : ops.toConfig("ops"));
        }
    }

    /** {@code PUT /drives/{drive_id}}. */
    public record Drive(String driveId, String pathOnHost, Boolean isRootDevice, Boolean isReadOnly, String partuuid,
                        String cacheType, RateLimiter rateLimiter, String ioEngine, String socket) {
    }

    /** {@code PATCH /drives/{drive_id}} after boot. */
    public record PartialDrive(String driveId, String pathOnHost, RateLimiter rateLimiter) {
    }

    /** {@code PUT /network-interfaces/{iface_id}}. */
    public record NetworkInterface(String ifaceId, String hostDevName, String guestMac, RateLimiter rxRateLimiter,
                                   RateLimiter txRateLimiter) {
    }

    /** {@code PUT /actions}. */
    public record InstanceActionInfo(String actionType) {
    }

    /** {@code PATCH /vm}. */
    public record VmStateChange(String state) {
    }

    /** {@code PUT /logger}. */
    public record Logger(String logPath, String level, Boolean showLevel, Boolean showLogOrigin, String module) {
    }

    /** {@code PUT /metrics}. */
    public record Metrics(String metricsPath) {
    }
}
