package dev.jvisor.server.sched;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jvisor's own vCPU scheduler for emulated VMs: the vCPUs of every VM are time-sliced over a
 * bounded pool of host worker threads, with proportional fair share between VMs and optional caps.
 *
 * <p><b>Fair share.</b> Each VM ({@link Group}) has a virtual runtime that grows by the host CPU time
 * its vCPUs used, divided by its weight; a free worker runs a ready vCPU of the VM with the least
 * virtual runtime (the idea of Linux's CFS and of stride scheduling). A VM that was idle re-enters at
 * the least virtual runtime of the others, so it cannot bank credit while asleep.
 *
 * <p><b>Caps.</b> A capped VM may use {@code cap% × period} of CPU time per period (like Linux's CFS
 * bandwidth control); once used up it is throttled until the next period. Overshoot (a slice
 * ends at most a tick late) is carried into the next period, so the long-run average is the cap.
 *
 * <p><b>Slices.</b> A slice ends after the quantum (or the VM's remaining quota) by
 * {@link Vcpu#kick()} from the tick thread. CPU time is measured per slice on the worker thread
 * (ThreadMXBean), so a halted vCPU costs nothing; a vCPU whose worker stops using CPU is idle (halted)
 * and is moved off the workers to wait through its {@link IdleWait} on a virtual thread.
 *
 * <p><b>Pinning.</b> A VM with a cpuset runs only there: before a worker runs a slice of a pinned VM
 * it sets its own affinity to the VM's CPUs (sched_setaffinity(2), a system call only when the
 * affinity changes), and back to its original affinity for an unpinned VM. Workers are shared, so
 * pinning says where a VM's guest code may run, not that it owns a worker: several pinned VMs on
 * one CPU share it (by weight) while another CPU may idle.
 *
 * <p>Threading: every method may be called from any thread. Lifecycle exits other than a kick are
 * passed to the group's {@link ExitSink} on the worker thread, after which the group runs no more.
 */
public final class VcpuScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuScheduler.class);
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final long TICK_NANOS = 1_000_000;
    private static final long MAX_IDLE_WAIT_NANOS = 20_000_000;
    /** Names of the worker threads (followed by their number). */
    public static final String WORKER_NAME_PREFIX = "vcpu-worker-";

    /** Receives a vCPU's lifecycle exit (halt for good, triple fault, crash). */
    @FunctionalInterface
    public interface ExitSink {
        void exited(Vcpu vcpu, VcpuExit exit);
    }

    private enum State { READY, RUNNING, WAITING, PARKED }

    private final class Entity {
        final Vcpu vcpu;
        final Group group;
        State state = State.READY;
        Thread worker;
        long sliceStartNanos;
        long sliceEndNanos;
        long sliceStartCpu;
        long lastTickCpu;
        boolean kicked;
        boolean idleSuspected;

        Entity(Vcpu vcpu, Group group) {
            this.vcpu = vcpu;
            this.group = group;
        }
    }

    private final long quantumNanos;
    private final long periodNanos;
    private final List<Thread> workers = new ArrayList<>();
    private final List<Group> groups = new ArrayList<>();
    private final List<Entity> running = new ArrayList<>();
    private final Thread ticker;
    private long periodEnd;
    private boolean closed;

    /**
     * @param workers      host threads that run guest code (the pool's bound)
     * @param quantumNanos longest slice
     * @param periodNanos  accounting period of caps
     */
    public VcpuScheduler(int workers, long quantumNanos, long periodNanos) {
        if (workers < 1 || quantumNanos < TICK_NANOS || periodNanos < quantumNanos) {
            throw new IllegalArgumentException("bad scheduler parameters: workers=" + workers + " quantum="
                    + quantumNanos + " period=" + periodNanos);
        }
        this.quantumNanos = quantumNanos;
        this.periodNanos = periodNanos;
        this.periodEnd = System.nanoTime() + periodNanos;
        for (int i = 0; i < workers; i++) {
            Thread t = Thread.ofPlatform().daemon().name(WORKER_NAME_PREFIX + i).unstarted(this::workerLoop);
            this.workers.add(t);
        }
        this.workers.forEach(Thread::start);
        ticker = Thread.ofPlatform().daemon().name("vcpu-scheduler-tick").start(this::tickLoop);
    }

    /** A pool with one worker per host CPU, 10 ms slices and 100 ms cap periods. */
    public static VcpuScheduler withDefaults() {
        return new VcpuScheduler(Runtime.getRuntime().availableProcessors(), 10_000_000, 100_000_000);
    }

    public int workers() {
        return workers.size();
    }

    public long periodNanos() {
        return periodNanos;
    }

    /** Starts scheduling the vCPUs of one VM, on any CPU. */
    public Group add(String name, List<? extends Vcpu> vcpus, CpuShare share, IdleWait idle, ExitSink sink) {
        return add(name, vcpus, share, null, idle, sink);
    }

    /** Starts scheduling the vCPUs of one VM, only on {@code cpuset} (null: any CPU). */
    public synchronized Group add(String name, List<? extends Vcpu> vcpus, CpuShare share, CpuSet cpuset, IdleWait idle,
                                  ExitSink sink) {
        if (closed) {
            throw new IllegalStateException("the scheduler is closed");
        }
        Group g = new Group(name, share, idle, sink);
        g.cpuset = cpuset;
        g.vruntime = minActiveVruntime();
        for (Vcpu v : vcpus) {
            Entity e = new Entity(v, g);
            g.entities.add(e);
            g.ready.add(e);
        }
        groups.add(g);
        notifyAll();
        return g;
    }

    /** The vCPUs of one VM under this scheduler. */
    public final class Group {
        final String name;
        final IdleWait idle;
        final ExitSink sink;
        final List<Entity> entities = new ArrayList<>();
        final ArrayDeque<Entity> ready = new ArrayDeque<>();
        CpuShare share;
        CpuSet cpuset;
        String problem;
        long vruntime;
        long periodUsage;
        long cpuNanos;
        long throttles;
        boolean throttled;
        boolean paused;
        boolean halted;
        boolean removed;

        Group(String name, CpuShare share, IdleWait idle, ExitSink sink) {
            this.name = name;
            this.share = share;
            this.idle = idle;
            this.sink = sink;
        }

        boolean runnable() {
            return !paused && !halted && !removed && !throttled;
        }

        /** Changes weight and cap; takes effect at the next slice. */
        public void setShare(CpuShare newShare) {
            synchronized (VcpuScheduler.this) {
                share = newShare;
                if (throttled && periodUsage < newShare.quotaNanos(periodNanos)) {
                    throttled = false;
                }
                VcpuScheduler.this.notifyAll();
            }
        }

        public CpuShare share() {
            synchronized (VcpuScheduler.this) {
                return share;
            }
        }

        /** Runs this VM's vCPUs only on {@code cpus} (null: anywhere), from their next slice. */
        public void setCpuset(CpuSet cpus) {
            synchronized (VcpuScheduler.this) {
                cpuset = cpus;
                problem = null;
            }
        }

        /** Why the VM's cpuset could not be applied (a worker's sched_setaffinity failed), or null. */
        public String problem() {
            synchronized (VcpuScheduler.this) {
                return problem;
            }
        }

        /** Host CPU time this VM's vCPUs have used, in nanoseconds (completed slices). */
        public long cpuNanos() {
            synchronized (VcpuScheduler.this) {
                return cpuNanos;
            }
        }

        /** How many times the cap throttled this VM. */
        public long throttles() {
            synchronized (VcpuScheduler.this) {
                return throttles;
            }
        }

        /** Stops giving this VM's vCPUs slices and returns once none of them is running guest code. */
        public void pause() throws InterruptedException {
            synchronized (VcpuScheduler.this) {
                paused = true;
                kickRunning(this);
                awaitOffWorkers(this, false);
            }
        }

        public void resume() {
            synchronized (VcpuScheduler.this) {
                paused = false;
                VcpuScheduler.this.notifyAll();
            }
        }

        /**
         * Ends scheduling for good: returns once no vCPU of this VM runs or waits on a scheduler
         * thread, so the VM may be closed.
         */
        public void remove() throws InterruptedException {
            synchronized (VcpuScheduler.this) {
                removed = true;
                kickRunning(this);
                for (Entity e : entities) {
                    if (e.state == State.WAITING) {
                        e.vcpu.kick(); // wakes its idle wait
                    }
                }
                awaitOffWorkers(this, true);
                groups.remove(this);
                ready.clear();
            }
        }
    }

    private void kickRunning(Group g) {
        for (Entity e : g.entities) {
            if (e.state == State.RUNNING && !e.kicked) {
                e.kicked = true;
                e.vcpu.kick();
            }
        }
    }

    private void awaitOffWorkers(Group g, boolean includingWaiters) throws InterruptedException {
        while (true) {
            boolean busy = false;
            for (Entity e : g.entities) {
                if (e.state == State.RUNNING || (includingWaiters && e.state == State.WAITING)) {
                    busy = true;
                }
            }
            if (!busy) {
                return;
            }
            wait(50);
            kickRunning(g);
        }
    }

    private long minActiveVruntime() {
        long min = Long.MAX_VALUE;
        for (Group g : groups) {
            boolean active = !g.ready.isEmpty();
            for (Entity e : g.entities) {
                active |= e.state == State.RUNNING;
            }
            if (active && g.vruntime < min) {
                min = g.vruntime;
            }
        }
        return min == Long.MAX_VALUE ? 0 : min;
    }

    /** The ready vCPU of the runnable VM with the least virtual runtime, or null. Under the lock. */
    private Entity pick() {
        Group best = null;
        for (Group g : groups) {
            if (g.runnable() && !g.ready.isEmpty() && (best == null || g.vruntime < best.vruntime)) {
                best = g;
            }
        }
        return best == null ? null : best.ready.poll();
    }

    private void workerLoop() {
        // The affinity this worker was started with, restored for unpinned VMs; null if unknown
        // (then pinned VMs are refused on this worker's slices with a problem report).
        final CpuSet original = HostThreads.affinity(0);
        CpuSet current = original;
        while (true) {
            Entity e;
            CpuSet wanted;
            synchronized (this) {
                while ((e = pick()) == null) {
                    if (closed) {
                        return;
                    }
                    try {
                        wait();
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
                long now = System.nanoTime();
                long remaining = e.group.share.quotaNanos(periodNanos) - e.group.periodUsage;
                e.state = State.RUNNING;
                e.worker = Thread.currentThread();
                e.kicked = false;
                e.idleSuspected = false;
                e.sliceStartNanos = now;
                e.sliceEndNanos = now + Math.max(TICK_NANOS, Math.min(quantumNanos, remaining));
                e.sliceStartCpu = MX.getCurrentThreadCpuTime();
                e.lastTickCpu = e.sliceStartCpu;
                running.add(e);
                wanted = e.group.cpuset != null ? e.group.cpuset : original;
            }
            if (wanted != null && !wanted.equals(current)) {
                int rc = original == null ? HostThreads.EINVAL : HostThreads.setAffinity(0, wanted);
                if (rc == 0) {
                    current = wanted;
                } else {
                    String why = original == null ? "the worker's own affinity is unknown"
                            : HostThreads.strerror(rc);
                    synchronized (this) {
                        if (e.group.problem == null) {
                            LOG.warn("VM {}: cannot run on CPUs {}: {}", e.group.name, wanted, why);
                        }
                        e.group.problem = "sched_setaffinity(CPUs " + wanted + ") on a scheduler worker: " + why;
                    }
                }
            }
            VcpuExit exit;
            try {
                exit = e.vcpu.run();
            } catch (RuntimeException | Error ex) {
                LOG.error("vCPU {} of {} failed", e.vcpu.index(), e.group.name, ex);
                exit = new VcpuExit.Crashed(new dev.jvisor.hypervisor.CrashReport(
                        "vCPU failed on a scheduler worker: " + ex, -1, 0, 0, ""));
            }
            long used = Math.max(0, MX.getCurrentThreadCpuTime() - e.sliceStartCpu);
            boolean lifecycle = !(exit instanceof VcpuExit.Kicked || exit instanceof VcpuExit.Debug);
            synchronized (this) {
                running.remove(e);
                e.worker = null;
                Group g = e.group;
                g.cpuNanos += used;
                g.periodUsage += used;
                g.vruntime += used * CpuShare.DEFAULT_WEIGHT / g.share.weight();
                if (g.periodUsage >= g.share.quotaNanos(periodNanos) && !g.throttled) {
                    g.throttled = true;
                    g.throttles++;
                }
                if (lifecycle) {
                    g.halted = true;
                    kickRunning(g);
                }
                if (g.removed || g.halted) {
                    e.state = State.PARKED;
                } else if (e.idleSuspected) {
                    e.state = State.WAITING;
                    Entity waiting = e;
                    Thread.ofVirtual().name("vcpu-idle").start(() -> idleWait(waiting));
                } else {
                    e.state = State.READY;
                    g.ready.add(e);
                }
                notifyAll();
            }
            if (lifecycle) {
                try {
                    e.group.sink.exited(e.vcpu, exit);
                } catch (RuntimeException ex) {
                    LOG.error("exit handler of {} failed", e.group.name, ex);
                }
            }
        }
    }

    private void idleWait(Entity e) {
        try {
            e.group.idle.await(e.vcpu, MAX_IDLE_WAIT_NANOS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            LOG.warn("idle wait of a vCPU of {} failed", e.group.name, ex);
        } finally {
            synchronized (this) {
                Group g = e.group;
                if (g.removed || g.halted) {
                    e.state = State.PARKED;
                } else {
                    if (g.ready.isEmpty() && !anyRunning(g)) {
                        g.vruntime = Math.max(g.vruntime, minActiveVruntime());
                    }
                    e.state = State.READY;
                    g.ready.add(e);
                }
                notifyAll();
            }
        }
    }

    private static boolean anyRunning(Group g) {
        for (Entity e : g.entities) {
            if (e.state == State.RUNNING) {
                return true;
            }
        }
        return false;
    }

    private void tickLoop() {
        while (true) {
            synchronized (this) {
                // An idle daemon costs nothing: the tick sleeps while no VM is scheduled.
                while (groups.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                tick(System.nanoTime());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TICK_NANOS);
        }
    }

    /** Under the lock: period rollover, slice ends, cap enforcement within a slice, idle detection. */
    private void tick(long now) {
        if (now >= periodEnd) {
            periodEnd = Math.max(periodEnd + periodNanos, now);
            for (Group g : groups) {
                long quota = g.share.quotaNanos(periodNanos);
                // Overshoot is carried over so the long-run use is the cap, not cap plus a tick.
                g.periodUsage = quota == Long.MAX_VALUE ? 0 : Math.max(0, g.periodUsage - quota);
                g.throttled = g.periodUsage >= quota;
            }
            notifyAll();
        }
        for (Entity e : running) {
            if (e.kicked || e.worker == null) {
                continue;
            }
            long cpu = MX.getThreadCpuTime(e.worker.threadId());
            long sliceCpu = Math.max(0, cpu - e.sliceStartCpu);
            boolean overQuota = e.group.periodUsage + sliceCpu >= e.group.share.quotaNanos(periodNanos);
            // Less than a tenth of a tick of CPU over the last tick, after the slice's first tick:
            // the vCPU sleeps in HLT (or waits for a start-up IPI) on this worker.
            boolean idle = now - e.sliceStartNanos > 2 * TICK_NANOS && cpu >= 0 && cpu - e.lastTickCpu < TICK_NANOS / 10;
            e.lastTickCpu = cpu;
            if (now >= e.sliceEndNanos || overQuota || idle || !e.group.runnable() && !e.group.throttled) {
                e.idleSuspected = idle && now < e.sliceEndNanos;
                e.kicked = true;
                e.vcpu.kick();
            }
        }
    }

    /** Stops the workers (after every group was removed) and the tick thread. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Entity e : running) {
                e.vcpu.kick();
            }
            notifyAll();
        }
        for (Thread t : workers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
