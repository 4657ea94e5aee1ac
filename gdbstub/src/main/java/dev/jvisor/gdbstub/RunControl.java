package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VcpuSupervisor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * All-stop run control over a VM's vCPU threads (GDB's default mode): when one vCPU stops (a
 * breakpoint, a watchpoint, a finished step) or the debugger interrupts, every vCPU is held before
 * its next entry into guest code, and the stop is reported once all of them are held. Resuming
 * releases the vCPUs the debugger names; the others stay held.
 *
 * <p>Threads: {@link #beforeRun} and {@link #debugEvent} run on vCPU threads; the other methods on
 * the debugging session's thread. vCPU state may be touched only while {@link #isStopped()}.
 */
final class RunControl implements VcpuSupervisor {
    private enum State { RUNNING, STOPPING, STOPPED }

    private final Object lock = new Object();
    private final List<? extends Vcpu> vcpus;
    private final boolean[] held;
    private final boolean[] parked;
    /** Debug events that arrived while a stop was already under way: reported at the next resume. */
    private final VcpuExit.Debug[] pending;
    private State state;
    private StopRecord stop;
    private ExitReason exitReason;
    private Consumer<SessionEvent> listener;

    /**
     * @param holdAtStart keep every vCPU from running until a debugger resumes it ({@code --gdb-wait})
     */
    RunControl(List<? extends Vcpu> vcpus, boolean holdAtStart) {
        this.vcpus = List.copyOf(vcpus);
        int n = vcpus.size();
        this.held = new boolean[n];
        this.parked = new boolean[n];
        this.pending = new VcpuExit.Debug[n];
        if (holdAtStart) {
            java.util.Arrays.fill(held, true);
            state = State.STOPPING;
            stop = StopRecord.trap(0);
        } else {
            state = State.RUNNING;
        }
    }

    int vcpuCount() {
        return vcpus.size();
    }

    Vcpu vcpu(int index) {
        return vcpus.get(index);
    }

    /** Where stops are reported from now on (the session's queue), or null. */
    void listen(Consumer<SessionEvent> l) {
        synchronized (lock) {
            listener = l;
        }
    }

    @Override
    public void beforeRun(Vcpu vcpu) {
        int i = vcpu.index();
        synchronized (lock) {
            boolean interrupted = false;
            while (held[i] && exitReason == null) {
                if (!parked[i]) {
                    parked[i] = true;
                    reportIfAllParked();
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            parked[i] = false;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void debugEvent(Vcpu vcpu, VcpuExit.Debug event) {
        requestStop(StopRecord.debug(vcpu.index(), event));
    }

    @Override
    public void machineStopped(ExitReason reason) {
        Consumer<SessionEvent> l;
        synchronized (lock) {
            exitReason = reason;
            lock.notifyAll();
            l = listener;
        }
        if (l != null) {
            l.accept(new SessionEvent.Exited(reason));
        }
    }

    /** The interrupt byte: stop everything, reporting SIGINT on {@code vcpu}. */
    void interrupt(int vcpu) {
        requestStop(StopRecord.interrupt(vcpu));
    }

    private void requestStop(StopRecord record) {
        synchronized (lock) {
            if (exitReason != null) {
                return;
            }
            if (state != State.RUNNING) {
                if (record.event() != null) {
                    pending[record.vcpu()] = record.event();
                }
                return;
            }
            state = State.STOPPING;
            stop = record;
            java.util.Arrays.fill(held, true);
            for (int i = 0; i < vcpus.size(); i++) {
                if (!parked[i]) {
                    vcpus.get(i).kick();
                }
            }
            reportIfAllParked();
        }
    }

    /** With the lock held: completes a stop once every vCPU waits in beforeRun. */
    private void reportIfAllParked() {
        if (state != State.STOPPING) {
            return;
        }
        for (boolean p : parked) {
            if (!p) {
                return;
            }
        }
        state = State.STOPPED;
        lock.notifyAll();
        if (listener != null) {
            listener.accept(new SessionEvent.Stopped(stop));
        }
    }

    boolean isStopped() {
        synchronized (lock) {
            return state == State.STOPPED;
        }
    }

    /** The VM's end, once it has ended. */
    ExitReason exitReason() {
        synchronized (lock) {
            return exitReason;
        }
    }

    /**
     * Stops the target if it runs and waits until every vCPU is held (a debugger attaching).
     *
     * @return the stop, or null if the VM ended or the vCPUs did not stop in time
     */
    StopRecord stopAndWait(StopRecord reason, long timeout, TimeUnit unit) throws InterruptedException {
        requestStop(reason);
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (state != State.STOPPED && exitReason == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return state == State.STOPPED ? stop : null;
        }
    }

    /** The last stop (valid while stopped). */
    StopRecord lastStop() {
        synchronized (lock) {
            return stop;
        }
    }

    /**
     * Resumes the vCPUs whose entry in {@code run} is true (the target must be stopped). If one of
     * them has a debug event that arrived during the last stop, nothing runs: that event is
     * reported as a new stop instead, so no breakpoint hit is lost.
     *
     * @param stillValid tells whether a pending event still matters (its breakpoint still set)
     */
    void resume(boolean[] run, java.util.function.Predicate<VcpuExit.Debug> stillValid) {
        synchronized (lock) {
            if (state != State.STOPPED) {
                throw new IllegalStateException("resume while the target is not stopped");
            }
            for (int i = 0; i < pending.length; i++) {
                VcpuExit.Debug p = pending[i];
                pending[i] = null;
                if (p != null && run[i] && stillValid.test(p)) {
                    stop = StopRecord.debug(i, p);
                    if (listener != null) {
                        listener.accept(new SessionEvent.Stopped(stop));
                    }
                    return;
                }
            }
            state = State.RUNNING;
            for (int i = 0; i < held.length; i++) {
                if (run[i]) {
                    held[i] = false;
                }
            }
            lock.notifyAll();
            if (!anyRunning()) {
                // Nothing was asked to run: the target stays stopped (GDB waits for a stop reply).
                state = State.STOPPING;
                reportIfAllParked();
            }
        }
    }

    private boolean anyRunning() {
        for (boolean h : held) {
            if (!h) {
                return true;
            }
        }
        return false;
    }

    /** Lets every vCPU run freely, as before a debugger was attached (detach). */
    void releaseAll() {
        synchronized (lock) {
            java.util.Arrays.fill(held, false);
            java.util.Arrays.fill(pending, null);
            state = State.RUNNING;
            listener = null;
            lock.notifyAll();
        }
    }
}
