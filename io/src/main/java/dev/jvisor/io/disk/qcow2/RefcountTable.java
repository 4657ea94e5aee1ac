package dev.jvisor.io.disk.qcow2;

import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The refcount table and its refcount blocks (qcow2.txt "Host cluster management"), with the cluster
 * allocator built on them. Not thread-safe: {@link Qcow2Image} calls it under its metadata lock.
 *
 * <p><b>Write-back and ordering.</b> Refcount changes are made in memory and written by
 * {@link #writeBack()}, which the image calls before it writes any L2 or L1 table (with a flush in
 * between), so on disk a table never points at a cluster whose refcount is not yet recorded: an
 * abrupt stop leaves at worst clusters counted but unreferenced (leaks). New refcount blocks are
 * written and flushed before the table entry that points to them. Growing the refcount table is done
 * at once, in the crash-safe order: new blocks and table, flush, header, flush, then the old table is
 * freed.
 *
 * <p><b>Guard against corrupt refcounts.</b> Clusters known to hold metadata (header, tables) are
 * remembered; if the allocator ever finds one of them with refcount zero the image is corrupt and the
 * allocation fails instead of overwriting metadata.
 */
final class RefcountTable {
    private final StorageFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final long entriesPerBlock;
    private final int blockCacheCapacity;

    private long tableOffset;
    private int tableClusters;
    private long[] table;
    private final BitSet dirtyEntries = new BitSet();
    private final Map<Long, RefBlock> blocks = new LinkedHashMap<>(64, 0.75f, true);
    private final Set<Long> metadataClusters = new HashSet<>();
    private long freeHint = 1;
    /** One past the highest cluster index that is allocated or lies inside the file. */
    private long endCluster;

    RefcountTable(StorageFile file, Qcow2Header header, int blockCacheBytes) throws IOException {
        this.file = file;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.order = header.refcountOrder();
        this.entriesPerBlock = RefBlock.entries(clusterSize, order);
        this.blockCacheCapacity = Math.max(8, blockCacheBytes / clusterSize);
        this.tableOffset = header.refcountTableOffset();
        this.tableClusters = header.refcountTableClusters();
        this.table = readTable(file, tableOffset, tableClusters, clusterBits);
        long fileSize = file.size();
        this.endCluster = (fileSize + clusterSize - 1) >>> clusterBits;
        for (int i = 0; i < table.length; i++) {
            long off = table[i];
            if ((off & Qcow2Entries.REFTABLE_RESERVED) != 0) {
                throw new InvalidImageException(String.format("corrupt qcow2 image: refcount table entry %d (0x%x) is not cluster aligned", i, off));
            }
            if (off != 0) {
                if ((off & (clusterSize - 1)) != 0 || off < 0 || off > fileSize - clusterSize) {
                    throw new InvalidImageException(String.format(
                            "corrupt qcow2 image: refcount block %d at 0x%x is misaligned or past the end of the file", i, off));
                }
                metadataClusters.add(off >>> clusterBits);
            }
        }
        markMetadata(0, clusterSize);
        markMetadata(tableOffset, (long) tableClusters << clusterBits);
    }

    /** Reads a refcount table of {@code clusters} clusters at {@code offset} (size limits were checked by the header). */
    static long[] readTable(StorageFile file, long offset, int clusters, int clusterBits) throws IOException {
        int bytes = clusters << clusterBits;
        ByteBuffer buf = ByteBuffer.allocate(bytes).order(ByteOrder.BIG_ENDIAN);
        file.readFully(offset, buf);
        long[] t = new long[bytes / 8];
        buf.flip();
        buf.asLongBuffer().get(t);
        return t;
    }

    /** Remembers {@code [offset, offset+length)} as metadata, for the corrupt-refcount guard. */
    void markMetadata(long offset, long length) {
        for (long c = offset >>> clusterBits; c < (offset + length + clusterSize - 1) >>> clusterBits; c++) {
            metadataClusters.add(c);
        }
    }

    void unmarkMetadata(long offset) {
        metadataClusters.remove(offset >>> clusterBits);
    }

    long entriesPerBlock() {
        return entriesPerBlock;
    }

    long tableOffset() {
        return tableOffset;
    }

    int tableClusters() {
        return tableClusters;
    }

    /** The refcount of host cluster {@code index} (0 where no block exists). */
    long get(long index) throws IOException {
        long b = index / entriesPerBlock;
        if (b >= table.length || table[(int) b] == 0) {
            return 0;
        }
        return block(b).get((int) (index % entriesPerBlock));
    }

    private RefBlock block(long b) throws IOException {
        RefBlock rb = blocks.get(b);
        if (rb != null) {
            return rb;
        }
        long off = table[(int) b];
        byte[] data = new byte[clusterSize];
        file.readFully(off, ByteBuffer.wrap(data));
        rb = new RefBlock(off, data, order);
        cache(b, rb);
        return rb;
    }

    private void cache(long b, RefBlock rb) throws IOException {
        blocks.put(b, rb);
        if (blocks.size() > blockCacheCapacity) {
            Iterator<Map.Entry<Long, RefBlock>> it = blocks.entrySet().iterator();
            while (blocks.size() > blockCacheCapacity && it.hasNext()) {
                Map.Entry<Long, RefBlock> e = it.next();
                if (e.getValue() == rb) {
                    continue;
                }
                // Writing a block early is always safe: increments recorded early are leaks at worst,
                // and decrements reach memory only after the tables that dropped the reference are durable.
                if (e.getValue().dirty && !dirtyEntries.get(e.getKey().intValue())) {
                    writeBlock(e.getValue());
                } else if (e.getValue().dirty) {
                    continue; // a new block whose table entry is not written yet stays until writeBack
                }
                it.remove();
            }
        }
    }

    private void writeBlock(RefBlock rb) throws IOException {
        file.write(rb.offset, ByteBuffer.wrap(rb.data));
        rb.dirty = false;
    }

    /** Adds {@code delta} (+1 or -1) to the refcount of cluster {@code index}, creating a block if needed. */
    void adjust(long index, int delta) throws IOException {
        long b = index / entriesPerBlock;
        if (delta > 0) {
            ensureBlockFor(index);
        } else if (b >= table.length || table[(int) b] == 0) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: freeing cluster 0x%x that has no refcount", index << clusterBits));
        }
        RefBlock rb = block(b);
        int i = (int) (index % entriesPerBlock);
        long v = rb.get(i);
        if (delta > 0 && v == RefBlock.max(order)) {
            throw new InvalidImageException(String.format("qcow2 refcount overflow on cluster 0x%x", index << clusterBits));
        }
        if (delta < 0 && v == 0) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: refcount of cluster 0x%x is already 0", index << clusterBits));
        }
        rb.set(i, v + delta);
        if (delta < 0 && v == 1 && index < freeHint) {
            freeHint = index;
        }
        if (delta > 0) {
            endCluster = Math.max(endCluster, index + 1);
        }
    }

    /**
     * A new refcount block for block index {@code b}, placed in the first cluster it covers (all of its
     * clusters have refcount 0, since it had no block), counting itself.
     */
    private void createBlock(long b) throws IOException {
        long cluster = b * entriesPerBlock;
        if (cluster == 0 || metadataClusters.contains(cluster)) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: metadata cluster 0x%x has no refcount", cluster << clusterBits));
        }
        RefBlock rb = new RefBlock(cluster << clusterBits, new byte[clusterSize], order);
        rb.set(0, 1);
        table[(int) b] = rb.offset;
        dirtyEntries.set((int) b);
        metadataClusters.add(cluster);
        endCluster = Math.max(endCluster, cluster + 1);
        cache(b, rb);
    }

    /**
     * Allocates one free cluster (refcount set to 1) and returns its host offset. Never returns a
     * cluster known to hold metadata.
     */
    long allocate() throws IOException {
        for (long c = freeHint; ; c++) {
            if (get(c) != 0) {
                continue;
            }
            if (metadataClusters.contains(c)) {
                throw new InvalidImageException(String.format(
                        "corrupt qcow2 image: metadata cluster 0x%x has refcount 0 (run qemu-img check -r all)", c << clusterBits));
            }
            ensureBlockFor(c); // may put a new refcount block (or a grown table) on c itself
            if (get(c) == 0) {
                adjust(c, +1);
                freeHint = c + 1;
                return c << clusterBits;
            }
        }
    }

    /** Makes sure a refcount block covers cluster {@code index}, growing the table or creating a block. */
    private void ensureBlockFor(long index) throws IOException {
        long b = index / entriesPerBlock;
        if (b >= table.length) {
            grow(b);
        }
        if (table[(int) b] == 0) {
            createBlock(b);
        }
    }

    /**
     * Writes every dirty refcount block; new blocks are flushed before the table entries that point to
     * them are written. The caller flushes afterwards before writing L2/L1 tables.
     *
     * @return whether anything was written
     */
    boolean writeBack() throws IOException {
        boolean wrote = false;
        for (RefBlock rb : blocks.values()) {
            if (rb.dirty) {
                writeBlock(rb);
                wrote = true;
            }
        }
        if (!dirtyEntries.isEmpty()) {
            file.force();
            ByteBuffer entry = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
            for (int i = dirtyEntries.nextSetBit(0); i >= 0; i = dirtyEntries.nextSetBit(i + 1)) {
                entry.clear();
                entry.putLong(0, table[i]);
                file.write(tableOffset + 8L * i, entry);
            }
            dirtyEntries.clear();
            wrote = true;
        }
        return wrote;
    }

    /**
     * Replaces the refcount table by a larger one covering block index {@code needed}, in crash-safe
     * order (see class comment). New table and new blocks go at the end of the file: the table first,
     * then blocks for every block index in that region that has none, iterated to a fixed point since
     * the blocks themselves need covering.
     */
    private void grow(long needed) throws IOException {
        writeBack(); // start from a clean state so the new table copies durable entries
        // Past everything allocated and past the old table's reach: every cluster there has refcount 0.
        long start = Math.max(endCluster, (long) table.length * entriesPerBlock);
        long newEntries = Math.max((long) table.length * 2, needed + 1);
        long tableClustersNew;
        long newBlocks;
        while (true) {
            tableClustersNew = (newEntries * 8 + clusterSize - 1) >>> clusterBits;
            newBlocks = 0;
            long last;
            while (true) {
                last = start + tableClustersNew + newBlocks - 1;
                long count = 0;
                for (long b = start / entriesPerBlock; b <= last / entriesPerBlock; b++) {
                    if (b >= table.length || table[(int) b] == 0) {
                        count++;
                    }
                }
                if (count == newBlocks) {
                    break;
                }
                newBlocks = count;
            }
            if (last / entriesPerBlock < newEntries) {
                break;
            }
            newEntries = last / entriesPerBlock + 1;
        }
        if ((tableClustersNew << clusterBits) > Qcow2Header.MAX_REFTABLE_BYTES) {
            throw new InvalidImageException("qcow2 refcount table would exceed 8 MiB; the image is too large for its cluster size");
        }
        long[] newTable = new long[(int) (tableClustersNew << clusterBits) / 8];
        System.arraycopy(table, 0, newTable, 0, table.length);
        long oldOffset = tableOffset;
        int oldClusters = tableClusters;
        long[] oldTable = table;
        // Place the new blocks after the table, one per uncovered block index, in order.
        long next = start + tableClustersNew;
        long last = start + tableClustersNew + newBlocks - 1;
        for (long b = start / entriesPerBlock; b <= last / entriesPerBlock; b++) {
            if (b >= oldTable.length || oldTable[(int) b] == 0) {
                newTable[(int) b] = next << clusterBits;
                RefBlock rb = new RefBlock(next << clusterBits, new byte[clusterSize], order);
                rb.dirty = true;
                blocks.put(b, rb);
                metadataClusters.add(next);
                next++;
            }
        }
        table = newTable;
        tableOffset = start << clusterBits;
        tableClusters = (int) tableClustersNew;
        markMetadata(tableOffset, tableClustersNew << clusterBits);
        endCluster = Math.max(endCluster, last + 1);
        for (long c = start; c <= last; c++) {
            long b = c / entriesPerBlock;
            RefBlock rb = block(b);
            int i = (int) (c % entriesPerBlock);
            rb.set(i, rb.get(i) + 1);
        }
        for (RefBlock rb : blocks.values()) {
            if (rb.dirty) {
                writeBlock(rb);
            }
        }
        ByteBuffer tb = ByteBuffer.allocate((int) (tableClustersNew << clusterBits)).order(ByteOrder.BIG_ENDIAN);
        tb.asLongBuffer().put(newTable);
        file.write(tableOffset, tb);
        file.force();
        ByteBuffer hdr = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN);
        hdr.putLong(tableOffset).putInt(tableClusters).flip();
        file.write(Qcow2Header.OFF_REFCOUNT_TABLE, hdr);
        file.force();
        // The old table is unreferenced now that the header points at the new one.
        for (long c = oldOffset >>> clusterBits; c < (oldOffset >>> clusterBits) + oldClusters; c++) {
            metadataClusters.remove(c);
            adjust(c, -1);
        }
    }
}
