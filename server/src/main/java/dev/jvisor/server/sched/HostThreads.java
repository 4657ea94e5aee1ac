package dev.jvisor.server.sched;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host scheduling of single threads of the daemon, as {@code java.lang.foreign} downcalls in the
 * style of the KVM back end's {@code Libc}: setpriority(2) for a thread's nice value and
 * sched_setaffinity(2)/sched_getaffinity(2) for the CPUs it may run on. Threads are named by their
 * kernel thread id (gettid(2)); 0 means the calling thread. Every handle captures {@code errno}, and
 * the wrappers return 0 or the errno value, so callers report failures without exceptions.
 *
 * <p>On Linux the nice value is per thread: {@code setpriority(PRIO_PROCESS, tid, n)} changes only
 * thread {@code tid} (setpriority(2), NOTES). Raising it (lower priority) is always allowed for one's
 * own threads; lowering it needs {@code CAP_SYS_NICE} or a matching {@code RLIMIT_NICE}, and fails
 * with EACCES otherwise.
 */
public final class HostThreads {
    public static final int EPERM = 1, ESRCH = 3, EACCES = 13, EINVAL = 22;
    private static final int PRIO_PROCESS = 0;
    /** Bytes of the affinity masks passed to the kernel: 8192 CPUs, the largest NR_CPUS ({@link CpuSet#MAX_CPU}). */
    private static final int MASK_BYTES = (CpuSet.MAX_CPU + 1) / 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout ERRNO_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = ERRNO_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle SETPRIORITY = downcall("setpriority",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle GETPRIORITY = downcall("getpriority",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SCHED_SETAFFINITY = downcall("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE);
    private static final MethodHandle SCHED_GETAFFINITY = downcall("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE);
    private static final MethodHandle STRERROR_R = downcall("strerror_r",
            FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));

    private HostThreads() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Sets thread {@code tid}'s nice value (-20..19); returns 0 or errno (EACCES: lowering it needs CAP_SYS_NICE). */
    public static int setNice(int tid, int nice) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(ERRNO_LAYOUT);
            // Safe: integer arguments only; which = PRIO_PROCESS with a thread id addresses that thread.
            int rc = (int) SETPRIORITY.invokeExact(state, PRIO_PROCESS, tid, nice);
            return rc == 0 ? 0 : errno(state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The nice value of thread {@code tid} of this process; {@link Integer#MIN_VALUE} if no thread of
     * this process has that id (it ended; the id may since belong to another process, whose threads
     * are never looked at or changed here).
     */
    public static int nice(int tid) {
        if (!Files.exists(Path.of("/proc/self/task/" + tid))) {
            return Integer.MIN_VALUE;
        }
        int n;
        try {
            // Safe: integer arguments only.
            n = (int) GETPRIORITY.invokeExact(PRIO_PROCESS, tid);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        // getpriority(2) returns -1 both for nice -1 and for an error (telling them apart needs errno
        // cleared before the call, which a captured errno cannot do): ask /proc then.
        return n != -1 ? n : niceFromProc(tid);
    }

    /** Field 19 of {@code /proc/self/task/TID/stat} (proc(5)), or {@link Integer#MIN_VALUE}. */
    private static int niceFromProc(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            // The name (field 2) is in parentheses and may hold spaces; fields after it are plain.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Integer.parseInt(f[19 - 3]); // f[0] is field 3 (state)
        } catch (IOException | RuntimeException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** The kernel thread ids of this process's threads ({@code /proc/self/task}); empty if unreadable. */
    public static int[] threadIds() {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).toArray();
        } catch (IOException | RuntimeException e) {
            return new int[0];
        }
    }

    /** Thread {@code tid}'s name as the kernel has it ({@code comm} in proc(5): 15 bytes at most), or null if gone. */
    public static String name(int tid) {
        try {
            return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Lets thread {@code tid} (0: the calling thread) run only on {@code cpus}; returns 0 or errno
     * (EINVAL: none of them is allowed to this process, e.g. by its cgroup's cpuset).
     */
    public static int setAffinity(int tid, CpuSet cpus) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(ERRNO_LAYOUT);
            MemorySegment mask = a.allocate(MASK_BYTES, 8);
            long[] words = cpus.mask(MASK_BYTES);
            for (int i = 0; i < MASK_BYTES / 8; i++) {
                mask.setAtIndex(JAVA_LONG, i, words[i]);
            }
            // Safe: the kernel reads MASK_BYTES bytes of the caller's zero-filled mask.
            int rc = (int) SCHED_SETAFFINITY.invokeExact(state, tid, (long) MASK_BYTES, mask);
            return rc == 0 ? 0 : errno(state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The CPUs thread {@code tid} (0: the calling thread) may run on, or null if the kernel refused to say. */
    public static CpuSet affinity(int tid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(ERRNO_LAYOUT);
            MemorySegment mask = a.allocate(MASK_BYTES, 8);
            // Safe: the kernel writes at most MASK_BYTES bytes (its cpumask size, <= 1 KiB) into the mask.
            int rc = (int) SCHED_GETAFFINITY.invokeExact(state, tid, (long) MASK_BYTES, mask);
            if (rc != 0) {
                return null;
            }
            return CpuSet.fromMask(mask.toArray(JAVA_LONG));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** The C library's description of an errno value, e.g. "Permission denied". */
    public static String strerror(int errno) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            // Safe: the GNU strerror_r returns buf or an immutable static string, NUL-terminated
            // within 256 bytes; getString stops at the first NUL.
            MemorySegment text = (MemorySegment) STRERROR_R.invokeExact(errno, buf, buf.byteSize());
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
