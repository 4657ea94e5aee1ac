package dev.jvisor.io.disk;

import dev.jvisor.io.disk.qcow2.Qcow2Checker;
import dev.jvisor.io.disk.qcow2.Qcow2Creator;
import dev.jvisor.io.disk.qcow2.Qcow2Header;
import dev.jvisor.io.disk.qcow2.Qcow2Image;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The operations behind {@code jvisor image}: create, overlay, info, check. Each takes the same locks
 * as a running VM, so it refuses to touch an image a VM is writing.
 */
public final class ImageTool {
    private ImageTool() {
    }

    /**
     * Creates an empty image of {@code size} bytes: a sparse raw file, or a qcow2 v3 image with 64 KiB
     * clusters.
     *
     * @throws FileAlreadyExistsException if {@code path} exists (images are never overwritten)
     * @throws IllegalArgumentException for a negative size or one qcow2 cannot describe
     */
    public static void create(Path path, DiskFormat format, long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("image size must not be negative: " + size);
        }
        switch (format) {
            case RAW -> {
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                    if (size > 0) {
                        ch.position(size - 1);
                        ch.write(java.nio.ByteBuffer.allocate(1)); // sets the length without allocating blocks
                    }
                    ch.force(true);
                }
            }
            case QCOW2 -> createQcow2(path, Qcow2Creator.Spec.of(size));
        }
    }

    /** Creates a qcow2 image with explicit parameters (version, cluster size, backing file). */
    public static void createQcow2(Path path, Qcow2Creator.Spec spec) throws IOException {
        Files.newByteChannel(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        boolean done = false;
        try (HostFile file = HostFile.open(path, true)) {
            Qcow2Creator.create(file, spec);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * Creates a qcow2 overlay at {@code path} whose backing image is {@code base}, with the base's
     * virtual size and format recorded. A relative {@code base} is stored relative to the overlay's
     * directory (as qcow2 readers resolve it), an absolute one as given.
     */
    public static void overlay(Path path, Path base) throws IOException {
        ImageInfo baseInfo = info(base);
        String stored;
        if (base.isAbsolute()) {
            stored = base.toString();
        } else {
            Path dir = path.toAbsolutePath().getParent();
            stored = dir.relativize(base.toAbsolutePath()).toString();
        }
        createQcow2(path, new Qcow2Creator.Spec(baseInfo.virtualSize(), 3, Qcow2Creator.DEFAULT_CLUSTER_BITS, stored,
                baseInfo.format().id()));
    }

    /** Describes {@code path} (format probed). */
    public static ImageInfo info(Path path) throws IOException {
        DiskFormat format = DiskImages.probe(path);
        try (HostFile file = HostFile.open(path, false)) {
            long fileSize = file.size();
            if (format == DiskFormat.RAW) {
                return new ImageInfo(path, format, fileSize, fileSize, 0, 0, null, null, false, false, 0);
            }
            Qcow2Header h = Qcow2Header.read(file);
            return new ImageInfo(path, format, h.size(), fileSize, h.clusterSize(), h.version(), h.backingFile(),
                    h.backingFormat(), h.dirty(), h.corrupt(), h.nbSnapshots());
        }
    }

    /** Checks {@code path} like {@code qemu-img check}; raw images have nothing to check and are always clean. */
    public static CheckResult check(Path path) throws IOException {
        DiskFormat format = DiskImages.probe(path);
        try (HostFile file = HostFile.open(path, false)) {
            if (format == DiskFormat.RAW) {
                return new CheckResult(0, 0, List.of(), 0, 0, 0);
            }
            return Qcow2Checker.check(file);
        }
    }
}
