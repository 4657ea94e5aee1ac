package dev.jvisor.virtio;

import dev.jvisor.memory.GuestMemoryException;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle and locking every device here shares, so that each device only says what a request
 * means.
 *
 * <p><b>The queue lock.</b> All queue work (taking chains, touching buffers, filling the used ring)
 * runs in {@link #withQueues} under one lock, whichever thread does it: a vCPU that notified, the
 * device's I/O thread, a back end's receive thread or a rate limiter's timer. {@link #reset} takes
 * the same lock, so once it returns no work for the old setup is running or will start.
 *
 * <p><b>Signals.</b> Work done under the lock only records which queues need an interrupt (and
 * whether the device must be reset); the transport is told after the lock is released. The
 * transport holds its own lock while it resets the device, and interrupt delivery may need that
 * lock: signalling under the queue lock could deadlock.
 *
 * <p><b>Errors.</b> A {@link VirtqueueException} (the driver broke the queue rules) or any other
 * failure inside queue work is logged with details, stops the device's queue work and sets
 * DEVICE_NEEDS_RESET (section 2.1.2); it never escapes to the vCPU or I/O thread.
 */
public abstract class AbstractVirtioDevice implements VirtioDevice {
    /** A piece of queue work; runs with the queue lock held and the device active. */
    @FunctionalInterface
    protected interface QueueWork {
        void run() throws VirtqueueException;
    }

    protected final Logger log = LoggerFactory.getLogger(getClass());
    private final String name;
    private final ReentrantLock queueLock = new ReentrantLock();
    private final AtomicLong pendingSignals = new AtomicLong();
    private final AtomicReference<String> pendingFailure = new AtomicReference<>();
    private volatile VirtioTransport transport;
    private volatile boolean active;
    private Activation activation;
    private boolean broken;
    /** Queues with used entries added during the current piece of work (bit per queue). */
    private long usedThisRound;

    /** @param name names the device in logs ("virtio-blk disk.qcow2") */
    protected AbstractVirtioDevice(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    public final String name() {
        return name;
    }

    @Override
    public final void bind(VirtioTransport transport) {
        Objects.requireNonNull(transport, "transport");
        if (this.transport != null) {
            throw new IllegalStateException(name + " is already bound to a transport");
        }
        if (queueCount() > 64) {
            throw new IllegalStateException(name + ": at most 64 queues are supported");
        }
        this.transport = transport;
    }

    /** The transport, for configuration change signals. */
    protected final VirtioTransport transport() {
        VirtioTransport t = transport;
        if (t == null) {
            throw new IllegalStateException(name + " is not bound to a transport");
        }
        return t;
    }

    @Override
    public final void activate(Activation activation) {
        Objects.requireNonNull(activation, "activation");
        queueLock.lock();
        try {
            this.activation = activation;
            broken = false;
            usedThisRound = 0;
            active = true;
            try {
                onActivate(activation);
            } catch (RuntimeException e) {
                fail("activation failed: " + e, e);
            }
        } finally {
            queueLock.unlock();
        }
        flushSignals();
        afterActivate();
    }

    @Override
    public final void reset() {
        active = false;
        queueLock.lock();
        try {
            activation = null;
            broken = false;
            usedThisRound = 0;
            onReset();
        } finally {
            queueLock.unlock();
        }
        pendingSignals.set(0);
        pendingFailure.set(null);
    }

    /** Whether the driver has set DRIVER_OK and the device has not been reset or broken since. */
    protected final boolean isActive() {
        return active;
    }

    /** The current setup; only valid inside {@link #withQueues} (null otherwise). */
    protected final Activation activation() {
        return activation;
    }

    /** Queue {@code index} of the current setup, or null; only valid inside {@link #withQueues}. */
    protected final SplitQueue queue(int index) {
        Activation a = activation;
        return a == null ? null : a.queue(index);
    }

    /**
     * Runs {@code work} under the queue lock if the device is active, then delivers the interrupts
     * it asked for.
     *
     * @return false if the device was not active (or broke during the work)
     */
    protected final boolean withQueues(QueueWork work) {
        if (!active) {
            return false;
        }
        boolean ok;
        queueLock.lock();
        try {
            ok = runLocked(work);
        } finally {
            queueLock.unlock();
        }
        flushSignals();
        return ok;
    }

    private boolean runLocked(QueueWork work) {
        if (!active || broken || activation == null) {
            return false;
        }
        try {
            work.run();
        } catch (VirtqueueException e) {
            fail(e.getMessage(), null);
        } catch (GuestMemoryException | IndexOutOfBoundsException e) {
            fail("guest memory access failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            fail("internal error: " + e, e);
        }
        decideInterrupts();
        return !broken;
    }

    /**
     * Returns chain {@code head} to queue {@code index} with {@code written} bytes written; the
     * interrupt decision is made once at the end of the current work. Call inside {@link #withQueues}.
     */
    protected final void putUsed(int index, SplitQueue queue, int head, long written) {
        queue.addUsed(head, written);
        usedThisRound |= 1L << index;
    }

    private void decideInterrupts() {
        long used = usedThisRound;
        usedThisRound = 0;
        if (broken || used == 0) {
            return;
        }
        Activation a = activation;
        while (used != 0) {
            int q = Long.numberOfTrailingZeros(used);
            used &= used - 1;
            SplitQueue queue = a.queue(q);
            if (queue != null && queue.needsInterrupt()) {
                pendingSignals.getAndAccumulate(1L << q, (x, y) -> x | y);
            }
        }
    }

    /** Stops queue work until reset and arranges DEVICE_NEEDS_RESET; call with the queue lock held. */
    private void fail(String reason, Throwable cause) {
        broken = true;
        if (cause == null) {
            log.warn("{}: bad queue use by the driver, device needs reset: {}", name, reason);
        } else {
            log.error("{}: device needs reset: {}", name, reason, cause);
        }
        pendingFailure.compareAndSet(null, reason);
    }

    private void flushSignals() {
        VirtioTransport t = transport;
        if (t == null) {
            return;
        }
        String failure = pendingFailure.getAndSet(null);
        if (failure != null) {
            t.deviceNeedsReset(failure);
        }
        long bits = pendingSignals.getAndSet(0);
        while (bits != 0) {
            int q = Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            t.signalQueue(q);
        }
    }

    /** Device set-up at DRIVER_OK, under the queue lock (check negotiated features, size buffers). */
    protected void onActivate(Activation activation) {
    }

    /** Runs after activation, without the lock (start pulling from a back end, process queued work). */
    protected void afterActivate() {
    }

    /** Device state back to its initial values, under the queue lock. */
    protected void onReset() {
    }

    @Override
    public void queueNotified(int index) {
    }

    @Override
    public String toString() {
        return name;
    }
}
