package dev.jvisor.kvm;

import dev.jvisor.hypervisor.HypervisorException;

/**
 * A KVM ioctl or a related system call failed. The message names the call and the errno, e.g.
 * {@code "KVM_SET_USER_MEMORY_REGION (slot 0) failed: EINVAL (Invalid argument)"}.
 */
public final class KvmException extends HypervisorException {
    private final String call;
    private final int errno;

    KvmException(String call, int errno, String context) {
        super(call + (context == null || context.isEmpty() ? "" : " (" + context + ")") + " failed: "
                + Libc.errnoName(errno) + " (" + Libc.strerror(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The ioctl or system call that failed, e.g. {@code KVM_RUN} or {@code open /dev/kvm}. */
    public String call() {
        return call;
    }

    /** The errno value the kernel returned. */
    public int errno() {
        return errno;
    }
}
