package dev.jvisor.server.manager;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers {@link VmEvent}s to subscribers (the SSE streams). Publishing never blocks: each
 * subscriber has a bounded queue, and one that falls {@value #QUEUE} events behind is cut off (its
 * stream ends with a note) rather than slowing VM operations down.
 */
public final class EventBus {
    static final int QUEUE = 4096;

    private final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong seq = new AtomicLong();

    /** One subscriber's queue. */
    public final class Subscription implements AutoCloseable {
        private final BlockingQueue<VmEvent> queue = new ArrayBlockingQueue<>(QUEUE);
        private volatile boolean lagged;

        /** The next event, or null after {@code timeoutMillis} without one. */
        public VmEvent next(long timeoutMillis) throws InterruptedException {
            return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        /** Whether events were dropped because this subscriber fell behind (then it is closed). */
        public boolean lagged() {
            return lagged;
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }

    public Subscription subscribe() {
        Subscription s = new Subscription();
        subscribers.add(s);
        return s;
    }

    public VmEvent publish(String type, String vm, VmState state, VmState previous, String reason) {
        VmEvent e = new VmEvent(seq.incrementAndGet(), System.currentTimeMillis(), type, vm,
                state == null ? null : state.id(), previous == null ? null : previous.id(), reason);
        for (Subscription s : subscribers) {
            if (!s.queue.offer(e)) {
                s.lagged = true;
                s.close();
            }
        }
        return e;
    }

    public int subscribers() {
        return subscribers.size();
    }
}
