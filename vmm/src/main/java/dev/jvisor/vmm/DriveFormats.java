package dev.jvisor.vmm;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Decides the format of a drive given without {@code format=}.
 *
 * <p>Read-only drives are probed: qcow2 if the file starts with the qcow2 magic, raw otherwise. A
 * guest cannot change a read-only file, so the probe cannot be turned against the host.
 *
 * <p>Writable drives are probed only when the file's name and content agree — {@code .qcow2} with the
 * qcow2 magic, or {@code .raw} without it — and refused otherwise. The danger being avoided: a guest
 * may write a qcow2 header at the start of a raw disk it owns; if the next boot probed that disk, it
 * would be opened as an overlay whose backing file the guest chose (any file the host user can read).
 */
public final class DriveFormats {
    private DriveFormats() {
    }

    /**
     * The format to open {@code drive}'s file with.
     *
     * @throws VmException when a writable drive's format is ambiguous, or the file cannot be read
     */
    public static DiskFormat resolve(DriveConfig drive) throws VmException {
        if (drive.format().isPresent()) {
            return drive.format().get();
        }
        Path file = drive.file();
        DiskFormat probed;
        try {
            probed = DiskImages.probe(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new VmException("drive " + file + " does not exist");
        } catch (dev.jvisor.io.disk.ImageLockedException e) {
            throw new VmException("drive " + file + " is in use by another VM (locked)");
        } catch (IOException e) {
            throw new VmException("cannot read drive " + file + ": " + e.getMessage(), e);
        }
        if (drive.readOnly()) {
            return probed;
        }
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        DiskFormat byName = name.endsWith(".qcow2") ? DiskFormat.QCOW2 : name.endsWith(".raw") ? DiskFormat.RAW : null;
        if (byName == probed) {
            return probed;
        }
        String why = byName == null
                ? "its name does not say (.raw or .qcow2) and probing a writable image is unsafe"
                : "its name says " + byName.id() + " but its content looks " + probed.id();
        throw new VmException("writable drive " + file + " needs format=raw or format=qcow2: " + why
                + " (a guest could write a qcow2 header into a raw disk)");
    }
}
