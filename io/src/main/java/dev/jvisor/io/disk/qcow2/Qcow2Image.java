package dev.jvisor.io.disk.qcow2;

import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COMPRESSED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.COPIED;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.OFFSET_MASK;
import static dev.jvisor.io.disk.qcow2.Qcow2Entries.ZERO;

import dev.jvisor.io.disk.BackingOpener;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.ReadOnlyImageException;
import dev.jvisor.io.disk.StorageFile;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A qcow2 image, versions 2 and 3 (QEMU docs/interop/qcow2.txt): reads and writes through L1/L2
 * tables, allocates clusters on first write with refcounts kept, copies on write from a backing image,
 * reads compressed clusters, and honours and creates v3 zero clusters.
 *
 * <p><b>Crash safety.</b> New data goes to newly allocated clusters first; table updates stay in memory
 * until {@link #flush()}, which writes refcount blocks, flushes, writes L2 tables, flushes, writes L1
 * entries, and flushes again. So on disk every table entry points at data that was written and at a
 * cluster whose refcount is recorded. Clusters that stop being referenced (discard, copy-on-write of a
 * compressed cluster) have their refcounts lowered only after the tables that dropped them are
 * durable, and only then may they be reused. An abrupt stop at any point therefore loses at most the
 * writes since the last flush, which the guest never asked to keep, and leaves at worst leaked clusters
 * ({@code qemu-img check} reports "leaked clusters", never "corruptions").
 *
 * <p><b>Threading.</b> Metadata (tables, refcounts, allocator) is guarded by one lock; writes hold it
 * throughout. Reads look up their mapping under the lock and then read data without it, holding a
 * read lock of a gate that a flush takes exclusively while it releases freed clusters, so a read never
 * sees a cluster recycled under its feet.
 *
 * <p><b>Policies.</b> Images with the dirty bit (lazy refcounts left inconsistent by a crash), the
 * corrupt bit, or internal snapshots open read-only only; the error says to run {@code qemu-img check
 * -r all} or to open read-only. Unknown autoclear features (bitmaps) are cleared on a writable open,
 * as the specification requires of writers that do not maintain them.
 */
public final class Qcow2Image implements DiskImage {
    private static final int DEFAULT_L2_CACHE_BYTES = 4 << 20;
    private static final int DEFAULT_REFBLOCK_CACHE_BYTES = 1 << 20;

    private final StorageFile file;
    private final Qcow2Header header;
    private final boolean readOnly;
    private final int clusterBits;
    private final int clusterSize;
    private final long size;
    private final ClusterMap map;
    private final RefcountTable refcounts; // null when read-only
    private final DiskImage backing;      // null when none
    private final CompressedClusters compressed;
    private final ReentrantLock meta = new ReentrantLock();
    private final ReentrantReadWriteLock freeGate = new ReentrantReadWriteLock();
    /** Host storage dropped from tables but not yet released, see class comment. */
    private final PendingFrees pendingFrees = new PendingFrees();
    private final byte[] scratch;
    private boolean closed;

    private Qcow2Image(StorageFile file, Qcow2Header header, DiskImage backing, int l2CacheBytes) throws IOException {
        this.file = file;
        this.header = header;
        this.readOnly = !file.writable();
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.size = header.size();
        this.backing = backing;
        this.compressed = new CompressedClusters(file, clusterBits);
        this.scratch = new byte[clusterSize];
        this.refcounts = readOnly ? null : new RefcountTable(file, header, DEFAULT_REFBLOCK_CACHE_BYTES);
        this.map = new ClusterMap(file, header, refcounts, l2CacheBytes);
        if (refcounts != null && header.bitmapCount() > 0) {
            refcounts.markMetadata(header.bitmapDirectoryOffset(), header.bitmapDirectorySize());
        }
    }

    /**
     * Opens a qcow2 image on {@code file}; writable if the file is. The image owns the file (and the
     * backing image) from now on and closes them.
     *
     * @throws InvalidImageException for a damaged header or tables, unsupported features, or a
     *     writable open that the policies above refuse
     */
    public static Qcow2Image open(StorageFile file, BackingOpener backingOpener) throws IOException {
        return open(file, backingOpener, DEFAULT_L2_CACHE_BYTES);
    }

    /** As {@link #open(StorageFile, BackingOpener)} with an L2 cache of {@code l2CacheBytes} bytes. */
    public static Qcow2Image open(StorageFile file, BackingOpener backingOpener, int l2CacheBytes) throws IOException {
        DiskImage backing = null;
        try {
            Qcow2Header header = Qcow2Header.read(file);
            if (file.writable()) {
                header.checkWritable(file.name());
            }
            if (header.backingFile() != null) {
                backing = backingOpener.open(header.backingFile(), header.backingFormat());
            }
            Qcow2Image image = new Qcow2Image(file, header, backing, l2CacheBytes);
            if (file.writable() && header.autoclearFeatures() != 0) {
                // qcow2.txt: a writer that does not maintain an autoclear feature clears its bit first.
                ByteBuffer zero = ByteBuffer.allocate(8);
                file.write(Qcow2Header.OFF_AUTOCLEAR, zero);
                file.force();
            }
            return image;
        } catch (IOException | RuntimeException e) {
            try {
                if (backing != null) {
                    backing.close();
                }
            } finally {
                file.close();
            }
            throw e;
        }
    }

    /** The parsed header as opened. */
    public Qcow2Header header() {
        return header;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public DiskFormat format() {
        return DiskFormat.QCOW2;
    }

    @Override
    public String serial() {
        return file.serial();
    }

    @Override
    public boolean supportsDiscard() {
        return !readOnly;
    }

    @Override
    public boolean supportsWriteZeroes() {
        return !readOnly;
    }

    @Override
    public int discardGranularity() {
        return clusterSize;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        DiskImage.checkRange(offset, dst.remaining(), size);
        int limit = dst.limit();
        long pos = offset;
        try {
            while (dst.hasRemaining()) {
                int inCluster = (int) (pos & (clusterSize - 1));
                int n = Math.min(dst.remaining(), clusterSize - inCluster);
                long entry;
                meta.lock();
                try {
                    ensureOpen();
                    entry = map.entryAt(pos >>> clusterBits);
                    if (Qcow2Entries.isStandardData(entry)) {
                        // Extend over following clusters that are contiguous on the host: one read for the run.
                        long host = entry & OFFSET_MASK;
                        for (long k = 1; n < dst.remaining(); k++) {
                            long next = map.entryAt((pos >>> clusterBits) + k);
                            if (!Qcow2Entries.isStandardData(next) || (next & OFFSET_MASK) != host + (k << clusterBits)) {
                                break;
                            }
                            n += Math.min(dst.remaining() - n, clusterSize);
                        }
                    }
                    freeGate.readLock().lock(); // taken before the mapping can change, see class comment
                } finally {
                    meta.unlock();
                }
                try {
                    dst.limit(dst.position() + n);
                    readMapped(entry, pos, inCluster, dst);
                } finally {
                    freeGate.readLock().unlock();
                    dst.limit(limit);
                }
                pos += n;
            }
        } finally {
            dst.limit(limit);
        }
    }

    /** Reads {@code dst.remaining()} bytes of guest data at {@code pos} mapped by {@code entry}. */
    private void readMapped(long entry, long pos, int inCluster, ByteBuffer dst) throws IOException {
        if ((entry & COMPRESSED) != 0) {
            compressed.read(entry, inCluster, dst);
        } else if ((entry & ZERO) != 0) {
            Qcow2Entries.fillZeros(dst);
        } else if ((entry & OFFSET_MASK) == 0) {
            readBacking(pos, dst);
        } else {
            long host = (entry & OFFSET_MASK) + inCluster;
            try {
                file.readFully(host, dst);
            } catch (EOFException e) {
                throw new InvalidImageException(String.format("corrupt qcow2 image: data cluster at 0x%x lies past the end of the file",
                        entry & OFFSET_MASK), e);
            }
        }
    }

    private void readBacking(long pos, ByteBuffer dst) throws IOException {
        long backingSize = backing == null ? 0 : backing.size();
        if (pos < backingSize) {
            int n = (int) Math.min(dst.remaining(), backingSize - pos);
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            backing.read(pos, dst);
            dst.limit(limit);
        }
        Qcow2Entries.fillZeros(dst);
    }

    // ---------------------------------------------------------------- writing

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkWritable();
        DiskImage.checkRange(offset, src.remaining(), size);
        int limit = src.limit();
        long pos = offset;
        meta.lock();
        try {
            ensureOpen();
            while (src.hasRemaining()) {
                int inCluster = (int) (pos & (clusterSize - 1));
                int n = Math.min(src.remaining(), clusterSize - inCluster);
                src.limit(src.position() + n);
                writeCluster(pos >>> clusterBits, inCluster, src);
                src.limit(limit);
                pos += n;
            }
        } finally {
            src.limit(limit);
            meta.unlock();
        }
    }

    /** Writes {@code data} (inside one cluster) at {@code inCluster} of guest cluster {@code gc}. Holds {@link #meta}. */
    private void writeCluster(long gc, int inCluster, ByteBuffer data) throws IOException {
        long entry = map.entryAt(gc);
        if (Qcow2Entries.isStandardData(entry) && (entry & COPIED) != 0) {
            file.write((entry & OFFSET_MASK) + inCluster, data); // sole owner: in place
            return;
        }
        L2Table t = map.writableTable(gc);
        boolean reuse = (entry & (COMPRESSED | COPIED | ZERO)) == (COPIED | ZERO) && (entry & OFFSET_MASK) != 0;
        long host = reuse ? entry & OFFSET_MASK : refcounts.allocate();
        ByteBuffer out;
        if (inCluster == 0 && data.remaining() == clusterSize) {
            out = data;
        } else {
            ByteBuffer full = ByteBuffer.wrap(scratch);
            oldContents(entry, gc, full);
            full.clear().position(inCluster);
            full.put(data);
            full.clear();
            out = full;
        }
        try {
            file.write(host, out);
        } catch (IOException e) {
            if (!reuse) {
                refcounts.adjust(host >>> clusterBits, -1); // nothing references it: hand it back
            }
            throw e;
        }
        map.set(t, gc, host | COPIED);
        if (!reuse) {
            dropStorage(entry);
        }
    }

    /** Fills {@code full} (one cluster) with what guest cluster {@code gc} reads as now. */
    private void oldContents(long entry, long gc, ByteBuffer full) throws IOException {
        full.clear();
        if ((entry & COMPRESSED) != 0) {
            compressed.readCluster(entry, scratch);
        } else if ((entry & ZERO) != 0) {
            Arrays.fill(scratch, (byte) 0);
        } else if ((entry & OFFSET_MASK) == 0) {
            long pos = gc << clusterBits;
            full.limit((int) Math.min(clusterSize, size - pos));
            readBacking(pos, full);
            full.limit(clusterSize);
            Qcow2Entries.fillZeros(full);
        } else {
            file.readFully(entry & OFFSET_MASK, full);
        }
    }

    /** Schedules the release of the host storage an entry held (none for unallocated and plain zero entries). */
    private void dropStorage(long entry) {
        if ((entry & COMPRESSED) != 0) {
            long start = Qcow2Entries.compressedOffset(entry, clusterBits) & ~511L;
            pendingFrees.add(start, Qcow2Entries.compressedSectors(entry, clusterBits) * 512);
        } else if ((entry & OFFSET_MASK) != 0) {
            pendingFrees.add(entry & OFFSET_MASK, clusterSize);
        }
    }

    // ---------------------------------------------------------------- discard and zeroes

    private enum ClusterState { UNALLOCATED, ZERO, ZERO_KEEP_ALLOCATION }

    @Override
    public void discard(long offset, long length) throws IOException {
        checkWritable();
        DiskImage.checkRange(offset, length, size);
        // Without a backing file an unallocated cluster reads as zeros; with one, v3 uses the zero flag
        // so the backing data does not reappear. v2 has no zero flag: discarded data may then read from
        // the backing file, which a discard permits (its contents are unspecified).
        ClusterState state = backing != null && header.version() >= 3 ? ClusterState.ZERO : ClusterState.UNALLOCATED;
        meta.lock();
        try {
            ensureOpen();
            long[] range = fullClusters(offset, length);
            for (long gc = range[0]; gc < range[1]; gc++) {
                setState(gc, state);
            }
        } finally {
            meta.unlock();
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        checkWritable();
        DiskImage.checkRange(offset, length, size);
        meta.lock();
        try {
            ensureOpen();
            long[] range = fullClusters(offset, length);
            long fullStart = range[0] << clusterBits;
            long fullEnd = Math.min(range[1] << clusterBits, size);
            if (range[0] >= range[1]) {
                writeZeroBytes(offset, length);
                return;
            }
            writeZeroBytes(offset, fullStart - offset);
            ClusterState state;
            if (header.version() >= 3) {
                state = backing == null && mayUnmap ? ClusterState.UNALLOCATED
                        : mayUnmap ? ClusterState.ZERO : ClusterState.ZERO_KEEP_ALLOCATION;
            } else {
                state = backing == null && mayUnmap ? ClusterState.UNALLOCATED : null;
            }
            if (state == null) {
                writeZeroBytes(fullStart, fullEnd - fullStart); // v2 over a backing file: zeros must be real
            } else {
                for (long gc = range[0]; gc < range[1]; gc++) {
                    setState(gc, state);
                }
            }
            writeZeroBytes(fullEnd, offset + length - fullEnd);
        } finally {
            meta.unlock();
        }
    }

    /** Guest clusters wholly inside the range; the disk's last, partial cluster counts if the range reaches the end. */
    private long[] fullClusters(long offset, long length) {
        long first = (offset + clusterSize - 1) >>> clusterBits;
        long end = offset + length;
        long last = end == size ? (end + clusterSize - 1) >>> clusterBits : end >>> clusterBits;
        return new long[] {first, Math.max(first, last)};
    }

    private void writeZeroBytes(long offset, long length) throws IOException {
        long pos = offset;
        while (pos < offset + length) {
            int inCluster = (int) (pos & (clusterSize - 1));
            int n = (int) Math.min(offset + length - pos, clusterSize - inCluster);
            ByteBuffer zeros = ByteBuffer.allocate(n);
            writeCluster(pos >>> clusterBits, inCluster, zeros);
            pos += n;
        }
    }

    private void setState(long gc, ClusterState state) throws IOException {
        long entry = map.entryAt(gc);
        if (!map.hasTable(gc) && (state == ClusterState.UNALLOCATED || backing == null)) {
            return; // no table: already unallocated, and that reads as zeros without a backing file
        }
        long next = switch (state) {
            case UNALLOCATED -> 0;
            case ZERO -> ZERO;
            // Keep the host cluster as a preallocated zero cluster only if it is ours alone (COPIED).
            case ZERO_KEEP_ALLOCATION -> (entry & (COMPRESSED | COPIED)) == COPIED && (entry & OFFSET_MASK) != 0
                    ? (entry & OFFSET_MASK) | COPIED | ZERO : ZERO;
        };
        if (next == entry) {
            return;
        }
        map.set(map.writableTable(gc), gc, next);
        if ((next & OFFSET_MASK) == 0) {
            dropStorage(entry);
        }
    }

    // ---------------------------------------------------------------- flushing

    @Override
    public void flush() throws IOException {
        if (readOnly) {
            return;
        }
        meta.lock();
        try {
            ensureOpen();
            map.writeBack();
            releasePendingFrees();
        } finally {
            meta.unlock();
        }
    }

    /** Lowers the refcounts of storage dropped before the last write-back; reusable from now on. */
    private void releasePendingFrees() throws IOException {
        if (pendingFrees.isEmpty()) {
            return;
        }
        freeGate.writeLock().lock(); // waits for reads still using the old mappings
        try {
            pendingFrees.release(refcounts, clusterBits);
            compressed.invalidate();
        } finally {
            freeGate.writeLock().unlock();
        }
    }

    private void checkWritable() throws ReadOnlyImageException {
        if (readOnly) {
            throw new ReadOnlyImageException(file.name());
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("qcow2 image " + file.name() + " is closed");
        }
    }

    /** Flushes everything (including released refcounts, so a clean close leaks nothing), then closes. */
    @Override
    public void close() throws IOException {
        meta.lock();
        try {
            if (closed) {
                return;
            }
            try {
                if (!readOnly) {
                    map.writeBack();
                    releasePendingFrees();
                    refcounts.writeBack();
                    file.force();
                }
            } finally {
                closed = true;
                compressed.close();
                try {
                    if (backing != null) {
                        backing.close();
                    }
                } finally {
                    file.close();
                }
            }
        } finally {
            meta.unlock();
        }
    }

    @Override
    public String toString() {
        return "qcow2 image " + file.name();
    }
}
