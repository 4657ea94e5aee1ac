package dev.jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The image {@code jvisor run} boots when no kernel is given: Debian bookworm's stock cloud kernel
 * ({@code linux-image-cloud-amd64}) with an initramfs built from {@code busybox-static} and the
 * kernel's virtio modules, fetched from Debian's archive on first use and cached.
 *
 * <p>The command line is {@value #DEFAULT_CMDLINE}: the console on the first serial port; on panic,
 * reboot at once instead of hanging (so a failed boot ends the VM); and {@code quiet}, because every
 * console byte is a handful of emulated UART register accesses and the ~300 lines of boot messages
 * cost more emulated time than they are worth in normal use — errors (loglevel ≤ 3) are still shown.
 * Drop {@code quiet} when debugging a boot.
 *
 * @param kernel        the bzImage
 * @param initrd        the gzip-compressed newc initramfs
 * @param cmdline       the kernel command line to boot with
 * @param kernelVersion the kernel release, as {@code uname -r} prints it
 * @param kernelConfig  the kernel's build configuration ({@code /boot/config-*})
 */
public record DefaultImage(Path kernel, Path initrd, String cmdline, String kernelVersion, Path kernelConfig) {
    /** See the class comment for why each parameter is there. */
    public static final String DEFAULT_CMDLINE = "console=ttyS0 panic=-1 quiet";
    /** Bumped whenever what is cached or how changes; old layouts are simply rebuilt beside. */
    static final int LAYOUT = 1;
    static final String MANIFEST = "manifest";

    /** Serialises builds inside this JVM; the file lock serialises them between processes. */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    /** Opens the archive to fetch from; called only when the cache cannot serve the image. */
    @FunctionalInterface
    public interface ArchiveOpener {
        DebianArchive open() throws ImageException;
    }

    /**
     * The user's cache directory for jvisor: {@code $XDG_CACHE_HOME/jvisor}, or
     * {@code ~/.cache/jvisor} when that variable is unset or not absolute (XDG Base Directory spec).
     */
    public static Path userCacheDirectory() {
        return userCacheDirectory(System.getenv(), System.getProperty("user.home"));
    }

    static Path userCacheDirectory(Map<String, String> environment, String home) {
        String xdg = environment.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "jvisor");
        }
        return Path.of(home, ".cache", "jvisor");
    }

    /**
     * Returns the default image, fetching and building it into {@code cacheDir} if it is not cached
     * yet, from the archive named by the environment ({@link DebianMirrors#fromEnvironment()}).
     * When the cache is complete this touches no network and takes tens of milliseconds.
     *
     * @param progress receives human-readable progress lines
     * @throws ImageException with a message fit for the user when fetching, verification or building
     *                        fails; the cache is then left as it was (plus verified downloads, reused
     *                        by the next attempt)
     */
    public static DefaultImage ensure(Path cacheDir, Consumer<String> progress) throws ImageException {
        return ensure(cacheDir, DebianArchive::fromEnvironment, progress);
    }

    /** As {@link #ensure(Path, Consumer)}, fetching from the archive {@code opener} opens. */
    public static DefaultImage ensure(Path cacheDir, ArchiveOpener opener, Consumer<String> progress)
            throws ImageException {
        Path imageDir = cacheDir.resolve("default-image-v" + LAYOUT);
        try {
            Files.createDirectories(imageDir);
        } catch (IOException e) {
            throw new ImageException("cannot create the cache directory " + imageDir + ": " + e.getMessage(), e);
        }
        IN_PROCESS.lock();
        try (FileChannel lockFile = FileChannel.open(imageDir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            // Another jvisor process building the same cache waits here, then finds the image cached.
            FileLock lock = lockFile.lock();
            try {
                Optional<DefaultImage> cached = cached(imageDir, progress);
                if (cached.isPresent()) {
                    return cached.get();
                }
                ImageManifest manifest = DefaultImageBuilder.build(imageDir, opener, progress);
                return fromManifest(imageDir, manifest);
            } finally {
                lock.release();
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException("cannot use the cache directory " + imageDir + ": " + e.getMessage(), e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    /** The cached image if its manifest exists and every file still matches it. */
    static Optional<DefaultImage> cached(Path imageDir, Consumer<String> progress) {
        Path manifestFile = imageDir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            return Optional.empty();
        }
        try {
            ImageManifest manifest = ImageManifest.read(manifestFile);
            if (manifest.layout() != LAYOUT) {
                progress.accept("the cached default image has layout " + manifest.layout() + "; rebuilding");
                return Optional.empty();
            }
            String problem = manifest.problemsIn(imageDir);
            if (problem != null) {
                progress.accept("the cached default image in " + imageDir + " is damaged (" + problem
                        + "); rebuilding it");
                return Optional.empty();
            }
            return Optional.of(fromManifest(imageDir, manifest));
        } catch (ImageException e) {
            progress.accept("the cached default image's manifest is unreadable (" + e.getMessage()
                    + "); rebuilding it");
            return Optional.empty();
        }
    }

    private static DefaultImage fromManifest(Path imageDir, ImageManifest manifest) throws ImageException {
        return new DefaultImage(imageDir.resolve(role(manifest, "kernel")), imageDir.resolve(role(manifest, "initrd")),
                DEFAULT_CMDLINE, manifest.kernelVersion(), imageDir.resolve(role(manifest, "config")));
    }

    private static String role(ImageManifest manifest, String role) throws ImageException {
        ImageManifest.CachedFile file = manifest.files().get(role);
        if (file == null) {
            throw new ImageException("the image manifest has no " + role + " file");
        }
        return file.name();
    }

    /**
     * This image with {@code extras} added to its initramfs, written to {@code target}: the default
     * initrd followed by a second gzip-compressed cpio archive. The kernel unpacks concatenated
     * archives in order (Linux Documentation/driver-api/early-userspace/buffer-format.rst), so the
     * extras are added to — or replace — the default files. Tests use this to add scripts and run them
     * with {@code jvisor.run=/path} on the command line (see {@link InitScript}).
     */
    public DefaultImage withExtraFiles(InitramfsBuilder extras, Path target) throws ImageException {
        Path absolute = target.toAbsolutePath();
        try {
            Files.createDirectories(absolute.getParent());
            Path temp = AtomicFiles.tempBeside(absolute);
            try {
                try (OutputStream out = Files.newOutputStream(temp)) {
                    Files.copy(initrd, out);
                    extras.writeGzip(out);
                }
                AtomicFiles.moveIntoPlace(temp, absolute);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new ImageException("cannot write the initramfs " + absolute + ": " + e.getMessage(), e);
        }
        return new DefaultImage(kernel, absolute, cmdline, kernelVersion, kernelConfig);
    }

    /** This image booting with another command line. */
    public DefaultImage withCmdline(String newCmdline) {
        return new DefaultImage(kernel, initrd, newCmdline, kernelVersion, kernelConfig);
    }
}
