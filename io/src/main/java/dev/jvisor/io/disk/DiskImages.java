package dev.jvisor.io.disk;

import dev.jvisor.io.disk.qcow2.Qcow2Header;
import dev.jvisor.io.disk.qcow2.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens disk images from host files, with their lock and their chain of backing images.
 *
 * <p>Backing files named in a qcow2 overlay are resolved against the overlay's directory when
 * relative, opened read-only (shared lock), and may themselves have backing files, up to
 * {@link #MAX_CHAIN} deep; a chain that loops is refused. A backing file whose format is not stored
 * in the overlay is probed.
 *
 * <p><b>Probing.</b> {@link #probe} recognises qcow2 by its magic and calls everything else raw. Do not
 * probe writable raw images given by untrusted users: a guest can write a qcow2 header into a raw
 * disk, and the next probe would trust it (and its backing file name, which can point to any host
 * file). The command line should require {@code format=raw} for raw images or open probed raw images
 * read-only; this is also why backing formats are taken from the overlay header when stored.
 */
public final class DiskImages {
    /** Longest backing chain followed. */
    public static final int MAX_CHAIN = 16;

    private DiskImages() {
    }

    /**
     * Opens {@code path} as {@code format}, writable unless {@code readOnly}.
     *
     * @throws java.nio.file.NoSuchFileException if it does not exist
     * @throws ImageLockedException if another VM uses it
     * @throws InvalidImageException if its header or tables are damaged or use unsupported features
     */
    public static DiskImage open(Path path, DiskFormat format, boolean readOnly) throws IOException {
        return open(path, format, readOnly, new ArrayList<>());
    }

    /** Opens {@code path} after probing its format (see the class comment about raw images). */
    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        return open(path, probe(path), readOnly);
    }

    /** QCOW2 if the file starts with the qcow2 magic, RAW otherwise. */
    public static DiskFormat probe(Path path) throws IOException {
        try (HostFile f = HostFile.open(path, false)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            f.readZeroFilled(0, magic);
            return magic.getInt(0) == Qcow2Header.MAGIC ? DiskFormat.QCOW2 : DiskFormat.RAW;
        }
    }

    private static DiskImage open(Path path, DiskFormat format, boolean readOnly, List<Path> chain) throws IOException {
        Path real = path.toAbsolutePath().normalize();
        if (chain.contains(real)) {
            throw new InvalidImageException("backing chain loops back to " + path);
        }
        if (chain.size() >= MAX_CHAIN) {
            throw new InvalidImageException("backing chain of " + chain.get(0) + " is deeper than " + MAX_CHAIN + " images");
        }
        chain.add(real);
        HostFile file = HostFile.open(path, !readOnly);
        if (format == DiskFormat.QCOW2) {
            return Qcow2Image.open(file, (name, fmt) -> openBacking(path, name, fmt, chain)); // closes file on failure
        }
        try {
            return new RawImage(file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static DiskImage openBacking(Path overlay, String name, String format, List<Path> chain) throws IOException {
        if (name.startsWith("json:") || name.contains("://")) {
            throw new InvalidImageException("backing file '" + name + "' of " + overlay + " is a protocol URL, which jvisor does not support");
        }
        Path backing = Path.of(name);
        if (!backing.isAbsolute()) {
            Path dir = overlay.toAbsolutePath().getParent();
            backing = dir == null ? backing : dir.resolve(backing);
        }
        DiskFormat fmt;
        if (format == null || format.isEmpty()) {
            fmt = probe(backing);
        } else {
            try {
                fmt = DiskFormat.parse(format);
            } catch (IllegalArgumentException e) {
                throw new InvalidImageException("backing file " + backing + " of " + overlay + " has unsupported format '" + format + "'");
            }
        }
        return open(backing, fmt, true, chain);
    }
}
