package dev.jvisor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open file descriptor (/dev/kvm, a VM, a vCPU, an eventfd) with checked ioctls: a failure
 * becomes a {@link KvmException} naming the ioctl, its context and the errno. Safe to use from
 * several threads (each call captures errno in its own scratch memory); closing is idempotent.
 */
final class NativeFd implements AutoCloseable {
    private final int fd;
    private final String what;
    private final AtomicBoolean closed = new AtomicBoolean();

    NativeFd(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /** Opens {@code path} read/write with close-on-exec. @throws KvmException on failure */
    static NativeFd open(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            int fd = Libc.open(state, path, Libc.O_RDWR | Libc.O_CLOEXEC);
            if (fd < 0) {
                throw new KvmException("open " + path, Libc.errno(state), null);
            }
            return new NativeFd(fd, path);
        }
    }

    int fd() {
        return fd;
    }

    /** An ioctl with an integer argument; returns its non-negative result. */
    int ioctl(Ioctl op, long arg) {
        return ioctl(op, arg, null);
    }

    int ioctl(Ioctl op, long arg, String context) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            while (true) {
                int rc = Libc.ioctl(state, fd, op.number, arg);
                if (rc >= 0) {
                    return rc;
                }
                // A signal (a profiler's, another vCPU's kick) interrupted the call before it did
                // anything: do it again. KVM_RUN, where EINTR means "kicked", uses tryIoctl.
                if (Libc.errno(state) != Libc.EINTR) {
                    throw new KvmException(op.name(), Libc.errno(state), context);
                }
            }
        }
    }

    /** An ioctl with a pointer argument; returns its non-negative result. */
    int ioctl(Ioctl op, MemorySegment arg) {
        return ioctl(op, arg, null);
    }

    int ioctl(Ioctl op, MemorySegment arg, String context) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            while (true) {
                int rc = Libc.ioctl(state, fd, op.number, arg);
                if (rc >= 0) {
                    return rc;
                }
                if (Libc.errno(state) != Libc.EINTR) {
                    throw new KvmException(op.name(), Libc.errno(state), context);
                }
            }
        }
    }

    /** Like {@link #ioctl(Ioctl, MemorySegment)} but returns {@code -errno} instead of throwing. */
    int tryIoctl(Ioctl op, MemorySegment arg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            int rc = Libc.ioctl(state, fd, op.number, arg);
            return rc < 0 ? -Libc.errno(state) : rc;
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = Libc.newErrnoState(a);
                if (Libc.close(state, fd) < 0 && Libc.errno(state) != Libc.EINTR) {
                    throw new KvmException("close " + what, Libc.errno(state), null);
                }
            }
        }
    }

    @Override
    public String toString() {
        return what + " (fd " + fd + ")";
    }
}
