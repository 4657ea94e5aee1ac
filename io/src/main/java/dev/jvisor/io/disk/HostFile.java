package dev.jvisor.io.disk;

import dev.jvisor.io.sys.Libc;
import dev.jvisor.io.sys.NativeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * An image file opened with a lock: exclusive for writable opens, shared for read-only ones, so two
 * VMs can never write the same image, nor one write an image another is reading.
 *
 * <p><b>Why a process-wide table.</b> {@code FileChannel.tryLock} takes POSIX record locks. Those
 * belong to the process, not to the channel: a second lock by the same JVM throws
 * {@link OverlappingFileLockException} even when both are shared, and closing <em>any</em> descriptor
 * of the file drops all of the process's locks on it. So each file (by device and inode) is opened
 * once per process: read-only users share that one channel and its shared lock, reference-counted,
 * and a writable open meets any existing user as "in use". This is the one piece of global state in
 * the module, and it mirrors a global fact (the kernel's lock table).
 *
 * <p><b>Hole punching.</b> Writable files are opened first as a native descriptor and then as a
 * channel on {@code /proc/self/fd/N}, which is guaranteed to be the same inode; the native descriptor
 * serves {@code fallocate(PUNCH_HOLE)}, which the JDK does not offer. If that path is unavailable the
 * file still works and {@link #punchHole} returns false.
 */
public final class HostFile implements StorageFile {
    private static final Map<Object, Shared> OPEN = new HashMap<>();

    /** One open file of the process, shared by its read-only users. */
    private static final class Shared {
        final Object key;
        final FileChannel channel;
        final FileLock lock;
        final int nativeFd;
        final boolean writable;
        final String serial;
        int users = 1;

        Shared(Object key, FileChannel channel, FileLock lock, int nativeFd, boolean writable, String serial) {
            this.key = key;
            this.channel = channel;
            this.lock = lock;
            this.nativeFd = nativeFd;
            this.writable = writable;
            this.serial = serial;
        }
    }

    private final Path path;
    private final Shared shared;
    private boolean closed;

    private HostFile(Path path, Shared shared) {
        this.path = path;
        this.shared = shared;
    }

    /**
     * Opens and locks {@code path}.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws ImageLockedException if another VM, in this process or another, holds a conflicting lock
     */
    public static HostFile open(Path path, boolean writable) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "disk image not found");
        }
        if (Files.isDirectory(path)) {
            throw new IOException("disk image " + path + " is a directory");
        }
        Object key = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        if (key == null) {
            key = path.toRealPath();
        }
        synchronized (OPEN) {
            Shared existing = OPEN.get(key);
            if (existing != null) {
                if (writable || existing.writable) {
                    throw new ImageLockedException(path);
                }
                existing.users++;
                return new HostFile(path, existing);
            }
            Shared opened = openLocked(path, key, writable);
            OPEN.put(key, opened);
            return new HostFile(path, opened);
        }
    }

    private static Shared openLocked(Path path, Object key, boolean writable) throws IOException {
        int fd = -1;
        FileChannel channel;
        if (writable) {
            fd = openNative(path);
        }
        try {
            Path channelPath = fd >= 0 ? Path.of("/proc/self/fd/" + fd) : path;
            channel = writable
                    ? FileChannel.open(channelPath, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(channelPath, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            closeNative(fd);
            throw e;
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock(0, Long.MAX_VALUE, !writable);
            } catch (OverlappingFileLockException e) {
                lock = null; // another channel of this JVM (outside this table) holds it
            }
            if (lock == null) {
                throw new ImageLockedException(path);
            }
            return new Shared(key, channel, lock, fd, writable, serialOf(path));
        } catch (IOException | RuntimeException e) {
            channel.close();
            closeNative(fd);
            throw e;
        }
    }

    /** Opens a native read-write descriptor, or returns -1 when that is impossible (the channel then works alone). */
    private static int openNative(Path path) {
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            return -1;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            int fd = Libc.open(errno, path.toString(), Libc.O_RDWR | Libc.O_CLOEXEC);
            return fd;
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    private static void closeNative(int fd) {
        if (fd >= 0) {
            try (Arena a = Arena.ofConfined()) {
                Libc.close(Libc.newErrnoState(a), fd);
            }
        }
    }

    /** "jv" plus device and inode numbers in hex: stable across opens, unique per host file system. */
    private static String serialOf(Path path) {
        try {
            long dev = ((Number) Files.getAttribute(path, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
            return String.format("jv%08x%010x", (int) (dev ^ dev >>> 32), ino & 0xff_ffff_ffffL);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            String h = Integer.toHexString(path.toAbsolutePath().normalize().toString().hashCode());
            return ("jvp" + h).substring(0, Math.min(20, 3 + h.length()));
        }
    }

    @Override
    public String name() {
        return path.toString();
    }

    /** The path this file was opened with. */
    public Path path() {
        return path;
    }

    @Override
    public long size() throws IOException {
        return shared.channel.size();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        return shared.channel.read(dst, position);
    }

    @Override
    public void write(long position, ByteBuffer src) throws IOException {
        if (!shared.writable) {
            throw new ReadOnlyImageException(path.toString());
        }
        long pos = position;
        while (src.hasRemaining()) {
            pos += shared.channel.write(src, pos);
        }
    }

    @Override
    public void force() throws IOException {
        shared.channel.force(true);
    }

    @Override
    public boolean punchHole(long offset, long length) throws IOException {
        if (!shared.writable) {
            throw new ReadOnlyImageException(path.toString());
        }
        if (shared.nativeFd < 0 || length == 0) {
            return shared.nativeFd >= 0;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            int rc = Libc.fallocate(errno, shared.nativeFd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
            if (rc == 0) {
                return true;
            }
            int e = Libc.errno(errno);
            if (e == Libc.EOPNOTSUPP || e == Libc.EINVAL) {
                return false; // file system without hole punching: the caller writes zeros
            }
            throw new NativeException("fallocate(PUNCH_HOLE) on " + path, e, Libc.strerror(e));
        }
    }

    @Override
    public boolean writable() {
        return shared.writable;
    }

    @Override
    public String serial() {
        return shared.serial;
    }

    /** Releases this user's reference; the last user's close releases the lock and the file. */
    @Override
    public void close() throws IOException {
        synchronized (OPEN) { // held while releasing, so a concurrent re-open never sees a half-closed file
            if (closed) {
                return;
            }
            closed = true;
            if (--shared.users > 0) {
                return;
            }
            OPEN.remove(shared.key);
            try {
                shared.lock.release();
            } finally {
                try {
                    shared.channel.close();
                } finally {
                    closeNative(shared.nativeFd);
                }
            }
        }
    }
}
