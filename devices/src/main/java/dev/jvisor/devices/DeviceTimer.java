package dev.jvisor.devices;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-shot timer for a device whose interrupts come from the passage of time (the RTC's periodic
 * and update interrupts, the ACPI PM timer's carry): {@link #armAt} a deadline in the device's own
 * time base, and the callback runs on the timer's thread once that time base reaches it.
 *
 * <p>The time base ({@code now}) is whatever the device reads its time from: wall-clock nanoseconds
 * for the RTC, the VM's virtual nanoseconds for the PM timer. The thread waits the remaining
 * difference in host time and checks again, so a time base that runs no faster than the host's
 * clock (the virtual clock stops while the VM is paused) is never early.
 *
 * <p>The thread (a virtual thread) starts on the first {@link #armAt}; devices that never enable a
 * timed interrupt never create one. The callback runs with no lock of this class held, so it may
 * take the device's lock and re-arm the timer. Thread-safe.
 */
public final class DeviceTimer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceTimer.class);

    private final String name;
    private final LongSupplier now;
    private final Runnable callback;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean armed;
    private long deadline;
    private boolean closed;
    private Thread thread;

    /**
     * @param name     names the thread ("rtc-timer")
     * @param now      the time base, in nanoseconds
     * @param callback runs when an armed deadline is reached
     */
    public DeviceTimer(String name, LongSupplier now, Runnable callback) {
        this.name = Objects.requireNonNull(name, "name");
        this.now = Objects.requireNonNull(now, "now");
        this.callback = Objects.requireNonNull(callback, "callback");
    }

    /** Arms (or re-arms, replacing the previous deadline) for time-base instant {@code deadlineNanos}. */
    public void armAt(long deadlineNanos) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            armed = true;
            deadline = deadlineNanos;
            if (thread == null) {
                thread = Thread.ofVirtual().name(name).start(this::loop);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the pending deadline, if any. */
    public void disarm() {
        lock.lock();
        try {
            armed = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a deadline is pending. */
    public boolean isArmed() {
        lock.lock();
        try {
            return armed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread; later {@link #armAt} calls are ignored. */
    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            closed = true;
            armed = false;
            t = thread;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (true) {
            lock.lock();
            try {
                while (!closed) {
                    if (!armed) {
                        changed.awaitUninterruptibly();
                        continue;
                    }
                    long remaining = deadline - now.getAsLong();
                    if (remaining <= 0) {
                        armed = false;
                        break;
                    }
                    changed.awaitNanos(remaining);
                }
                if (closed) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                callback.run();
            } catch (RuntimeException e) {
                // A device bug must not silently kill the timer thread of a running VM.
                LOG.error("{}: timer callback failed", name, e);
            }
        }
    }
}
