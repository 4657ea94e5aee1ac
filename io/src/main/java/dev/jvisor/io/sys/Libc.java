package dev.jvisor.io.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few C library calls the I/O back ends need that the JDK does not offer: {@code fallocate} (hole
 * punching for raw images), {@code ioctl} on {@code /dev/net/tun}, and {@code read}/{@code write}/
 * {@code poll}/{@code eventfd} on descriptors the JDK cannot wrap (a TAP device, the wake-up event of
 * the slirp loop). Together with {@code dev.jvisor.io.net.slirp.SlirpBinding} it is the only place in
 * this module that calls native code.
 *
 * <p>Every wrapper takes an errno capture segment from {@link #newErrnoState} (allocate one per thread
 * of use, so hot callers never allocate) and returns the raw C result; {@link #check} turns a
 * failure into a {@link NativeException} naming the call and errno. Internal to jvisor's I/O module.
 */
@SuppressWarnings("restricted") // one of the module's two native bindings; each call says why it is safe
public final class Libc {
    public static final int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public static final int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EAGAIN = 11, EACCES = 13, ENODEV = 19,
            EBUSY = 16, EINVAL = 22, EOPNOTSUPP = 95;
    /** fallocate(2) modes, linux/falloc.h. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10;
    /** poll(2) event bits, asm-generic/poll.h. */
    public static final short POLLIN = 0x001, POLLPRI = 0x002, POLLOUT = 0x004, POLLERR = 0x008, POLLHUP = 0x010,
            POLLNVAL = 0x020;

    /** struct pollfd { int fd; short events; short revents; }, 8 bytes. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle FALLOCATE = downcall("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE);
    private static final MethodHandle IOCTL_PTR = downcall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle POLL = downcall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), CAPTURE);
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle STRERROR_R = downcall("strerror_r",
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));

    private Libc() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A segment that receives errno after each call; one per thread of use. */
    public static MemorySegment newErrnoState(Arena arena) {
        return arena.allocate(ERRNO_LAYOUT);
    }

    /** The errno captured by the last call made with {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Returns {@code result} if it is not negative, otherwise throws a {@link NativeException} for errno. */
    public static long check(long result, MemorySegment state, String what) throws NativeException {
        if (result < 0) {
            int errno = errno(state);
            throw new NativeException(what, errno, strerror(errno));
        }
        return result;
    }

    public static int open(MemorySegment state, String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            // Safe: the path is a NUL-terminated copy owned by this call; open(2) only reads it.
            return (int) OPEN.invokeExact(state, a.allocateFrom(path), flags, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(MemorySegment state, int fd) {
        try {
            // Safe: callers close only descriptors they opened and no longer use.
            return (int) CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** fallocate(2): no memory is passed, only a descriptor and a byte range the kernel checks. */
    public static int fallocate(MemorySegment state, int fd, int mode, long offset, long length) {
        try {
            // Safe: integer arguments only; the kernel validates the range against the file.
            return (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with a pointer argument; {@code arg} must be at least as large as the request's struct. */
    public static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) {
        try {
            // Safe: callers pass a native segment sized for the request's struct (struct ifreq for
            // TUNSETIFF, 40 bytes); the kernel copies in and out exactly that size.
            return (int) IOCTL_PTR.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into a native segment: at most {@code buffer.byteSize()} bytes are written by the kernel. */
    public static long read(MemorySegment state, int fd, MemorySegment buffer) {
        try {
            // Safe: the length passed is the segment's own size, so the kernel stays inside it.
            return (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) of a native segment's bytes. */
    public static long write(MemorySegment state, int fd, MemorySegment buffer, long length) {
        if (length < 0 || length > buffer.byteSize()) {
            throw new IndexOutOfBoundsException("write of " + length + " bytes from a " + buffer.byteSize() + "-byte buffer");
        }
        try {
            // Safe: length was checked against the segment's size just above; write(2) only reads.
            return (long) WRITE.invokeExact(state, fd, buffer, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over {@code count} {@link #POLLFD} entries of {@code fds}. */
    public static int poll(MemorySegment state, MemorySegment fds, int count, int timeoutMillis) {
        if (count < 0 || (long) count * POLLFD.byteSize() > fds.byteSize()) {
            throw new IndexOutOfBoundsException("poll of " + count + " descriptors in a " + fds.byteSize() + "-byte array");
        }
        try {
            // Safe: count was checked against the array's size; the kernel writes only revents fields.
            return (int) POLL.invokeExact(state, fds, (long) count, timeoutMillis);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(MemorySegment state, int initial, int flags) {
        try {
            // Safe: creates a new descriptor; no memory is passed.
            return (int) EVENTFD.invokeExact(state, initial, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's message for {@code errno}. */
    public static String strerror(int errno) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            // Safe: the GNU strerror_r writes at most the 256 bytes we pass and returns a pointer
            // either into that buffer or to a static string; both are NUL-terminated.
            MemorySegment msg = (MemorySegment) STRERROR_R.invokeExact(errno, buf, 256L);
            return msg.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a native call", t);
    }
}
