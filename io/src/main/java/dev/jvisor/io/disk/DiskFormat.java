package dev.jvisor.io.disk;

import java.util.Locale;

/** Disk image formats jvisor reads and writes. */
public enum DiskFormat {
    /** A plain file whose bytes are the disk's bytes. */
    RAW,
    /** QEMU's copy-on-write format, versions 2 and 3 (QEMU docs/interop/qcow2.txt). */
    QCOW2;

    /** The lower-case name used on the command line and in qcow2 backing-format extensions. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code raw} or {@code qcow2} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted formats otherwise
     */
    public static DiskFormat parse(String text) {
        for (DiskFormat f : values()) {
            if (f.id().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown disk image format '" + text + "' (expected raw or qcow2)");
    }
}
