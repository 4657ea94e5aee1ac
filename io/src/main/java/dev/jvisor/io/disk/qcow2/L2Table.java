package dev.jvisor.io.disk.qcow2;

/** One L2 table in memory: a cluster of 8-byte entries, decoded, with its host offset. */
final class L2Table {
    final long offset;
    final long[] entries;
    boolean dirty;

    L2Table(long offset, long[] entries) {
        this.offset = offset;
        this.entries = entries;
    }
}
