package dev.jvisor.server.manager;

/**
 * A bounded byte ring between the console's writer (a vCPU thread, which must never block) and one
 * reader (a console session). Bytes that do not fit are dropped and counted.
 */
public final class ConsoleTap {
    private final byte[] ring;
    private int head;
    private int count;
    private long dropped;
    private boolean closed;

    ConsoleTap(int capacity) {
        ring = new byte[capacity];
    }

    synchronized void offer(byte b) {
        if (closed) {
            return;
        }
        if (count == ring.length) {
            dropped++;
            return;
        }
        ring[(head + count) % ring.length] = b;
        count++;
        if (count == 1) {
            notifyAll();
        }
    }

    /**
     * Moves up to {@code dst.length} bytes into {@code dst}, waiting up to {@code timeoutMillis} for
     * the first; returns the count, 0 on timeout, -1 once closed and drained.
     */
    public synchronized int read(byte[] dst, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (count == 0) {
            if (closed) {
                return -1;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return 0;
            }
            wait(left);
        }
        int n = Math.min(dst.length, count);
        for (int i = 0; i < n; i++) {
            dst[i] = ring[(head + i) % ring.length];
        }
        head = (head + n) % ring.length;
        count -= n;
        return n;
    }

    public synchronized long dropped() {
        return dropped;
    }

    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
