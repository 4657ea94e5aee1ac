package dev.jvisor.devices.serial;

/** A fixed-capacity FIFO of bytes with no allocation after construction. Not thread-safe. */
final class ByteRing {
    private final byte[] data;
    private int head;
    private int size;

    ByteRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        data = new byte[capacity];
    }

    int size() {
        return size;
    }

    int capacity() {
        return data.length;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean isFull() {
        return size == data.length;
    }

    /** Appends one byte; returns false (and drops it) if the ring is full. */
    boolean put(int b) {
        if (size == data.length) {
            return false;
        }
        data[(head + size) % data.length] = (byte) b;
        size++;
        return true;
    }

    /** Appends as many of {@code src[off, off+len)} as fit; returns how many. */
    int put(byte[] src, int off, int len) {
        int n = Math.min(len, data.length - size);
        for (int i = 0; i < n; i++) {
            data[(head + size + i) % data.length] = src[off + i];
        }
        size += n;
        return n;
    }

    /** Removes and returns the oldest byte (0-255). The ring must not be empty. */
    int take() {
        if (size == 0) {
            throw new IllegalStateException("ring is empty");
        }
        int b = data[head] & 0xFF;
        head = (head + 1) % data.length;
        size--;
        return b;
    }

    void clear() {
        head = 0;
        size = 0;
    }
}
