package dev.jvisor.io.disk.qcow2;

import java.io.IOException;
import java.util.Arrays;

/**
 * Host ranges that tables stopped referencing but whose refcounts must not drop yet: that may happen
 * only once the tables without the reference are durable, or a crash could leave a table pointing at a
 * cluster counted as free (and reused). Kept as (offset, length) pairs; not thread-safe.
 */
final class PendingFrees {
    private long[] ranges = new long[16];
    private int count;

    void add(long offset, long length) {
        if (count * 2 + 2 > ranges.length) {
            ranges = Arrays.copyOf(ranges, ranges.length * 2);
        }
        ranges[count * 2] = offset;
        ranges[count * 2 + 1] = length;
        count++;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Decrements the refcount of every cluster overlapping each range, then forgets them. */
    void release(RefcountTable refcounts, int clusterBits) throws IOException {
        for (int p = 0; p < count; p++) {
            long offset = ranges[2 * p];
            long length = ranges[2 * p + 1];
            for (long c = offset >>> clusterBits; c <= (offset + length - 1) >>> clusterBits; c++) {
                refcounts.adjust(c, -1);
            }
        }
        count = 0;
    }
}
