package dev.jvisor.io.disk.qcow2;

import dev.jvisor.io.disk.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes the metadata of a new, empty qcow2 image: header (with extensions and backing file name),
 * refcount table, refcount blocks and an all-zero L1 table, in that order of clusters, with every one
 * of those clusters counted once. Version 3 with 16-bit refcounts unless asked otherwise, which QEMU
 * and every other qcow2 reader accept.
 */
public final class Qcow2Creator {
    /** 64 KiB clusters, QEMU's default. */
    public static final int DEFAULT_CLUSTER_BITS = 16;

    private Qcow2Creator() {
    }

    /**
     * Parameters of a new image.
     *
     * @param size virtual size in bytes (rounded up to 512)
     * @param version 2 or 3
     * @param clusterBits 9 to 21
     * @param backingFile backing file name to store, or null
     * @param backingFormat backing format to store ({@code raw}/{@code qcow2}), or null
     */
    public record Spec(long size, int version, int clusterBits, String backingFile, String backingFormat) {
        public Spec {
            if (size < 0) {
                throw new IllegalArgumentException("image size must not be negative: " + size);
            }
            if (version != 2 && version != 3) {
                throw new IllegalArgumentException("qcow2 version must be 2 or 3, got " + version);
            }
            if (clusterBits < Qcow2Header.MIN_CLUSTER_BITS || clusterBits > Qcow2Header.MAX_CLUSTER_BITS) {
                throw new IllegalArgumentException("cluster size must be 512 B to 2 MiB, got 2^" + clusterBits);
            }
            if (backingFile != null && backingFile.getBytes(StandardCharsets.UTF_8).length > Qcow2Header.MAX_BACKING_NAME) {
                throw new IllegalArgumentException("backing file name longer than 1023 bytes");
            }
            size = (size + 511) & ~511L;
        }

        /** A v3 image with 64 KiB clusters and no backing file. */
        public static Spec of(long size) {
            return new Spec(size, 3, DEFAULT_CLUSTER_BITS, null, null);
        }
    }

    /** Writes a new image into the empty {@code file} (which must be writable) and flushes it. */
    public static void create(StorageFile file, Spec spec) throws IOException {
        int cb = spec.clusterBits();
        int cs = 1 << cb;
        long l1Entries = Qcow2Header.l1EntriesFor(spec.size(), cb);
        if (l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new IllegalArgumentException("virtual size " + spec.size() + " needs an L1 table over 32 MiB with "
                    + cs + "-byte clusters; use larger clusters");
        }
        long l1Clusters = (l1Entries * 8 + cs - 1) >>> cb;
        long perBlock = RefBlock.entries(cs, 4);
        // Header, refcount table, refcount blocks and L1 table must all be counted by the blocks
        // themselves: iterate to the fixed point.
        long tableClusters = 1, blocks = 1;
        while (true) {
            long total = 1 + tableClusters + blocks + l1Clusters;
            long needBlocks = (total + perBlock - 1) / perBlock;
            long needTable = Math.max(1, (needBlocks * 8 + cs - 1) >>> cb);
            if (needBlocks == blocks && needTable == tableClusters) {
                break;
            }
            blocks = needBlocks;
            tableClusters = needTable;
        }
        if ((tableClusters << cb) > Qcow2Header.MAX_REFTABLE_BYTES) {
            throw new IllegalArgumentException("image metadata too large for " + cs + "-byte clusters");
        }
        long tableOffset = (long) cs;
        long blocksOffset = tableOffset + (tableClusters << cb);
        long l1Offset = blocksOffset + (blocks << cb);
        long total = 1 + tableClusters + blocks + l1Clusters;

        ByteBuffer head = ByteBuffer.allocate(cs).order(ByteOrder.BIG_ENDIAN);
        int headerLength = spec.version() == 3 ? Qcow2Header.V3_MIN_HEADER_LENGTH : Qcow2Header.V2_HEADER_LENGTH;
        head.putInt(0, Qcow2Header.MAGIC).putInt(4, spec.version());
        head.putInt(20, cb).putLong(24, spec.size());
        head.putInt(36, (int) l1Entries).putLong(40, l1Entries == 0 ? 0 : l1Offset);
        head.putLong(48, tableOffset).putInt(56, (int) tableClusters);
        if (spec.version() == 3) {
            head.putInt(96, 4).putInt(100, headerLength);
        }
        int pos = headerLength;
        if (spec.backingFormat() != null) {
            byte[] fmt = spec.backingFormat().getBytes(StandardCharsets.UTF_8);
            head.putInt(pos, Qcow2Header.EXT_BACKING_FORMAT).putInt(pos + 4, fmt.length);
            head.put(pos + 8, fmt);
            pos += 8 + ((fmt.length + 7) & ~7);
        }
        pos += 8; // end-of-extensions marker (type 0, length 0)
        if (spec.backingFile() != null) {
            byte[] name = spec.backingFile().getBytes(StandardCharsets.UTF_8);
            if (pos + name.length > cs) {
                throw new IllegalArgumentException("backing file name does not fit in the header cluster");
            }
            head.putLong(8, pos).putInt(16, name.length);
            head.put(pos, name);
        }

        RefBlock[] rbs = new RefBlock[(int) blocks];
        for (int b = 0; b < blocks; b++) {
            rbs[b] = new RefBlock(blocksOffset + ((long) b << cb), new byte[cs], 4);
        }
        for (long c = 0; c < total; c++) {
            rbs[(int) (c / perBlock)].set((int) (c % perBlock), 1);
        }
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters << cb)).order(ByteOrder.BIG_ENDIAN);
        for (int b = 0; b < blocks; b++) {
            table.putLong(8 * b, rbs[b].offset);
        }

        // Everything but the header first, then the header: a half-written image has no valid magic.
        if (l1Clusters > 0) {
            file.write(l1Offset, ByteBuffer.allocate((int) (l1Clusters << cb)));
        }
        for (RefBlock rb : rbs) {
            file.write(rb.offset, ByteBuffer.wrap(rb.data));
        }
        file.write(tableOffset, table);
        file.force();
        file.write(0, head);
        file.force();
    }
}
