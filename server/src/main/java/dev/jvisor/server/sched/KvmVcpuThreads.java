package dev.jvisor.server.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Weights and pinning for VMs whose vCPUs run on their own threads (KVM), through the host's
 * scheduler: each vCPU thread gets a nice value from its VM's weight (setpriority(2)), and a VM with
 * a cpuset has its vCPU threads' affinity set to it (sched_setaffinity(2)).
 *
 * <p><b>Weight → nice.</b> Linux's CFS/EEVDF gives a thread of nice {@code n} the load weight
 * {@code 1024 / 1.25^n} (the kernel's {@code sched_prio_to_weight} table: nice 0 = 1024, nice 5 =
 * 335), so contended CPU is shared ~1.25x per nice step. The heaviest-weighted KVM VM's vCPUs get
 * nice 0 (the daemon's own nice value, if it was started with another), and a VM of weight {@code w}
 * gets {@code round(log(maxWeight / w) / log(1.25))} more, at most 19. Weights 300 and 100 become
 * nice 0 and 5: CPU in the ratio 1024:335 = 3.06. A ratio beyond 1.25^19 ≈ 69 saturates at nice
 * 19 (weights 100 and 10,000 share about 68:1, not 100:1), and the rounding is within 1.25^0.5,
 * about ±12%. The mapping is recomputed whenever a KVM VM starts or stops or its weight changes.
 *
 * <p><b>Without CAP_SYS_NICE.</b> Raising a thread's nice value is always allowed; lowering it
 * (when the heaviest VM stops, or a VM's weight grows) needs CAP_SYS_NICE. When the kernel refuses
 * (EACCES), the mapping keeps the ratios by shifting every VM up by the same number of steps instead
 * (the heaviest VM then runs above nice 0), which is reported in {@link #status()}; the shift goes
 * back to 0 once the threads that needed it are gone.
 *
 * <p><b>Inheritance.</b> A thread inherits its creator's nice value and affinity, and the JDK starts
 * threads from whatever thread needs one: a virtual-thread carrier is created by the thread that
 * submits work when the pool is short of carriers, and a vCPU thread does so when device emulation
 * wakes a device's virtual thread. Left alone, such a carrier would run every virtual thread of the
 * daemon (API connections included) at the vCPU's low priority on its CPUs. {@link #resetInherited}
 * (called once a second by the daemon while it matters) gives every thread that is not a vCPU thread
 * the daemon's own nice value and affinity back, and sets up vCPU threads that started late.
 *
 * <p>Other failures (a thread gone, setpriority refused) are logged and reported on the VM's entry
 * ({@link Entry#problem()}); they never fail the VM. Thread-safe.
 */
public final class KvmVcpuThreads {
    private static final Logger LOG = LoggerFactory.getLogger(KvmVcpuThreads.class);
    /** The nice value of the least-weighted VMs (Linux's lowest priority). */
    public static final int MAX_NICE = 19;
    /** CPU share ratio between neighbouring nice values (kernel/sched/core.c, sched_prio_to_weight). */
    public static final double NICE_STEP = 1.25;

    /** How vCPU threads are changed on the host; {@link #NATIVE} in the daemon, a fake in tests. */
    public interface Host {
        /** The nice value of a thread of this process, or {@link Integer#MIN_VALUE} if there is none (it ended). */
        int nice(int tid);

        /** Sets the nice value; 0 or errno. */
        int setNice(int tid, int nice);

        /** Sets the CPU affinity; 0 or errno. */
        int setAffinity(int tid, CpuSet cpus);

        /** Text for an errno value. */
        String describe(int errno);

        /** The kernel thread ids of the daemon's threads. */
        int[] threads();

        /** A thread's name, or null if it is gone. */
        String name(int tid);

        /** A thread's CPU affinity, or null if it is unknown. */
        CpuSet affinity(int tid);
    }

    /** The host kernel, through {@link HostThreads}. */
    public static final Host NATIVE = new Host() {
        @Override
        public int nice(int tid) {
            return HostThreads.nice(tid);
        }

        @Override
        public int setNice(int tid, int nice) {
            return HostThreads.setNice(tid, nice);
        }

        @Override
        public int setAffinity(int tid, CpuSet cpus) {
            return HostThreads.setAffinity(tid, cpus);
        }

        @Override
        public String describe(int errno) {
            return HostThreads.strerror(errno);
        }

        @Override
        public int[] threads() {
            return HostThreads.threadIds();
        }

        @Override
        public String name(int tid) {
            return HostThreads.name(tid);
        }

        @Override
        public CpuSet affinity(int tid) {
            return HostThreads.affinity(tid);
        }
    };

    /**
     * What {@code host info} shows: whether nice values can be lowered, the current shift, how many
     * threads had inherited a vCPU thread's nice value or affinity and got the daemon's back, the
     * last warning.
     */
    public record Status(boolean canRaisePriority, int niceShift, long inheritedResets, String lastWarning) {
    }

    private final Host host;
    private final CpuSet defaultCpus;
    private final int baseNice;
    private long inheritedResets;
    private final List<Entry> entries = new ArrayList<>();
    private boolean canRaise = true;
    private int shift;
    private String lastWarning;

    /**
     * @param host        how threads are changed
     * @param defaultCpus the daemon's own affinity: for a VM whose cpuset is removed, and for threads
     *                    that inherited a vCPU thread's
     * @param baseNice    the daemon's own nice value: the heaviest VM's, and other threads'
     */
    public KvmVcpuThreads(Host host, CpuSet defaultCpus, int baseNice) {
        this.host = host;
        this.defaultCpus = defaultCpus;
        this.baseNice = Math.clamp(baseNice, -20, MAX_NICE);
    }

    /**
     * The one instance for this process's threads on the host kernel, with the affinity (or every
     * online CPU) and nice value of the process's main thread. One per process, because nice values
     * are compared by the host's scheduler across all of the process's threads.
     */
    public static KvmVcpuThreads ofHost() {
        return OfHost.INSTANCE;
    }

    private static final class OfHost {
        static final KvmVcpuThreads INSTANCE = create();

        private static KvmVcpuThreads create() {
            int pid = (int) ProcessHandle.current().pid();
            CpuSet own = HostThreads.affinity(pid);
            int nice = HostThreads.nice(pid);
            return new KvmVcpuThreads(NATIVE, own != null ? own : CpuSet.online(),
                    nice == Integer.MIN_VALUE ? 0 : nice);
        }
    }

    /**
     * The nice value for a VM of {@code weight} when the heaviest KVM VM has {@code maxWeight}:
     * {@code round(log(maxWeight / weight) / log(1.25))}, from 0 to {@value #MAX_NICE}.
     */
    public static int niceFor(int weight, int maxWeight) {
        if (weight < 1 || maxWeight < weight) {
            throw new IllegalArgumentException("weight " + weight + " must be from 1 to the largest weight "
                    + maxWeight);
        }
        long n = Math.round(Math.log((double) maxWeight / weight) / Math.log(NICE_STEP));
        return (int) Math.min(MAX_NICE, n);
    }

    /** One KVM VM's vCPU threads. */
    public final class Entry {
        private final String name;
        private final Supplier<int[]> threadIds;
        private int weight;
        private CpuSet cpuset;
        private boolean affinityChanged;
        /** A vCPU thread had not started at the last recomputation. */
        private boolean pending;
        private int nice = -1;
        private String problem;
        private boolean removed;

        Entry(String name, int weight, CpuSet cpuset, Supplier<int[]> threadIds) {
            this.name = name;
            this.weight = weight;
            this.cpuset = cpuset;
            this.threadIds = threadIds;
        }

        /** Changes the VM's weight; every KVM VM's nice values are recomputed. */
        public void setWeight(int w) {
            synchronized (KvmVcpuThreads.this) {
                weight = w;
                rebalance();
            }
        }

        /** Pins the vCPU threads to {@code cpus}, or (null) lets them run on the daemon's CPUs again. */
        public void setCpuset(CpuSet cpus) {
            synchronized (KvmVcpuThreads.this) {
                affinityChanged |= cpus == null ? cpuset != null : !cpus.equals(cpuset);
                cpuset = cpus;
                rebalance();
            }
        }

        /** The nice value given to the vCPU threads, or -1 before any was set. */
        public int nice() {
            synchronized (KvmVcpuThreads.this) {
                return nice;
            }
        }

        /** What went wrong when setting the threads' priority or affinity last, or null. */
        public String problem() {
            synchronized (KvmVcpuThreads.this) {
                return problem;
            }
        }

        /** Takes the VM out (its threads are ending); the others' nice values are recomputed. */
        public void remove() {
            synchronized (KvmVcpuThreads.this) {
                if (!removed) {
                    removed = true;
                    entries.remove(this);
                    rebalance();
                }
            }
        }
    }

    /**
     * Takes a started KVM VM: {@code threadIds} gives its vCPU threads' kernel thread ids (0 for a
     * thread not yet known; it is set up at the next recomputation).
     */
    public synchronized Entry add(String name, int weight, CpuSet cpuset, Supplier<int[]> threadIds) {
        Entry e = new Entry(name, weight, cpuset, threadIds);
        e.affinityChanged = cpuset != null;
        entries.add(e);
        rebalance();
        return e;
    }

    public synchronized Status status() {
        return new Status(canRaise, shift, inheritedResets, lastWarning);
    }

    /**
     * Gives every thread of the daemon that is not a KVM vCPU thread, and whose name {@code exempt}
     * does not accept (the emulator's scheduler workers, which set their own affinity per slice), the
     * daemon's nice value and affinity back if it inherited others (see the class comment).
     * Without CAP_SYS_NICE a nice value cannot be lowered back; that is reported once.
     *
     * @return how many threads were changed
     */
    public synchronized int resetInherited(java.util.function.Predicate<String> exempt) {
        if (entries.stream().anyMatch(e -> e.pending)) {
            rebalance(); // a vCPU thread that started late gets its nice value and affinity now
        }
        java.util.Set<Integer> vcpus = new java.util.HashSet<>();
        for (Entry e : entries) {
            for (int tid : e.threadIds.get()) {
                vcpus.add(tid);
            }
        }
        int changed = 0;
        for (int tid : host.threads()) {
            if (vcpus.contains(tid)) {
                continue;
            }
            int nice = host.nice(tid);
            CpuSet cpus = host.affinity(tid);
            boolean niceInherited = nice != Integer.MIN_VALUE && nice > baseNice;
            boolean cpusInherited = cpus != null && !cpus.equals(defaultCpus);
            if (!niceInherited && !cpusInherited) {
                continue; // the usual case: two system calls, no name read
            }
            String name = host.name(tid);
            if (name == null || exempt.test(name)) {
                continue;
            }
            boolean reset = false;
            if (niceInherited) {
                int rc = host.setNice(tid, baseNice);
                reset = rc == 0;
                if ((rc == HostThreads.EACCES || rc == HostThreads.EPERM) && canRaise) {
                    canRaise = false; // the next rebalance shifts instead of failing
                }
                if (rc != 0 && rc != HostThreads.ESRCH) {
                    String w = "thread " + tid + " (" + name + ") inherited nice " + nice + " from a vCPU thread and"
                            + " cannot get nice " + baseNice + " back: " + host.describe(rc);
                    if (!w.equals(lastWarning)) {
                        warn(w);
                    }
                }
            }
            if (cpusInherited) {
                reset |= host.setAffinity(tid, defaultCpus) == 0;
            }
            if (reset) {
                LOG.debug("thread {} ({}) had inherited a vCPU thread's scheduling; reset to nice {}, CPUs {}", tid,
                        name, baseNice, defaultCpus);
                changed++;
            }
        }
        inheritedResets += changed;
        return changed;
    }

    /** Under the lock: nice values (and pending affinities) for every entry. */
    private void rebalance() {
        if (entries.isEmpty()) {
            shift = 0;
            return;
        }
        int max = 0;
        for (Entry e : entries) {
            max = Math.max(max, e.weight);
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            shift = canRaise ? 0 : neededShift(max);
            if (applyAll(max)) {
                return;
            }
            // The kernel refused to lower a nice value: from now on keep the ratios by raising the others.
        }
    }

    /** Without CAP_SYS_NICE: the smallest shift at which no thread's nice value has to go down. */
    private int neededShift(int max) {
        int s = 0;
        for (Entry e : entries) {
            int target = baseNice + niceFor(e.weight, max);
            for (int tid : e.threadIds.get()) {
                int current = tid > 0 ? host.nice(tid) : Integer.MIN_VALUE;
                if (current != Integer.MIN_VALUE) {
                    s = Math.max(s, current - target);
                }
            }
        }
        return Math.min(s, MAX_NICE);
    }

    /** Sets every thread; false if a nice value could not be lowered and the mapping must shift. */
    private boolean applyAll(int max) {
        for (Entry e : entries) {
            int target = Math.min(MAX_NICE, baseNice + niceFor(e.weight, max) + shift);
            List<String> problems = new ArrayList<>();
            int[] tids = e.threadIds.get();
            for (int i = 0; i < tids.length; i++) {
                int tid = tids[i];
                if (tid <= 0) {
                    problems.add("vCPU " + i + " has not started yet");
                    continue;
                }
                // Only threads of this process have /proc/self/task/TID: a thread that ended (its id
                // possibly reused elsewhere on the host) is never touched.
                int current = host.nice(tid);
                if (current == Integer.MIN_VALUE) {
                    continue;
                }
                int rc = current == target ? 0 : host.setNice(tid, target);
                if (rc == HostThreads.EACCES || rc == HostThreads.EPERM) {
                    if (canRaise) {
                        canRaise = false;
                        warn("the daemon may not raise thread priorities (no CAP_SYS_NICE): KVM weights are kept"
                                + " by lowering the other VMs' vCPU threads instead");
                        return false;
                    }
                }
                if (rc != 0 && rc != HostThreads.ESRCH) { // ESRCH: the thread has just ended
                    problems.add("setpriority(vCPU " + i + " thread " + tid + ", nice " + target + "): "
                            + host.describe(rc));
                }
                if (e.affinityChanged) {
                    CpuSet cpus = e.cpuset != null ? e.cpuset : defaultCpus;
                    int arc = host.setAffinity(tid, cpus);
                    if (arc != 0 && arc != HostThreads.ESRCH) {
                        problems.add("sched_setaffinity(vCPU " + i + " thread " + tid + ", CPUs " + cpus + "): "
                                + host.describe(arc));
                    }
                }
            }
            e.pending = problems.stream().anyMatch(p -> p.endsWith("not started yet"));
            if (!e.pending) {
                e.affinityChanged = false; // every thread has it (or was told and refused)
            }
            e.nice = target;
            String problem = problems.isEmpty() ? null : String.join("; ", problems);
            if (problem != null && !problem.equals(e.problem)) {
                warn("VM " + e.name + ": " + problem);
            }
            e.problem = problem;
        }
        return true;
    }

    private void warn(String message) {
        LOG.warn(message);
        lastWarning = message;
    }
}
