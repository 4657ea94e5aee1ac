package dev.jvisor.io.disk.qcow2;

import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COMPRESSED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COPIED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.OFFSET_MASK;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.ZERO;

import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.StorageFile;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * The guest-to-host cluster mapping of a qcow2 image: the L1 table in memory, L2 tables through an
 * LRU cache, validation of every entry read from disk, allocation of new L2 tables, and the ordered
 * write-back of dirty tables (qcow2.txt "Cluster mapping"). Not thread-safe: {@link Qcow2Image} calls
 * it under its metadata lock.
 */
final class ClusterMap {
    private final StorageFile file;
    private final Qcow2Header header;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Entries;
    private final long[] l1;
    private final BitSet dirtyL1 = new BitSet();
    private final L2Cache l2Cache;
    private final RefcountTable refcounts; // null when read-only
    private final ByteBuffer entryBuffer = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);

    ClusterMap(StorageFile file, Qcow2Header header, RefcountTable refcounts, int l2CacheBytes) throws IOException {
        this.file = file;
        this.header = header;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.l2Entries = header.l2Entries();
        this.refcounts = refcounts;
        this.l1 = readL1(file, header);
        this.l2Cache = new L2Cache(Math.max(4, l2CacheBytes / clusterSize));
        if (refcounts != null) {
            refcounts.markMetadata(header.l1TableOffset(), (long) header.l1Size() * 8);
            for (long e : l1) {
                if ((e & OFFSET_MASK) != 0) {
                    refcounts.markMetadata(e & OFFSET_MASK, clusterSize);
                }
            }
        }
    }

    private static long[] readL1(StorageFile file, Qcow2Header h) throws IOException {
        long[] l1 = new long[h.l1Size()];
        if (l1.length == 0) {
            return l1;
        }
        ByteBuffer buf = ByteBuffer.allocate(l1.length * 8).order(ByteOrder.BIG_ENDIAN);
        file.readFully(h.l1TableOffset(), buf);
        buf.flip();
        buf.asLongBuffer().get(l1);
        long fileSize = file.size();
        for (int i = 0; i < l1.length; i++) {
            long e = l1[i];
            long off = e & OFFSET_MASK;
            if ((e & Qcow2Entries.L1_RESERVED) != 0 || (off & (h.clusterSize() - 1)) != 0
                    || (off != 0 && off > fileSize - h.clusterSize())) {
                throw new InvalidImageException(String.format(
                        "corrupt qcow2 image: L1 entry %d (0x%016x) has reserved bits, is misaligned or points past the end of the file", i, e));
            }
        }
        return l1;
    }

    /** Whether the L2 table covering guest cluster {@code gc} exists. */
    boolean hasTable(long gc) {
        return (l1[(int) (gc / l2Entries)] & OFFSET_MASK) != 0;
    }

    /** Sets the L2 entry of {@code gc} in {@code table} (from {@link #writableTable}). */
    void set(L2Table table, long gc, long entry) {
        table.entries[(int) (gc % l2Entries)] = entry;
        table.dirty = true;
    }

    /** The L2 entry of guest cluster {@code gc} (0 if its L2 table is unallocated).  */
    long entryAt(long gc) throws IOException {
        int l1i = (int) (gc / l2Entries);
        if ((l1[l1i] & OFFSET_MASK) == 0) {
            return 0;
        }
        return table(l1i).entries[(int) (gc % l2Entries)];
    }

    /** The L2 table for L1 index {@code l1i}, which must be allocated; loaded and validated on a miss. */
    private L2Table table(int l1i) throws IOException {
        L2Table t = l2Cache.get(l1i);
        if (t != null) {
            return t;
        }
        long off = l1[l1i] & OFFSET_MASK;
        ByteBuffer buf = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
        try {
            file.readFully(off, buf);
        } catch (EOFException e) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: L2 table at 0x%x lies past the end of the file", off), e);
        }
        buf.flip();
        long[] entries = new long[l2Entries];
        buf.asLongBuffer().get(entries);
        for (int i = 0; i < entries.length; i++) {
            validateL2Entry(entries[i], off, i);
        }
        t = new L2Table(off, entries);
        insert(l1i, t);
        return t;
    }

    private void validateL2Entry(long e, long tableOffset, int index) throws InvalidImageException {
        if ((e & COMPRESSED) != 0) {
            if ((e & COPIED) != 0) {
                throw corruptEntry(e, tableOffset, index, "compressed cluster with the COPIED flag");
            }
            return;
        }
        if ((e & Qcow2Entries.L2_RESERVED) != 0) {
            throw corruptEntry(e, tableOffset, index, "reserved bits set");
        }
        if ((e & OFFSET_MASK & (clusterSize - 1)) != 0) {
            throw corruptEntry(e, tableOffset, index, "unaligned data cluster");
        }
        if ((e & ZERO) != 0 && header.version() < 3) {
            throw corruptEntry(e, tableOffset, index, "zero flag in a version 2 image");
        }
    }

    private static InvalidImageException corruptEntry(long e, long tableOffset, int index, String why) {
        return new InvalidImageException(String.format("corrupt qcow2 image: L2 table at 0x%x entry %d (0x%016x): %s",
                tableOffset, index, e, why));
    }

    /** Puts a table in the cache; a dirty victim forces a metadata write-back first (its order matters). */
    private void insert(int l1i, L2Table t) throws IOException {
        if (l2Cache.isFull() && l2Cache.eldestDirty()) {
            writeBack();
        }
        l2Cache.put(l1i, t);
    }

    /** The L2 table covering guest cluster {@code gc}, allocated if missing and checked to be ours alone. */
    L2Table writableTable(long gc) throws IOException {
        int l1i = (int) (gc / l2Entries);
        long e = l1[l1i];
        if ((e & OFFSET_MASK) == 0) {
            long off = refcounts.allocate();
            refcounts.markMetadata(off, clusterSize);
            L2Table t = new L2Table(off, new long[l2Entries]);
            t.dirty = true;
            insert(l1i, t);
            l1[l1i] = off | COPIED;
            dirtyL1.set(l1i);
            return t;
        }
        if ((e & COPIED) == 0) {
            // COPIED may simply be missing; a table with refcount 1 is ours to write.
            if (refcounts.get((e & OFFSET_MASK) >>> clusterBits) != 1) {
                throw new InvalidImageException(String.format("qcow2 L2 table at 0x%x is shared (snapshot); writing it is not supported",
                        e & OFFSET_MASK));
            }
            l1[l1i] = e | COPIED;
            dirtyL1.set(l1i);
        }
        return table(l1i);
    }

    /**
     * Writes dirty metadata in the crash-safe order: refcounts, flush, L2 tables, flush, L1 entries,
     * flush. After it, everything written so far is durable. Holds {@link #meta}.
     */
    void writeBack() throws IOException {
        refcounts.writeBack();
        file.force();
        boolean wroteTables = false;
        for (L2Table t : l2Cache.tables()) {
            if (t.dirty) {
                file.write(t.offset, encode(t.entries));
                t.dirty = false;
                wroteTables = true;
            }
        }
        if (!dirtyL1.isEmpty()) {
            if (wroteTables) {
                file.force(); // a new L2 table must be on disk before the L1 entry that points to it
            }
            for (int i = dirtyL1.nextSetBit(0); i >= 0; i = dirtyL1.nextSetBit(i + 1)) {
                entryBuffer.clear();
                entryBuffer.putLong(0, l1[i]);
                file.write(header.l1TableOffset() + 8L * i, entryBuffer);
            }
            dirtyL1.clear();
            file.force();
        } else if (wroteTables) {
            file.force();
        }
    }

    private ByteBuffer encode(long[] entries) {
        ByteBuffer buf = ByteBuffer.allocate(entries.length * 8).order(ByteOrder.BIG_ENDIAN);
        buf.asLongBuffer().put(entries);
        return buf;
    }

}
