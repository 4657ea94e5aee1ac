package dev.jvisor.io.disk.qcow2;

import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads compressed clusters: raw deflate streams (no zlib header, as QEMU writes them with
 * windowBits -12) stored at a byte offset and spanning a count of 512-byte sectors
 * (qcow2.txt "Compressed Clusters Descriptor"). Keeps the last inflated cluster, since guests read
 * clusters in several small pieces. Thread-safe (one lock; compressed clusters are the rare path).
 */
final class CompressedClusters {
    private final StorageFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final byte[] compressed;
    private final byte[] cluster;
    private final Inflater inflater = new Inflater(true);
    private long cachedEntry = -1;

    CompressedClusters(StorageFile file, int clusterBits) {
        this.file = file;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
        // The sector count field has cluster_bits - 8 bits: at most 2^(cluster_bits-8) sectors = 2 clusters.
        this.compressed = new byte[2 * clusterSize + 512];
        this.cluster = new byte[clusterSize];
    }

    /** Copies {@code dst.remaining()} bytes starting at {@code inCluster} of the cluster described by {@code entry}. */
    synchronized void read(long entry, int inCluster, ByteBuffer dst) throws IOException {
        inflate(entry);
        dst.put(cluster, inCluster, dst.remaining());
    }

    /** Inflates the whole cluster into {@code dst} (cluster-sized). */
    synchronized void readCluster(long entry, byte[] dst) throws IOException {
        inflate(entry);
        System.arraycopy(cluster, 0, dst, 0, clusterSize);
    }

    private void inflate(long entry) throws IOException {
        if (entry == cachedEntry) {
            return;
        }
        cachedEntry = -1;
        long offset = Qcow2Entries.compressedOffset(entry, clusterBits);
        long sectors = Qcow2Entries.compressedSectors(entry, clusterBits);
        long length = sectors * 512 - (offset & 511);
        long fileSize = file.size();
        if (offset >= fileSize) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: compressed cluster at 0x%x lies past the end of the file", offset));
        }
        // The final sector may be cut short at the end of the file; decompression stops at a full cluster anyway.
        int n = (int) Math.min(Math.min(length, fileSize - offset), compressed.length);
        ByteBuffer in = ByteBuffer.wrap(compressed, 0, n);
        file.readFully(offset, in);
        inflater.reset();
        inflater.setInput(compressed, 0, n);
        int produced = 0;
        try {
            while (produced < clusterSize) {
                int k = inflater.inflate(cluster, produced, clusterSize - produced);
                if (k == 0) { // finished, starved of input or wants a dictionary: no more output will come
                    break;
                }
                produced += k;
            }
        } catch (DataFormatException e) {
            throw new InvalidImageException(String.format("corrupt qcow2 image: compressed cluster at 0x%x does not inflate: %s",
                    offset, e.getMessage()), e);
        }
        if (produced < clusterSize) {
            throw new InvalidImageException(String.format(
                    "corrupt qcow2 image: compressed cluster at 0x%x inflates to %d bytes, not a full cluster", offset, produced));
        }
        cachedEntry = entry;
    }

    /** Forgets the cached cluster (its host space may be reused after a free). */
    synchronized void invalidate() {
        cachedEntry = -1;
    }

    synchronized void close() {
        inflater.end();
    }
}
