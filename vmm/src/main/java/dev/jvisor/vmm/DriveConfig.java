package dev.jvisor.vmm;

import dev.jvisor.io.disk.DiskFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One virtio-blk disk of a VM, as {@code --drive} describes it:
 * {@code file=PATH[,format=raw|qcow2][,readonly=on][,rate=...][,burst=...]}.
 *
 * <p>The format is probed only for read-only drives. A writable drive must say its format unless the
 * file is unambiguous — see {@link DriveFormats}: probing a writable raw image would let a guest that
 * writes a qcow2 header into its disk turn it, at the next boot, into an overlay over any host file
 * (the warning in {@code io}'s {@code DiskImages}).
 *
 * @param file     the image file
 * @param format   the image format, or empty to probe (see above)
 * @param readOnly present the disk read-only and open the file without write access
 * @param rate     bandwidth and operation limits
 */
public record DriveConfig(Path file, Optional<DiskFormat> format, boolean readOnly, RateLimitConfig rate) {
    /** The keys {@code --drive} accepts. */
    public static final List<String> KEYS = List.of("file", "format", "readonly", "rate", "burst");

    public DriveConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(rate, "rate");
    }

    /** A writable drive of the given format with no rate limit. */
    public static DriveConfig writable(Path file, DiskFormat format) {
        return new DriveConfig(file, Optional.of(format), false, RateLimitConfig.NONE);
    }

    /** A read-only drive (format probed when empty) with no rate limit. */
    public static DriveConfig readOnly(Path file, Optional<DiskFormat> format) {
        return new DriveConfig(file, format, true, RateLimitConfig.NONE);
    }

    /**
     * Parses the {@code --drive} syntax. Only the syntax is checked here; the file is looked at when
     * the VM is built.
     *
     * @throws IllegalArgumentException with a message naming the bad option
     */
    public static DriveConfig parse(String text) {
        DeviceOptions o = DeviceOptions.parse("--drive", text);
        o.requireOnly(KEYS);
        String file = o.single("file");
        if (file == null || file.isEmpty()) {
            throw new IllegalArgumentException("--drive '" + text + "' needs file=PATH");
        }
        String format = o.single("format");
        Optional<DiskFormat> fmt;
        try {
            fmt = format == null ? Optional.empty() : Optional.of(DiskFormat.parse(format));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--drive: " + e.getMessage());
        }
        RateLimitConfig rate;
        try {
            rate = RateLimitConfig.parse(o.single("rate"), o.single("burst"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--drive: " + e.getMessage());
        }
        Path path;
        try {
            path = Path.of(file);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("--drive: bad file name '" + file + "': " + e.getReason());
        }
        return new DriveConfig(path, fmt, o.flag("readonly", false), rate);
    }
}
