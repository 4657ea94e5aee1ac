package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An eventfd(2) wired to KVM: an irqfd (writing it raises a guest interrupt without a KVM_IRQ_LINE
 * call) or an ioeventfd (a guest write to a port or MMIO address bumps it in the kernel, with no
 * exit to user space). Obtained from {@link KvmVm#attachIrqfd} / {@link KvmVm#attachIoEventFd};
 * {@link #close()} detaches it from the VM and closes the descriptor. Thread-safe.
 */
public final class KvmEventFd implements AutoCloseable {
    private final NativeFd fd;
    private final Runnable detach;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    private KvmEventFd(NativeFd fd, Runnable detach, String description) {
        this.fd = fd;
        this.detach = detach;
        this.description = description;
    }

    /** A new non-blocking, close-on-exec eventfd with counter 0 (not yet attached). */
    static NativeFd newEventFd() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            int fd = Libc.eventfd(state, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (fd < 0) {
                throw new KvmException("eventfd", Libc.errno(state), null);
            }
            return new NativeFd(fd, "eventfd");
        }
    }

    static KvmEventFd attached(NativeFd fd, Runnable detach, String description) {
        return new KvmEventFd(fd, detach, description);
    }

    /** The file descriptor number (for polling by an I/O thread). */
    public int fd() {
        return fd.fd();
    }

    /** Adds one to the counter: for an irqfd, raises the interrupt. */
    public void signal() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            if (Libc.write(state, fd.fd(), one) != 8) {
                throw new KvmException("write " + description, Libc.errno(state), null);
            }
        }
    }

    /** Reads and resets the counter; 0 if nothing happened since the last call (never blocks). */
    public long drain() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            MemorySegment value = a.allocate(JAVA_LONG);
            long n = Libc.read(state, fd.fd(), value);
            if (n == 8) {
                return value.get(JAVA_LONG, 0);
            }
            int errno = Libc.errno(state);
            if (n < 0 && errno == Libc.EAGAIN) {
                return 0;
            }
            throw new KvmException("read " + description, errno, null);
        }
    }

    /** Detaches from the VM (idempotent) and closes the descriptor. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                detach.run();
            } finally {
                fd.close();
            }
        }
    }

    @Override
    public String toString() {
        return description + " (fd " + fd.fd() + ")";
    }
}
