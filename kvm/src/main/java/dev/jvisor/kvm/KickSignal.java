package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jvisor.hypervisor.HypervisorException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Interrupts a vCPU thread that is blocked inside {@code KVM_RUN}.
 *
 * <p>KVM leaves {@code KVM_RUN} with {@code EINTR} when the calling thread has a signal pending
 * that is neither blocked nor ignored; a signal whose disposition is {@code SIG_DFL} would instead
 * apply its default action (for real-time signals: terminate the process), and {@code SIG_IGN}
 * is discarded before KVM sees it. So the signal needs a handler, but running Java code in a signal
 * handler is not allowed (an FFM upcall from a signal context could deadlock in the VM).
 *
 * <p>The handler used here is the C library's {@code getpid}: it takes no arguments (the signal
 * number the kernel passes in a register is ignored under the x86-64 SysV ABI), is
 * async-signal-safe (signal-safety(7)), changes neither memory nor errno, and returns normally to
 * the restorer glibc's {@code sigaction} installs. Its only effect is that the signal counts as
 * "handled", which makes {@code KVM_RUN} return {@code EINTR}. {@code SA_RESTART} is set so that
 * other system calls the vCPU thread may be making when a late signal lands (device I/O) are
 * restarted transparently; {@code KVM_RUN} itself returns {@code -EINTR}, which is never restarted.
 *
 * <p>The signal is {@code SIGRTMIN + 6} (real-time signals are unused by HotSpot, which uses
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGUSR2, SIGQUIT, SIGHUP, SIGINT, SIGTERM and SIGTRAP); the
 * system property {@code jvisor.kvm.kickSignal} overrides it. Installation refuses to replace a
 * handler someone else installed.
 */
final class KickSignal {
    private static final int SA_RESTART = 0x1000_0000;
    /** struct sigaction on x86-64 glibc: handler, 128-byte mask, flags, restorer (152 bytes). */
    private static final long SIGACTION_SIZE = 152, SA_FLAGS_OFFSET = 136;

    private static final MethodHandle PTHREAD_SELF = Libc.downcall("pthread_self", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle PTHREAD_KILL = Libc.downcall("pthread_kill",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SIGACTION = Libc.downcall("sigaction",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), java.lang.foreign.Linker.Option.captureCallState("errno"));
    private static final MethodHandle SIGRTMIN = Libc.downcall("__libc_current_sigrtmin", FunctionDescriptor.of(JAVA_INT));

    private static volatile int installedSignal;

    private KickSignal() {
    }

    /** The signal number used for kicks, installing its handler on first use. */
    static int signal() {
        int s = installedSignal;
        if (s == 0) {
            synchronized (KickSignal.class) {
                s = installedSignal;
                if (s == 0) {
                    s = install(chooseSignal());
                    installedSignal = s;
                }
            }
        }
        return s;
    }

    /** The calling thread's pthread handle; valid while that thread lives. */
    static long currentThread() {
        try {
            // Safe: pthread_self has no arguments and cannot fail.
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /**
     * Sends the kick signal to {@code thread}. The caller must guarantee the thread is alive
     * (pthread_kill on a finished thread is undefined); {@link KvmVcpu} does so by signalling only
     * under the lock that the vCPU thread takes before leaving {@code run()}.
     */
    static void send(long thread) {
        int rc;
        try {
            rc = (int) PTHREAD_KILL.invokeExact(thread, signal());
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        if (rc != 0) {
            throw new KvmException("pthread_kill", rc, "kick");
        }
    }

    private static int chooseSignal() {
        String override = System.getProperty("jvisor.kvm.kickSignal");
        if (override != null) {
            try {
                return Integer.parseInt(override.trim());
            } catch (NumberFormatException e) {
                throw new HypervisorException("jvisor.kvm.kickSignal must be a signal number, not '" + override + "'");
            }
        }
        try {
            return (int) SIGRTMIN.invokeExact() + 6;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private static int install(int signal) {
        MemorySegment handler = Libc.symbol("getpid");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newErrnoState(a);
            MemorySegment old = a.allocate(SIGACTION_SIZE, 8);
            // Safe: a query only; the kernel fills the caller's 152-byte struct sigaction.
            int rc = (int) SIGACTION.invokeExact(state, signal, MemorySegment.NULL, old);
            if (rc != 0) {
                throw new KvmException("sigaction " + signal, Libc.errno(state), "query kick signal");
            }
            long current = old.get(JAVA_LONG, 0);
            if (current == handler.address()) {
                return signal;
            }
            if (current != 0) {
                throw new HypervisorException("signal " + signal + " already has a handler; choose a free one for vCPU kicks"
                        + " with -Djvisor.kvm.kickSignal=<n>");
            }
            MemorySegment action = a.allocate(SIGACTION_SIZE, 8);   // zeroed: empty mask, no restorer yet
            action.set(JAVA_LONG, 0, handler.address());
            action.set(JAVA_INT, SA_FLAGS_OFFSET, SA_RESTART);
            // Safe: installs a native, async-signal-safe function (see the class comment) for a
            // signal that had the default disposition; glibc copies the struct before returning.
            rc = (int) SIGACTION.invokeExact(state, signal, action, MemorySegment.NULL);
            if (rc != 0) {
                throw new KvmException("sigaction " + signal, Libc.errno(state), "install kick handler");
            }
            return signal;
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
