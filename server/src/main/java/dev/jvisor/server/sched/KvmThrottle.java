package dev.jvisor.server.sched;

import dev.jvisor.vmm.VirtualMachine;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps for VMs whose vCPUs run on their own threads (KVM): every few milliseconds the vCPU threads'
 * CPU time of each capped VM is compared with its quota for the current period ({@code cap% ×
 * period}); a VM that used its quota is paused ({@link VirtualMachine#pause()}: every vCPU leaves
 * KVM_RUN and parks) until the next period. Overshoot carries into the next period, as in
 * {@link VcpuScheduler}. This is CFS bandwidth control done by jvisor itself, so it works without
 * cgroup v2 delegation.
 *
 * <p>A user's pause and the throttle's are kept apart: a throttled VM that the user resumes stays
 * paused until its period ends, and the throttle never resumes a VM the user paused.
 */
public final class KvmThrottle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvmThrottle.class);
    private static final long TICK_NANOS = 2_000_000;

    private final long periodNanos;
    private final List<Entry> entries = new ArrayList<>();
    private final Thread ticker;
    private long periodEnd;
    private volatile boolean closed;

    public KvmThrottle(long periodNanos) {
        this.periodNanos = periodNanos;
        this.periodEnd = System.nanoTime() + periodNanos;
        ticker = Thread.ofPlatform().daemon().name("kvm-throttle").start(this::loop);
    }

    /** One VM under the throttle. */
    public final class Entry {
        private final VirtualMachine machine;
        private CpuShare share;
        private long periodStartCpu;
        private long carried;
        private boolean throttled;
        private boolean userPaused;
        private boolean removed;
        private long throttles;

        Entry(VirtualMachine machine, CpuShare share) {
            this.machine = machine;
            this.share = share;
            this.periodStartCpu = machine.vcpuCpuNanos();
        }

        public synchronized void setShare(CpuShare s) {
            share = s;
        }

        public synchronized CpuShare share() {
            return share;
        }

        /** Host CPU time of the VM's vCPU threads. */
        public long cpuNanos() {
            return machine.vcpuCpuNanos();
        }

        public synchronized long throttles() {
            return throttles;
        }

        /** The user's pause: parks every vCPU. */
        public void pause() throws InterruptedException {
            synchronized (this) {
                userPaused = true;
            }
            machine.pause();
        }

        /** The user's resume: the vCPUs run again unless the cap holds them until the period ends. */
        public synchronized void resume() {
            userPaused = false;
            if (!throttled) {
                machine.resume();
            }
        }

        /** Takes the VM out of the throttle; no pause or resume reaches it afterwards. */
        public void remove() {
            synchronized (this) {
                removed = true;
            }
            KvmThrottle.this.remove(this);
        }

        synchronized void tick(long now, boolean newPeriod) throws InterruptedException {
            if (removed || (share.capPercent() == 0 && !throttled)) {
                periodStartCpu = -1; // uncapped: nothing to measure (re-read when a cap is set)
                carried = 0;
                return;
            }
            if (periodStartCpu < 0) {
                periodStartCpu = machine.vcpuCpuNanos();
            }
            long cpu = machine.vcpuCpuNanos();
            long quota = share.quotaNanos(periodNanos);
            long used = cpu - periodStartCpu + carried;
            if (newPeriod) {
                carried = quota == Long.MAX_VALUE ? 0 : Math.max(0, used - quota);
                periodStartCpu = cpu;
                used = carried;
                if (throttled && used < quota) {
                    throttled = false;
                    if (!userPaused) {
                        machine.resume();
                    }
                }
            }
            if (!throttled && used >= quota) {
                throttled = true;
                throttles++;
                machine.pause();
            }
        }
    }

    /** Puts {@code machine} (already started) under the throttle. */
    public synchronized Entry add(VirtualMachine machine, CpuShare share) {
        Entry e = new Entry(machine, share);
        entries.add(e);
        notifyAll();
        return e;
    }

    private synchronized void remove(Entry e) {
        entries.remove(e);
    }

    private void loop() {
        while (!closed) {
            List<Entry> snapshot;
            boolean newPeriod;
            long now = System.nanoTime();
            synchronized (this) {
                while (entries.isEmpty() && !closed) {
                    try {
                        wait(); // nothing to throttle: sleep until a VM is added
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                snapshot = List.copyOf(entries);
                newPeriod = now >= periodEnd;
                if (newPeriod) {
                    periodEnd = Math.max(periodEnd + periodNanos, now);
                }
            }
            for (Entry e : snapshot) {
                try {
                    e.tick(now, newPeriod);
                } catch (InterruptedException ex) {
                    return;
                } catch (RuntimeException ex) {
                    LOG.warn("throttling a VM failed", ex);
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TICK_NANOS);
        }
    }

    @Override
    public void close() {
        closed = true;
        ticker.interrupt();
    }
}
