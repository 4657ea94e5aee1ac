package dev.jvisor.virtio;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device's I/O thread: runs {@code task} after {@link #wake()}, on a virtual thread of its own,
 * so that slow work (disk I/O, waiting for a back end) never runs on a vCPU thread. Wakes that
 * arrive while the task runs are coalesced into one more run, so none is lost and none piles up.
 *
 * <p>The thread starts on the first wake; a device that is never used costs no thread. A task that
 * throws is logged and the worker keeps serving wakes. Thread-safe.
 */
public final class DeviceWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceWorker.class);

    private final String name;
    private final Runnable task;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private boolean pending;
    private boolean closed;
    private Thread thread;

    /** @param name names the thread ("virtio-blk0-io") */
    public DeviceWorker(String name, Runnable task) {
        this.name = Objects.requireNonNull(name, "name");
        this.task = Objects.requireNonNull(task, "task");
    }

    /** Makes the task run (again) soon. Never blocks for long; callable from any thread. */
    public void wake() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            pending = true;
            if (thread == null) {
                thread = Thread.ofVirtual().name(name).start(this::loop);
            } else {
                wakeUp.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread after the current run of the task, if any; later wakes are ignored. */
    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            closed = true;
            t = thread;
            wakeUp.signal();
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (true) {
            lock.lock();
            try {
                while (!pending && !closed) {
                    wakeUp.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                pending = false;
            } finally {
                lock.unlock();
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("{}: device work failed", name, e);
            }
        }
    }
}
