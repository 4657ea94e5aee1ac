package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library functions the KVM back end needs, as {@code java.lang.foreign} downcalls. This class
 * and {@link KickSignal} are the only places with {@code downcallHandle}; every handle captures
 * {@code errno} so failures can be reported precisely.
 *
 * <p>Each wrapper takes an errno capture segment (from {@link #newErrnoState}) as its first argument,
 * so hot callers (KVM_RUN) can reuse one and never allocate. The wrappers return the raw C result;
 * turning it into an exception is the caller's job (see {@link NativeFd}).
 */
final class Libc {
    static final int O_RDWR = 2, O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    static final int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    static final int EPERM = 1, ENOENT = 2, EINTR = 4, EAGAIN = 11, EACCES = 13, E2BIG = 7;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle IOCTL_LONG = downcall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_PTR = downcall("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE);
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle STRERROR_R = downcall("strerror_r",
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle GETTID = downcall("gettid", FunctionDescriptor.of(JAVA_INT));

    private Libc() {
    }

    static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** The address of a C library function (used as a signal handler by {@link KickSignal}). */
    static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
    }

    /** A segment that receives errno after each call; one per thread of use. */
    static MemorySegment newErrnoState(Arena arena) {
        return arena.allocate(ERRNO_LAYOUT);
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static int open(MemorySegment state, String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            // Safe: the path is a NUL-terminated copy owned by this call; open(2) only reads it.
            return (int) OPEN.invokeExact(state, a.allocateFrom(path), flags, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(MemorySegment state, int fd) {
        try {
            // Safe: closes a descriptor this back end opened and no longer uses.
            return (int) CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with an integer argument (or none: pass 0). */
    static int ioctl(MemorySegment state, int fd, long request, long arg) {
        try {
            // Safe: integer-argument KVM ioctls never dereference the argument.
            return (int) IOCTL_LONG.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with a pointer argument; {@code arg} must be at least as large as the ioctl's struct. */
    static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) {
        try {
            // Safe: callers pass a native segment sized for the ioctl's struct (checked against
            // linux/kvm.h by the layout test); the kernel copies in/out exactly that size.
            return (int) IOCTL_PTR.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mmap of {@code size} bytes of {@code fd} (shared, read/write); returns the raw address or -1. */
    static long mmapShared(MemorySegment state, int fd, long size) {
        try {
            // Safe: the kernel picks the address; the result is checked for MAP_FAILED by the caller.
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
            return p.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int munmap(MemorySegment state, long address, long size) {
        try {
            // Safe: only called once, for a mapping made by mmapShared whose segments are no longer used.
            return (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Unmaps a mapping during cleanup, where throwing would hide the original problem: munmap only
     * fails for arguments that do not describe a mapping, which callers never pass.
     */
    static void unmapQuietly(long address, long size) {
        try (Arena a = Arena.ofConfined()) {
            munmap(newErrnoState(a), address, size);
        }
    }

    static int eventfd(MemorySegment state, int initial, int flags) {
        try {
            // Safe: creates a new descriptor; no memory is passed.
            return (int) EVENTFD.invokeExact(state, initial, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long read(MemorySegment state, int fd, MemorySegment buffer) {
        try {
            // Safe: the kernel writes at most buffer.byteSize() bytes into the caller's segment.
            return (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long write(MemorySegment state, int fd, MemorySegment buffer) {
        try {
            // Safe: the kernel reads at most buffer.byteSize() bytes from the caller's segment.
            return (long) WRITE.invokeExact(state, fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The calling thread's kernel thread id (gettid(2), glibc 2.30 and later): what setpriority(2)
     * and sched_setaffinity(2) take to address one thread, and the name of {@code /proc/self/task/TID}.
     */
    static int gettid() {
        try {
            // Safe: gettid has no arguments and always succeeds.
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's description of an errno value, e.g. "Invalid argument". */
    static String strerror(int errno) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            // Safe: the GNU strerror_r returns either buf or a pointer to an immutable static
            // string; both are NUL-terminated within 256 bytes for every errno glibc knows, and
            // getString stops at the first NUL.
            MemorySegment text = (MemorySegment) STRERROR_R.invokeExact(errno, buf, buf.byteSize());
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** The symbolic name of common errno values (for messages). */
    static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 9 -> "EBADF";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 28 -> "ENOSPC";
            case 38 -> "ENOSYS";
            case 95 -> "EOPNOTSUPP";
            default -> "errno " + errno;
        };
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
