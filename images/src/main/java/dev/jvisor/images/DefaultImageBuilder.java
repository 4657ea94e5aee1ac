package dev.jvisor.images;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Fetches the two packages, verifies them and builds the default image's files into the cache
 * directory. Called by {@link DefaultImage#ensure} with the cache lock held.
 */
final class DefaultImageBuilder {
    /** The suites apt would use for bookworm with updates and security updates. */
    static final List<String> SUITES = List.of("bookworm", "bookworm-updates", "bookworm-security");
    static final String KERNEL_METAPACKAGE = "linux-image-cloud-amd64";
    static final String KERNEL_PREFIX = "linux-image-";
    static final String BUSYBOX_PACKAGE = "busybox-static";
    /** The virtio drivers jvisor's devices need; their dependencies (failover, ...) come along. */
    static final List<String> MODULES = List.of("virtio", "virtio_ring", "virtio_pci_modern_dev",
            "virtio_pci_legacy_dev", "virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_rng",
            "virtio_console");
    private static final long MAX_BUSYBOX_BYTES = 64L << 20;
    /** Name prefixes of the image files; others with these prefixes are left over from older builds. */
    private static final List<String> IMAGE_FILE_PREFIXES = List.of("vmlinuz-", "initrd-", "config-");

    private DefaultImageBuilder() {
    }

    static ImageManifest build(Path imageDir, DefaultImage.ArchiveOpener opener, Consumer<String> progress)
            throws ImageException {
        Path work = imageDir.resolve("downloads");
        PackageEntry kernelPackage;
        PackageEntry busyboxPackage;
        Path kernelDeb;
        Path busyboxDeb;
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new ImageException("cannot create " + work + ": " + e.getMessage(), e);
        }
        try (DebianArchive archive = opener.open()) {
            PackageIndex index = archive.packageIndex(SUITES, "main",
                    name -> name.startsWith(KERNEL_PREFIX) || name.equals(BUSYBOX_PACKAGE), work, progress);
            kernelPackage = index.resolveThroughMetapackage(KERNEL_METAPACKAGE, KERNEL_PREFIX);
            busyboxPackage = index.resolve(BUSYBOX_PACKAGE);
            kernelDeb = archive.download(kernelPackage, work, progress);
            busyboxDeb = archive.download(busyboxPackage, work, progress);
        }
        progress.accept("building the initramfs from " + busyboxPackage.describe() + " and the modules of "
                + kernelPackage.describe() + "...");
        ImageManifest manifest = assemble(imageDir, kernelPackage, kernelDeb, busyboxPackage, busyboxDeb);
        deleteTree(work);
        removeStaleFiles(imageDir, manifest);
        progress.accept("default image ready: kernel " + manifest.kernelVersion() + " in " + imageDir);
        return manifest;
    }

    private static ImageManifest assemble(Path imageDir, PackageEntry kernelPackage, Path kernelDeb,
                                          PackageEntry busyboxPackage, Path busyboxDeb) throws ImageException {
        Path kernelTemp = null;
        Path configTemp = null;
        Path initrdTemp = null;
        try {
            kernelTemp = AtomicFiles.tempBeside(imageDir.resolve("vmlinuz"));
            KernelPackage.Extracted kernel = KernelPackage.extract(kernelDeb, MODULES, kernelTemp);
            byte[] busybox = DebPackage.readFile(busyboxDeb, List.of("bin/busybox", "usr/bin/busybox"),
                    MAX_BUSYBOX_BYTES);
            checkX8664Executable(busybox, busyboxPackage);

            String version = kernel.version();
            configTemp = AtomicFiles.tempBeside(imageDir.resolve("config"));
            Files.writeString(configTemp, kernel.config());
            initrdTemp = AtomicFiles.tempBeside(imageDir.resolve("initrd"));
            DefaultInitramfs.create(busybox, kernel).writeGzip(initrdTemp);

            Map<String, ImageManifest.CachedFile> files = new LinkedHashMap<>();
            files.put("kernel", place(kernelTemp, imageDir, "vmlinuz-" + version));
            files.put("config", place(configTemp, imageDir, "config-" + version));
            files.put("initrd", place(initrdTemp, imageDir, "initrd-" + version + ".cpio.gz"));
            ImageManifest manifest = new ImageManifest(DefaultImage.LAYOUT, version,
                    List.of(source(kernelPackage), source(busyboxPackage)), files);
            AtomicFiles.writeString(imageDir.resolve(DefaultImage.MANIFEST), manifest.format());
            return manifest;
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException("cannot write the default image into " + imageDir + ": " + e.getMessage(), e);
        } finally {
            for (Path temp : new Path[] {kernelTemp, configTemp, initrdTemp}) {
                if (temp != null) {
                    DebianArchive.deleteQuietly(temp);
                }
            }
        }
    }

    private static ImageManifest.CachedFile place(Path temp, Path imageDir, String name) throws IOException {
        long size = Files.size(temp);
        String sha256 = Digests.sha256(temp);
        AtomicFiles.moveIntoPlace(temp, imageDir.resolve(name));
        return new ImageManifest.CachedFile(name, size, sha256);
    }

    private static String source(PackageEntry entry) {
        return entry.describe() + " (" + entry.suite() + ")";
    }

    /** ELF magic, 64-bit class and e_machine EM_X86_64 (62): the guest can run it. */
    private static void checkX8664Executable(byte[] binary, PackageEntry from) throws ImageException {
        boolean elf = binary.length > 20 && binary[0] == 0x7f && binary[1] == 'E' && binary[2] == 'L'
                && binary[3] == 'F' && binary[4] == 2 && binary[18] == 62 && binary[19] == 0;
        if (!elf) {
            throw new ImageException(from.describe() + ": bin/busybox is not an x86-64 ELF executable");
        }
    }

    /** Removes image files of earlier builds and temporary files of interrupted ones. */
    private static void removeStaleFiles(Path imageDir, ImageManifest manifest) {
        List<String> keep = manifest.files().values().stream().map(ImageManifest.CachedFile::name).toList();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(imageDir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean managed = IMAGE_FILE_PREFIXES.stream().anyMatch(name::startsWith)
                        || (name.startsWith(".") && name.endsWith(".tmp"));
                if (managed && !keep.contains(name)) {
                    DebianArchive.deleteQuietly(entry);
                }
            }
        } catch (IOException ignored) {
            // Stale files only cost disk space; the manifest decides what is used.
        }
    }

    private static void deleteTree(Path directory) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(DebianArchive::deleteQuietly);
        } catch (IOException ignored) {
            // Leftover downloads only cost disk space and are reused or replaced next time.
        }
    }
}
