package dev.jvisor.io.disk;

import java.io.IOException;

/**
 * Opens the backing image named in an overlay's header. {@link DiskImages} resolves relative names
 * against the overlay's directory and opens backing images read-only (with a shared lock).
 */
@FunctionalInterface
public interface BackingOpener {
    /**
     * @param name the backing file name exactly as stored in the overlay
     * @param format the stored backing format ({@code raw}, {@code qcow2}) or null if none was stored
     */
    DiskImage open(String name, String format) throws IOException;

    /** An opener that refuses every backing file (for images that must stand alone, and for fuzzing). */
    static BackingOpener none() {
        return (name, format) -> {
            throw new InvalidImageException("backing file '" + name + "' not allowed here");
        };
    }
}
