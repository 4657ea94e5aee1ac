package dev.jvisor.io.disk.qcow2;

import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COMPRESSED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COPIED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.OFFSET_MASK;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.ZERO;

import dev.jvisor.io.disk.CheckResult;
import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recomputes every cluster's expected refcount from the image's references (header, L1/L2 tables of
 * the active state and of internal snapshots, refcount structures, snapshot table, bitmaps) and
 * compares it with the stored refcounts, as {@code qemu-img check} does: stored above expected is a
 * leak, stored below expected (or a reference out of the file, misaligned, or with reserved bits) is a
 * corruption. Also checks the COPIED flags of the active tables. Reads only.
 */
public final class Qcow2Checker {
    private static final int MAX_MESSAGES = 100;

    private final StorageFile file;
    private final Qcow2Header header;
    private final int cb;
    private final int cs;
    private final long fileSize;
    private final long fileClusters;
    private final int[] expected;
    private final long[] refTable;
    private final long perBlock;
    private final Map<Long, RefBlock> blocks = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private long corruptions;
    private long leaks;
    private long allocated;
    private long compressedCount;

    private Qcow2Checker(StorageFile file, Qcow2Header header) throws IOException {
        this.file = file;
        this.header = header;
        this.cb = header.clusterBits();
        this.cs = header.clusterSize();
        this.fileSize = file.size();
        this.fileClusters = (fileSize + cs - 1) >>> cb;
        if (fileClusters > Integer.MAX_VALUE - 8) {
            throw new InvalidImageException("qcow2 image too large to check (" + fileClusters + " clusters)");
        }
        this.expected = new int[(int) fileClusters];
        this.refTable = RefcountTable.readTable(file, header.refcountTableOffset(), header.refcountTableClusters(), cb);
        this.perBlock = RefBlock.entries(cs, header.refcountOrder());
    }

    /**
     * Checks the image in {@code file}.
     *
     * @throws InvalidImageException if the header itself is unusable (nothing else can be checked)
     */
    public static CheckResult check(StorageFile file) throws IOException {
        Qcow2Header header = Qcow2Header.read(file);
        return new Qcow2Checker(file, header).run();
    }

    private CheckResult run() throws IOException {
        reference(0, cs, "header");
        checkRefcountStructures();
        if (header.l1Size() > 0) {
            reference(header.l1TableOffset(), (long) header.l1Size() * 8, "L1 table");
        }
        collectL1(header.l1TableOffset(), header.l1Size(), true, 1);
        walkSnapshots();
        walkL2Tables();
        walkBitmaps();
        compare();
        long total = header.size() == 0 ? 0 : (header.size() - 1) / cs + 1;
        return new CheckResult(corruptions, leaks, problems, allocated, total, compressedCount);
    }

    private void problem(String message) {
        corruptions++;
        if (problems.size() < MAX_MESSAGES) {
            problems.add("ERROR " + message);
        }
    }

    /** Counts one reference to every cluster overlapping {@code [offset, offset+length)}. */
    private void reference(long offset, long length, String what) {
        reference(offset, length, what, 1);
    }

    private void reference(long offset, long length, String what, int weight) {
        if (length <= 0) {
            return;
        }
        long first = offset >>> cb;
        long last = (offset + length - 1) >>> cb;
        for (long c = first; c <= last; c++) {
            if (c >= fileClusters) {
                problem(String.format("%s at 0x%x is past the end of the file", what, c << cb));
                return;
            }
            expected[(int) c] += weight;
        }
    }

    private void checkRefcountStructures() {
        reference(header.refcountTableOffset(), (long) header.refcountTableClusters() << cb, "refcount table");
        for (int i = 0; i < refTable.length; i++) {
            long off = refTable[i];
            if (off == 0) {
                continue;
            }
            if ((off & (cs - 1)) != 0) {
                problem(String.format("refcount block %d at 0x%x is not cluster aligned", i, off));
                refTable[i] = 0;
                continue;
            }
            if (off < 0 || off >= fileSize) {
                problem(String.format("refcount block %d at 0x%x is past the end of the file", i, off));
                refTable[i] = 0;
                continue;
            }
            reference(off, cs, "refcount block");
        }
    }

    /** The stored refcount of cluster {@code c}. */
    private long stored(long c) throws IOException {
        long b = c / perBlock;
        if (b >= refTable.length || refTable[(int) b] == 0) {
            return 0;
        }
        long offset = refTable[(int) b];
        RefBlock rb = blocks.get(offset); // by offset: a hostile table may point many entries at one block
        if (rb == null) {
            byte[] data = new byte[cs];
            file.readZeroFilled(offset, ByteBuffer.wrap(data));
            rb = new RefBlock(offset, data, header.refcountOrder());
            blocks.put(offset, rb);
        }
        return rb.get((int) (c % perBlock));
    }

    private boolean inFile(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= fileSize && length <= fileSize - offset;
    }

    /**
     * References of each distinct L2 table: how many times the active L1 table and the snapshots'
     * L1 tables point at it. Walking each table once with that weight keeps the check linear in the
     * file size even when a hostile image points every L1 entry at the same table.
     */
    private final Map<Long, int[]> l2Refs = new java.util.LinkedHashMap<>();

    private void collectL1(long l1Offset, int l1Size, boolean active, int weight) throws IOException {
        if (l1Size == 0) {
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(l1Size * 8).order(ByteOrder.BIG_ENDIAN);
        file.readZeroFilled(l1Offset, buf);
        for (int i = 0; i < l1Size; i++) {
            long e = buf.getLong(8 * i);
            long off = e & OFFSET_MASK;
            if ((e & Qcow2Entries.L1_RESERVED) != 0) {
                problem(String.format("L1 entry %d (0x%016x) has reserved bits set", i, e));
                continue;
            }
            if (off == 0) {
                continue;
            }
            if ((off & (cs - 1)) != 0 || !inFile(off, cs)) {
                problem(String.format("L2 table at 0x%x (L1 entry %d) is misaligned or past the end of the file", off, i));
                continue;
            }
            if (active && ((e & COPIED) != 0) != (stored(off >>> cb) == 1)) {
                problem(String.format("OFLAG_COPIED L2 cluster: l1_index=%d l1_entry=%x refcount=%d", i, e, stored(off >>> cb)));
            }
            int[] refs = l2Refs.computeIfAbsent(off, k -> new int[2]);
            refs[active ? 0 : 1] += weight;
        }
    }

    private void walkL2Tables() throws IOException {
        for (Map.Entry<Long, int[]> e : l2Refs.entrySet()) {
            int weight = e.getValue()[0] + e.getValue()[1];
            reference(e.getKey(), cs, "L2 table", weight);
            walkL2(e.getKey(), e.getValue()[0] > 0, weight);
        }
    }

    private void walkL2(long tableOffset, boolean active, int weight) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(cs).order(ByteOrder.BIG_ENDIAN);
        file.readFully(tableOffset, buf);
        for (int i = 0; i < cs / 8; i++) {
            long e = buf.getLong(8 * i);
            if ((e & COMPRESSED) != 0) {
                if ((e & COPIED) != 0) {
                    problem(String.format("compressed cluster with OFLAG_COPIED in L2 table 0x%x entry %d", tableOffset, i));
                }
                long off = Qcow2Entries.compressedOffset(e, cb);
                long start = off & ~511L;
                long len = Qcow2Entries.compressedSectors(e, cb) * 512;
                if (off >= fileSize) {
                    problem(String.format("compressed cluster at 0x%x is past the end of the file", off));
                    continue;
                }
                reference(start, Math.min(len, ((fileSize + 511) & ~511L) - start), "compressed cluster", weight);
                if (active) {
                    allocated++;
                    compressedCount++;
                }
                continue;
            }
            long off = e & OFFSET_MASK;
            if ((e & Qcow2Entries.L2_RESERVED) != 0) {
                problem(String.format("L2 table 0x%x entry %d (0x%016x) has reserved bits set", tableOffset, i, e));
                continue;
            }
            if ((e & ZERO) != 0 && header.version() < 3) {
                problem(String.format("L2 table 0x%x entry %d has the zero flag in a version 2 image", tableOffset, i));
                continue;
            }
            if (off == 0) {
                if ((e & COPIED) != 0) {
                    problem(String.format("L2 table 0x%x entry %d: OFLAG_COPIED without a cluster", tableOffset, i));
                }
                continue;
            }
            if ((off & (cs - 1)) != 0) {
                problem(String.format("data cluster 0x%x (L2 table 0x%x entry %d) is not cluster aligned", off, tableOffset, i));
                continue;
            }
            if (!inFile(off, 1)) {
                problem(String.format("data cluster 0x%x (L2 table 0x%x entry %d) is past the end of the file", off, tableOffset, i));
                continue;
            }
            reference(off, cs, "data cluster", weight);
            if (active) {
                if ((e & ZERO) == 0) {
                    allocated++;
                }
                if (((e & COPIED) != 0) != (stored(off >>> cb) == 1)) {
                    problem(String.format("OFLAG_COPIED data cluster: l2_entry=%x refcount=%d", e, stored(off >>> cb)));
                }
            }
        }
    }

    private void walkSnapshots() throws IOException {
        int n = header.nbSnapshots();
        if (n == 0) {
            return;
        }
        long pos = header.snapshotsOffset();
        ByteBuffer fixed = ByteBuffer.allocate(40).order(ByteOrder.BIG_ENDIAN);
        for (int s = 0; s < n; s++) {
            if (!inFile(pos, 40)) {
                problem("snapshot table runs past the end of the file");
                return;
            }
            fixed.clear();
            file.readFully(pos, fixed);
            long l1Offset = fixed.getLong(0);
            long l1Size = fixed.getInt(8) & 0xffff_ffffL;
            int idSize = fixed.getShort(12) & 0xffff;
            int nameSize = fixed.getShort(14) & 0xffff;
            long extra = fixed.getInt(36) & 0xffff_ffffL;
            if (extra > 1024) {
                problem("snapshot " + s + " has " + extra + " bytes of extra data (too many)");
                return;
            }
            if (l1Size * 8 > Qcow2Header.MAX_L1_BYTES || (l1Offset & (cs - 1)) != 0 || (l1Size > 0 && !inFile(l1Offset, l1Size * 8))) {
                problem(String.format("snapshot %d L1 table (0x%x, %d entries) is invalid", s, l1Offset, l1Size));
            } else if (l1Size > 0) {
                reference(l1Offset, l1Size * 8, "snapshot L1 table");
                snapshotL1s.merge(List.of(l1Offset, l1Size), 1, Integer::sum);
            }
            pos += (40 + extra + idSize + nameSize + 7) & ~7L;
        }
        reference(header.snapshotsOffset(), pos - header.snapshotsOffset(), "snapshot table");
        for (Map.Entry<List<Long>, Integer> e : snapshotL1s.entrySet()) {
            collectL1(e.getKey().get(0), e.getKey().get(1).intValue(), false, e.getValue());
        }
    }

    /** Distinct snapshot L1 tables (offset, entries) and how many snapshots use each. */
    private final Map<List<Long>, Integer> snapshotL1s = new java.util.LinkedHashMap<>();

    private void walkBitmaps() throws IOException {
        if (header.bitmapCount() == 0) {
            return;
        }
        long dir = header.bitmapDirectoryOffset();
        long dirSize = header.bitmapDirectorySize();
        reference(dir, dirSize, "bitmap directory");
        ByteBuffer d = ByteBuffer.allocate((int) dirSize).order(ByteOrder.BIG_ENDIAN);
        file.readFully(dir, d);
        int pos = 0;
        for (int i = 0; i < header.bitmapCount(); i++) {
            if (pos + 24 > dirSize) {
                problem("bitmap directory is shorter than its " + header.bitmapCount() + " entries");
                return;
            }
            long tableOffset = d.getLong(pos);
            long tableSize = d.getInt(pos + 8) & 0xffff_ffffL;
            int nameSize = d.getShort(pos + 18) & 0xffff;
            long extra = d.getInt(pos + 20) & 0xffff_ffffL;
            if ((tableOffset & (cs - 1)) != 0 || tableSize * 8 > Qcow2Header.MAX_L1_BYTES || !inFile(tableOffset, tableSize * 8)) {
                problem(String.format("bitmap %d table (0x%x, %d entries) is invalid", i, tableOffset, tableSize));
            } else {
                reference(tableOffset, tableSize * 8, "bitmap table");
                ByteBuffer t = ByteBuffer.allocate((int) tableSize * 8).order(ByteOrder.BIG_ENDIAN);
                file.readFully(tableOffset, t);
                for (int k = 0; k < tableSize; k++) {
                    long off = t.getLong(8 * k) & OFFSET_MASK;
                    if (off != 0) {
                        reference(off, cs, "bitmap data cluster");
                    }
                }
            }
            pos += (int) ((24 + extra + nameSize + 7) & ~7L);
        }
    }

    private void compare() throws IOException {
        for (long c = 0; c < fileClusters; c++) {
            long have = stored(c);
            long want = expected[(int) c];
            if (have == want) {
                continue;
            }
            if (Long.compareUnsigned(have, want) > 0) {
                leaks++;
                if (problems.size() < MAX_MESSAGES) {
                    problems.add(String.format("Leaked cluster %d refcount=%d reference=%d", c, have, want));
                }
            } else {
                problem(String.format("cluster %d refcount=%d reference=%d", c, have, want));
            }
        }
        // Refcounts beyond the end of the file count as leaks (nothing can reference them). Whole
        // blocks past the end are counted once per distinct block, so the scan stays linear in the file.
        Map<Long, Long> nonZeroPerBlock = new HashMap<>();
        for (int b = 0; b < refTable.length; b++) {
            if (refTable[b] == 0 || (b + 1) * perBlock <= fileClusters) {
                continue;
            }
            if (b * perBlock >= fileClusters) {
                long offset = refTable[b];
                Long n = nonZeroPerBlock.get(offset);
                if (n == null) {
                    n = 0L;
                    for (long c = b * perBlock; c < (b + 1) * perBlock; c++) {
                        if (stored(c) != 0) {
                            n++;
                        }
                    }
                    nonZeroPerBlock.put(offset, n);
                }
                leaks += n;
            } else {
                for (long c = fileClusters; c < (b + 1) * perBlock; c++) {
                    if (stored(c) != 0) {
                        leaks++;
                    }
                }
            }
        }
    }
}
