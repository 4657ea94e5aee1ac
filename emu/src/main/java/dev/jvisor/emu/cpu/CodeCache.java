package dev.jvisor.emu.cpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * All decoded blocks of a VM, found by host offset (physical location) and invalidated per guest
 * page when the page is written (self-modifying code: the kernel patches its own text at boot for
 * alternatives and static keys, and user pages are recycled; decoded code must never go stale).
 *
 * <p>Shared by the vCPUs of a VM; its methods are synchronized (lookups happen only when a CPU's
 * own jump cache misses).
 *
 * <p>Pages holding blocks are flagged in each CPU's {@link Mmu#codePages}; the MMU keeps no write
 * TLB entry for them, so every store to such a page reaches {@link #invalidateHostRange}.
 */
public final class CodeCache {
    private static final int BUCKETS = 1 << 16;
    private final Block[] table = new Block[BUCKETS];
    private final Map<Long, List<Block>> byPage = new HashMap<>();
    private final List<Mmu> mmus = new ArrayList<>();
    /** One byte per host page: non-zero while the page holds blocks (VM-wide copy of the MMUs' flags). */
    private volatile byte[] codePages = new byte[0];
    private int blocks;
    /** The VM-wide lock for locked operations no aligned word contains (see {@link AtomicSlot}). */
    final java.util.concurrent.locks.ReentrantLock splitLock = new java.util.concurrent.locks.ReentrantLock();

    /** An empty cache. */
    public CodeCache() {
    }

    private long invalidations;

    /** Registers a CPU whose MMU must learn about code pages. */
    synchronized void attach(Mmu mmu) {
        mmus.add(mmu);
        mmu.codeCache = this;
        if (codePages.length < mmu.codePages.length) {
            codePages = java.util.Arrays.copyOf(codePages, mmu.codePages.length);
        }
    }

    private static int bucket(long hostOffset) {
        long h = hostOffset * 0x9e37_79b9_7f4a_7c15L;
        return (int) (h >>> 48) & (BUCKETS - 1);
    }

    synchronized Block lookup(long linear, long hostOffset, long csBase, int codeSize) {
        for (Block b = table[bucket(hostOffset)]; b != null; b = b.hashNext) {
            if (b.matches(linear, hostOffset, csBase, codeSize)) {
                return b;
            }
        }
        return null;
    }

    synchronized void insert(Block b) {
        int i = bucket(b.hostOffset);
        b.hashNext = table[i];
        table[i] = b;
        blocks++;
        addToPage(b.hostPage1, b);
        if (b.hostPage2 >= 0 && b.hostPage2 != b.hostPage1) {
            addToPage(b.hostPage2, b);
        }
    }

    private void addToPage(long hostPage, Block b) {
        List<Block> list = byPage.get(hostPage);
        if (list == null) {
            list = new ArrayList<>();
            byPage.put(hostPage, list);
            int idx = (int) (hostPage >>> 12);
            codePages[idx] = 1;
            for (Mmu m : mmus) {
                m.codePages[idx] = 1;
            }
            // Pairs with the fence in Mmu.fillEntry: a vCPU filling a write entry for this page
            // either sees the flag or has its entry seen (and cleared) below.
            java.lang.invoke.VarHandle.fullFence();
            for (Mmu m : mmus) {
                m.protectCodePage(hostPage);
            }
        }
        list.add(b);
    }

    /** A store hit {@code [hostOffset, hostOffset+size)}: drop every block on the touched pages. */
    synchronized void invalidateHostRange(long hostOffset, int size) {
        long first = hostOffset & ~0xfffL;
        long last = (hostOffset + size - 1) & ~0xfffL;
        for (long p = first; p <= last; p += 0x1000) {
            invalidatePage(p);
        }
    }

    private void invalidatePage(long hostPage) {
        List<Block> list = byPage.remove(hostPage);
        int idx = (int) (hostPage >>> 12);
        codePages[idx] = 0;
        for (Mmu m : mmus) {
            m.codePages[idx] = 0;
        }
        if (list == null) {
            return;
        }
        for (Block b : list) {
            if (!b.valid) {
                continue;
            }
            b.valid = false;
            unlink(b);
            invalidations++;
            // A block spanning two pages stays listed on the other page; it is skipped there as
            // invalid, and that page keeps its code flag until its own list empties on a write.
        }
    }

    private void unlink(Block b) {
        int i = bucket(b.hostOffset);
        Block prev = null;
        for (Block x = table[i]; x != null; x = x.hashNext) {
            if (x == b) {
                if (prev == null) {
                    table[i] = x.hashNext;
                } else {
                    prev.hashNext = x.hashNext;
                }
                blocks--;
                return;
            }
            prev = x;
        }
    }

    /**
     * Something other than a vCPU wrote host bytes {@code [hostOffset, hostOffset+length)} (device
     * DMA into a recycled page, a debugger): drop blocks decoded from them. Cheap when no code is
     * there, which is the usual case.
     */
    public void externalWrite(long hostOffset, long length) {
        byte[] pages = codePages;
        long first = hostOffset >>> 12;
        long last = (hostOffset + length - 1) >>> 12;
        for (long p = first; p <= last && p < pages.length; p++) {
            if (pages[(int) p] != 0) {
                synchronized (this) {
                    invalidatePage(p << 12);
                }
            }
        }
    }

    /** Drops everything (guest reset). */
    synchronized void clear() {
        for (List<Block> list : byPage.values()) {
            for (Block b : list) {
                b.valid = false;
            }
        }
        java.util.Arrays.fill(table, null);
        for (Long page : byPage.keySet()) {
            codePages[(int) (page >>> 12)] = 0;
            for (Mmu m : mmus) {
                m.codePages[(int) (page >>> 12)] = 0;
            }
        }
        byPage.clear();
        blocks = 0;
    }

    public synchronized int size() {
        return blocks;
    }

    public synchronized long invalidations() {
        return invalidations;
    }
}
