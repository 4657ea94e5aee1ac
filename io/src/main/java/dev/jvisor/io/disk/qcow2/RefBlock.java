package dev.jvisor.io.disk.qcow2;

/**
 * One refcount block in memory: a cluster of packed refcounts of {@code 1 << order} bits each, stored
 * exactly as on disk (big-endian; for sub-byte widths bit 0 is the least significant bit,
 * qcow2.txt "Refcount block entry").
 */
final class RefBlock {
    final long offset;
    final byte[] data;
    boolean dirty;
    private final int order;

    RefBlock(long offset, byte[] data, int order) {
        this.offset = offset;
        this.data = data;
        this.order = order;
    }

    /** Number of refcounts in a block of {@code clusterSize} bytes. */
    static long entries(int clusterSize, int order) {
        return (long) clusterSize * 8 >>> order;
    }

    /** Largest refcount the width can hold. */
    static long max(int order) {
        return order == 6 ? -1L : (1L << (1 << order)) - 1; // -1L: unsigned 2^64-1 for 64-bit refcounts
    }

    long get(int index) {
        return switch (order) {
            case 0 -> (data[index >>> 3] >>> (index & 7)) & 1;
            case 1 -> (data[index >>> 2] >>> (2 * (index & 3))) & 3;
            case 2 -> (data[index >>> 1] >>> (4 * (index & 1))) & 15;
            case 3 -> data[index] & 0xffL;
            case 4 -> readBig(index * 2, 2);
            case 5 -> readBig(index * 4, 4);
            default -> readBig(index * 8, 8);
        };
    }

    void set(int index, long value) {
        switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int perByte = 8 / bits;
                int at = index / perByte;
                int shift = bits * (index % perByte);
                int mask = ((1 << bits) - 1) << shift;
                data[at] = (byte) ((data[at] & ~mask) | (((int) value << shift) & mask));
            }
            case 3 -> data[index] = (byte) value;
            case 4 -> writeBig(index * 2, 2, value);
            case 5 -> writeBig(index * 4, 4, value);
            default -> writeBig(index * 8, 8, value);
        }
        dirty = true;
    }

    private long readBig(int at, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (data[at + i] & 0xff);
        }
        return v;
    }

    private void writeBig(int at, int n, long v) {
        for (int i = n - 1; i >= 0; i--) {
            data[at + i] = (byte) v;
            v >>>= 8;
        }
    }
}
