package dev.jvisor.virtio.net;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.net.NetStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A back end for tests: remembers what the guest sent, and queues frames for the guest, either
 * injected by the test or (in loopback mode) the guest's own frames coming back.
 */
final class LoopbackBackend implements NetBackend {
    static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");

    private final boolean loopback;
    private final int capacity;
    private final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
    private final List<byte[]> sent = new ArrayList<>();
    private Runnable listener;
    private long txFrames;
    private long rxFrames;
    private long rxDropped;
    private boolean closed;

    LoopbackBackend(boolean loopback, int capacity) {
        this.loopback = loopback;
        this.capacity = capacity;
    }

    @Override
    public MacAddress mac() {
        return MAC;
    }

    @Override
    public boolean send(ByteBuffer frame) throws IOException {
        byte[] copy = new byte[frame.remaining()];
        frame.get(copy);
        synchronized (this) {
            if (closed) {
                throw new IOException("closed");
            }
            sent.add(copy);
            txFrames++;
        }
        if (loopback) {
            inject(copy);
        }
        return true;
    }

    /** Queues a frame for the guest; runs the listener when the queue was empty. */
    void inject(byte[] frame) {
        Runnable wake;
        synchronized (this) {
            if (toGuest.size() == capacity) {
                rxDropped++;
                return;
            }
            boolean wasEmpty = toGuest.isEmpty();
            toGuest.add(frame.clone());
            wake = wasEmpty ? listener : null;
        }
        if (wake != null) {
            wake.run();
        }
    }

    @Override
    public synchronized int nextFrameLength() {
        byte[] next = toGuest.peek();
        return next == null ? -1 : next.length;
    }

    @Override
    public synchronized int receive(ByteBuffer dst) {
        byte[] next = toGuest.peek();
        if (next == null) {
            return -1;
        }
        if (dst.remaining() < next.length) {
            throw new IllegalArgumentException("buffer too small");
        }
        toGuest.poll();
        dst.put(next);
        rxFrames++;
        return next.length;
    }

    @Override
    public synchronized void setFrameListener(Runnable listener) {
        this.listener = listener;
    }

    @Override
    public synchronized NetStats stats() {
        return new NetStats(txFrames, 0, 0, rxFrames, 0, rxDropped);
    }

    synchronized List<byte[]> sent() {
        return List.copyOf(sent);
    }

    synchronized int waiting() {
        return toGuest.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
