package dev.jvisor.memory;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per 4 KiB guest page, set by writes that do not go through hardware dirty logging
 * (device DMA, the emulator, the loader). Safe for concurrent writers.
 */
public final class DirtyBitmap {
    private final AtomicLongArray words;
    private final long pages;

    public DirtyBitmap(long bytes) {
        this.pages = (bytes + 4095) >>> 12;
        this.words = new AtomicLongArray((int) ((pages + 63) >>> 6));
    }

    /** Marks the pages covering {@code [offset, offset+len)} (offsets relative to the region). */
    public void mark(long offset, long len) {
        if (len <= 0) {
            return;
        }
        long first = offset >>> 12;
        long last = (offset + len - 1) >>> 12;
        for (long p = first; p <= last; p++) {
            int w = (int) (p >>> 6);
            long bit = 1L << (p & 63);
            long old = words.get(w);
            if ((old & bit) == 0) {
                words.getAndUpdate(w, v -> v | bit);
            }
        }
    }

    /** Whether page {@code page} (relative to the region) is dirty. */
    public boolean isDirty(long page) {
        return (words.get((int) (page >>> 6)) & (1L << (page & 63))) != 0;
    }

    /** Number of pages covered. */
    public long pages() {
        return pages;
    }

    /**
     * Copies the bitmap into {@code out} (one bit per page, same layout as KVM's dirty log) and
     * clears it atomically word by word.
     */
    public void drainTo(long[] out) {
        for (int i = 0; i < words.length() && i < out.length; i++) {
            out[i] = words.getAndSet(i, 0);
        }
    }
}
