package dev.jvisor.io.disk.qcow2;

/**
 * Bit layouts of qcow2 table entries (qcow2.txt, "Cluster mapping" and "Host cluster management").
 */
final class Qcow2Entries {
    /** Bit 63 of L1 and standard L2 entries: the cluster's refcount is exactly one, it may be written in place. */
    static final long COPIED = 1L << 63;
    /** Bit 62 of L2 entries: a compressed cluster descriptor. */
    static final long COMPRESSED = 1L << 62;
    /** Bit 0 of a standard L2 entry (v3): the cluster reads as zeros. */
    static final long ZERO = 1L;
    /** Bits 9-55: host offset of an L2 table or a standard data cluster. */
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Reserved bits of an L1 entry: 0-8 and 56-62. */
    static final long L1_RESERVED = 0x7f00_0000_0000_01ffL;
    /** Reserved bits of a standard L2 entry: 1-8 and 56-61. */
    static final long L2_RESERVED = 0x3f00_0000_0000_01feL;
    /** Reserved bits of a refcount table entry: 0-8. */
    static final long REFTABLE_RESERVED = 0x1ffL;

    private Qcow2Entries() {
    }

    /** Bit position x where the compressed descriptor's sector count starts: 62 - (cluster_bits - 8). */
    static int compressedShift(int clusterBits) {
        return 62 - (clusterBits - 8);
    }

    /** Host byte offset where a compressed cluster's data starts. */
    static long compressedOffset(long entry, int clusterBits) {
        return entry & ((1L << compressedShift(clusterBits)) - 1);
    }

    /** 512-byte sectors holding a compressed cluster, counting the one containing its offset. */
    static long compressedSectors(long entry, int clusterBits) {
        int x = compressedShift(clusterBits);
        return ((entry & ~(COPIED | COMPRESSED)) >>> x) + 1;
    }

    /** A standard L2 entry with no host cluster and no zero flag, i.e. unallocated. */
    static boolean isUnallocated(long entry) {
        return (entry & ~COPIED) == 0 || ((entry & COMPRESSED) == 0 && (entry & OFFSET_MASK) == 0 && (entry & ZERO) == 0);
    }

    /** A standard entry that maps the cluster to host data (not compressed, not zero, not unallocated). */
    static boolean isStandardData(long entry) {
        return (entry & COMPRESSED) == 0 && (entry & ZERO) == 0 && (entry & OFFSET_MASK) != 0;
    }

    /** Fills the rest of {@code dst} with zeros. */
    static void fillZeros(java.nio.ByteBuffer dst) {
        while (dst.remaining() >= 8) {
            dst.putLong(0);
        }
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }
}
