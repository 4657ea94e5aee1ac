package dev.jvisor.io.net;

import java.nio.ByteBuffer;

/**
 * A bounded queue of frames waiting for the guest, stored in one preallocated ring of bytes (each
 * frame preceded by its 4-byte length), so queueing and delivering never allocate. Many producers
 * (back-end threads, other switch ports), one consumer (the device's rx worker); thread-safe.
 *
 * <p>When a frame does not fit, it is dropped and counted, as a NIC with a full receive ring does;
 * the queue never blocks a producer (a blocked switch would let one slow guest stall all others).
 */
public final class FrameQueue {
    private final byte[] ring;
    private int head; // next byte to read
    private int used; // bytes in the ring
    private int frames;
    private long dropped;
    private Runnable listener;

    /** A queue holding up to {@code capacityBytes} of frames (plus 4 bytes of overhead each). */
    public FrameQueue(int capacityBytes) {
        if (capacityBytes < NetBackend.MAX_FRAME + 4) {
            throw new IllegalArgumentException("frame queue of " + capacityBytes + " bytes cannot hold a maximum-size frame");
        }
        this.ring = new byte[capacityBytes];
    }

    /** Sets the callback run (outside the queue's lock) when the queue goes from empty to non-empty. */
    public synchronized void setListener(Runnable listener) {
        this.listener = listener;
    }

    /**
     * Adds the remaining bytes of {@code frame} (position unchanged).
     *
     * @return false if it was dropped for lack of room
     */
    public boolean offer(ByteBuffer frame) {
        int len = frame.remaining();
        Runnable notify;
        synchronized (this) {
            if (len + 4 > ring.length - used) {
                dropped++;
                return false;
            }
            int tail = (head + used) % ring.length;
            tail = putInt(tail, len);
            int first = Math.min(len, ring.length - tail);
            frame.get(frame.position(), ring, tail, first);
            frame.get(frame.position() + first, ring, 0, len - first);
            used += len + 4;
            frames++;
            notify = frames == 1 ? listener : null;
        }
        if (notify != null) {
            notify.run();
        }
        return true;
    }

    /** Same as {@link #offer(ByteBuffer)} for {@code len} bytes of {@code data} at {@code off}. */
    public boolean offer(byte[] data, int off, int len) {
        return offer(ByteBuffer.wrap(data, off, len));
    }

    /** Length of the next frame, or -1 if the queue is empty. */
    public synchronized int peekLength() {
        return frames == 0 ? -1 : getInt(head);
    }

    /**
     * Moves the next frame into {@code dst}.
     *
     * @return its length, or -1 if empty
     * @throws IllegalArgumentException if it does not fit in {@code dst} (the frame stays queued)
     */
    public synchronized int poll(ByteBuffer dst) {
        if (frames == 0) {
            return -1;
        }
        int len = getInt(head);
        if (len > dst.remaining()) {
            throw new IllegalArgumentException("receive buffer of " + dst.remaining() + " bytes is smaller than the " + len + "-byte frame");
        }
        int start = (head + 4) % ring.length;
        int first = Math.min(len, ring.length - start);
        dst.put(ring, start, first);
        dst.put(ring, 0, len - first);
        head = (start + len) % ring.length;
        used -= len + 4;
        frames--;
        if (frames == 0) {
            head = 0; // keep frames contiguous when possible
        }
        return len;
    }

    /** Frames waiting. */
    public synchronized int size() {
        return frames;
    }

    /** Frames dropped because the queue was full. */
    public synchronized long dropped() {
        return dropped;
    }

    private int putInt(int at, int v) {
        for (int i = 0; i < 4; i++) {
            ring[at] = (byte) (v >>> (24 - 8 * i));
            at = (at + 1) % ring.length;
        }
        return at;
    }

    private int getInt(int at) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | (ring[at] & 0xff);
            at = (at + 1) % ring.length;
        }
        return v;
    }
}
