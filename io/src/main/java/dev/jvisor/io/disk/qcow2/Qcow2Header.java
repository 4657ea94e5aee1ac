package dev.jvisor.io.disk.qcow2;

import dev.jvisor.io.disk.InvalidImageException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed and validated qcow2 header with its header extensions (QEMU docs/interop/qcow2.txt,
 * sections "Header" and "Header extensions"). All numbers in the file are big-endian.
 *
 * <p>{@link #parse} checks everything a later table access relies on: magic and version, cluster
 * size, that every table offset is cluster-aligned and every table lies inside the file, table sizes
 * within QEMU's implementation limits (so a hostile header cannot make us allocate gigabytes), the
 * virtual size against the L1 table, and the extension area. Incompatible feature bits jvisor does not
 * implement are refused with their names.
 */
public record Qcow2Header(
        int version,
        int clusterBits,
        long size,
        int cryptMethod,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        int nbSnapshots,
        long snapshotsOffset,
        long incompatibleFeatures,
        long compatibleFeatures,
        long autoclearFeatures,
        int refcountOrder,
        int headerLength,
        int compressionType,
        String backingFile,
        String backingFormat,
        long bitmapDirectoryOffset,
        long bitmapDirectorySize,
        int bitmapCount,
        Map<String, String> featureNames) {

    /** "QFI\xfb". */
    public static final int MAGIC = 0x514649fb;
    public static final int MIN_CLUSTER_BITS = 9;
    /** QEMU's implementation limit (2 MiB clusters). */
    public static final int MAX_CLUSTER_BITS = 21;
    /** QEMU's implementation limits: L1 table at most 32 MiB, refcount table at most 8 MiB. */
    public static final long MAX_L1_BYTES = 32L << 20, MAX_REFTABLE_BYTES = 8L << 20;
    public static final int MAX_BACKING_NAME = 1023;
    public static final int MAX_SNAPSHOTS = 65536;
    public static final int V2_HEADER_LENGTH = 72, V3_MIN_HEADER_LENGTH = 104;

    /** Incompatible feature bits (qcow2.txt, header bytes 72-79). */
    public static final long INCOMPAT_DIRTY = 1, INCOMPAT_CORRUPT = 2, INCOMPAT_DATA_FILE = 4,
            INCOMPAT_COMPRESSION = 8, INCOMPAT_EXTL2 = 16;
    /** Compatible feature bit 0: lazy refcounts. */
    public static final long COMPAT_LAZY_REFCOUNTS = 1;
    /** Autoclear bit 0: bitmaps extension is consistent. */
    public static final long AUTOCLEAR_BITMAPS = 1;

    static final int EXT_END = 0, EXT_BACKING_FORMAT = 0xe2792aca, EXT_FEATURE_TABLE = 0x6803f857,
            EXT_BITMAPS = 0x23852875, EXT_CRYPTO = 0x0537be77, EXT_DATA_FILE = 0x44415441;

    /** Header field offsets used when jvisor rewrites single fields. */
    static final int OFF_REFCOUNT_TABLE = 48, OFF_INCOMPATIBLE = 72, OFF_AUTOCLEAR = 88;

    public int clusterSize() {
        return 1 << clusterBits;
    }

    /** Refcount width in bits (1 to 64). */
    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** Entries per L2 table (one cluster of 8-byte entries). */
    public int l2Entries() {
        return clusterSize() / 8;
    }

    public boolean dirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    public boolean corrupt() {
        return (incompatibleFeatures & INCOMPAT_CORRUPT) != 0;
    }

    /** Bytes of guest disk covered by one L1 entry. */
    public long bytesPerL1Entry() {
        return (long) l2Entries() << clusterBits;
    }

    /** L1 entries needed for {@code size} bytes with clusters of {@code 1 << clusterBits}. */
    public static long l1EntriesFor(long size, int clusterBits) {
        long perEntry = (1L << (clusterBits - 3)) << clusterBits;
        return size == 0 ? 0 : (size - 1) / perEntry + 1;
    }

    /**
     * Parses the header from the first bytes of the file.
     *
     * @param head the file's first cluster (or as much of it as exists), any position/order
     * @param fileSize the image file's length, to check that tables lie inside it
     * @throws InvalidImageException naming the first problem found
     */
    public static Qcow2Header parse(ByteBuffer head, long fileSize) throws InvalidImageException {
        ByteBuffer b = head.duplicate().order(ByteOrder.BIG_ENDIAN);
        b.position(0);
        if (b.limit() < V2_HEADER_LENGTH) {
            throw new InvalidImageException("not a qcow2 image: file shorter than the 72-byte header");
        }
        if (b.getInt(0) != MAGIC) {
            throw new InvalidImageException("not a qcow2 image: bad magic");
        }
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw new InvalidImageException("unsupported qcow2 version " + Integer.toUnsignedString(version) + " (2 and 3 are supported)");
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        int clusterBits = b.getInt(20);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw new InvalidImageException("bad qcow2 cluster_bits " + Integer.toUnsignedString(clusterBits) + " (must be 9 to 21)");
        }
        int clusterSize = 1 << clusterBits;
        long size = b.getLong(24);
        int crypt = b.getInt(32);
        int l1Size = b.getInt(36);
        long l1Offset = b.getLong(40);
        long rtOffset = b.getLong(48);
        int rtClusters = b.getInt(56);
        int nbSnapshots = b.getInt(60);
        long snapOffset = b.getLong(64);

        long incompatible = 0, compatible = 0, autoclear = 0;
        int refcountOrder = 4, headerLength = V2_HEADER_LENGTH, compressionType = 0;
        if (version == 3) {
            if (b.limit() < V3_MIN_HEADER_LENGTH) {
                throw new InvalidImageException("qcow2 v3 header truncated (file shorter than 104 bytes)");
            }
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < V3_MIN_HEADER_LENGTH || headerLength % 8 != 0 || headerLength > clusterSize) {
                throw new InvalidImageException("bad qcow2 header_length " + Integer.toUnsignedString(headerLength)
                        + " (must be a multiple of 8, at least 104 and within the first cluster)");
            }
            if (headerLength > 104) {
                if (b.limit() < 105) {
                    throw new InvalidImageException("qcow2 header truncated");
                }
                compressionType = b.get(104) & 0xff;
            }
            if (refcountOrder < 0 || refcountOrder > 6) {
                throw new InvalidImageException("bad qcow2 refcount_order " + Integer.toUnsignedString(refcountOrder) + " (must be 0 to 6)");
            }
        }
        if (crypt != 0) {
            throw new InvalidImageException("encrypted qcow2 images are not supported (crypt_method "
                    + (crypt == 1 ? "AES" : crypt == 2 ? "LUKS" : Integer.toUnsignedString(crypt)) + ")");
        }
        if (size < 0) {
            throw new InvalidImageException("bad qcow2 virtual size " + Long.toUnsignedString(size));
        }
        if (l1Size < 0 || (long) l1Size * 8 > MAX_L1_BYTES) {
            throw new InvalidImageException("qcow2 L1 table too large (" + Integer.toUnsignedString(l1Size) + " entries, limit 4 Mi)");
        }
        if (l1EntriesFor(size, clusterBits) > l1Size) {
            throw new InvalidImageException("qcow2 L1 table (" + l1Size + " entries) too small for the virtual size " + size);
        }
        checkTable("L1 table", l1Offset, (long) l1Size * 8, clusterSize, fileSize, l1Size > 0);
        if (rtClusters <= 0 || ((long) rtClusters << clusterBits) > MAX_REFTABLE_BYTES) {
            throw new InvalidImageException("bad qcow2 refcount table size (" + Integer.toUnsignedString(rtClusters) + " clusters)");
        }
        checkTable("refcount table", rtOffset, (long) rtClusters << clusterBits, clusterSize, fileSize, true);
        if (nbSnapshots < 0 || nbSnapshots > MAX_SNAPSHOTS) {
            throw new InvalidImageException("too many qcow2 snapshots (" + Integer.toUnsignedString(nbSnapshots) + ")");
        }
        // Each snapshot table entry is at least 40 bytes.
        checkTable("snapshot table", snapOffset, (long) nbSnapshots * 40, clusterSize, fileSize, nbSnapshots > 0);

        String backingFile = null;
        if (backingOffset != 0) {
            if (backingSize < 0 || backingSize > MAX_BACKING_NAME) {
                throw new InvalidImageException("qcow2 backing file name too long (" + Integer.toUnsignedString(backingSize) + " bytes, limit 1023)");
            }
            if (backingOffset < 0 || backingOffset + backingSize > clusterSize || backingOffset + backingSize > b.limit()) {
                throw new InvalidImageException("qcow2 backing file name lies outside the first cluster");
            }
            byte[] name = new byte[backingSize];
            b.get((int) backingOffset, name);
            backingFile = new String(name, StandardCharsets.UTF_8);
            if (backingFile.isEmpty() || backingFile.indexOf('\0') >= 0) {
                throw new InvalidImageException("qcow2 backing file name is empty or contains NUL");
            }
        }

        Extensions ext = parseExtensions(b, headerLength, clusterSize, backingOffset, fileSize);
        Qcow2Header h = new Qcow2Header(version, clusterBits, size, crypt, l1Size, l1Offset, rtOffset, rtClusters,
                nbSnapshots, snapOffset, incompatible, compatible, autoclear, refcountOrder, headerLength,
                compressionType, backingFile, ext.backingFormat, ext.bitmapDirOffset, ext.bitmapDirSize,
                ext.bitmapCount, Map.copyOf(ext.featureNames));
        h.checkIncompatibleFeatures();
        if (ext.bitmapCount > 0) {
            checkTable("bitmap directory", ext.bitmapDirOffset, ext.bitmapDirSize, clusterSize, fileSize, true);
        }
        return h;
    }

    private static void checkTable(String what, long offset, long length, int clusterSize, long fileSize, boolean present)
            throws InvalidImageException {
        if (!present) {
            return;
        }
        if (offset <= 0 || offset % clusterSize != 0) {
            throw new InvalidImageException(String.format("qcow2 %s offset 0x%x is not a non-zero multiple of the cluster size", what, offset));
        }
        if (length < 0 || offset > fileSize || length > fileSize - offset) {
            throw new InvalidImageException(String.format("qcow2 %s (0x%x + %d bytes) lies past the end of the file (%d bytes)",
                    what, offset, length, fileSize));
        }
    }

    private static final class Extensions {
        String backingFormat;
        long bitmapDirOffset;
        long bitmapDirSize;
        int bitmapCount;
        final Map<String, String> featureNames = new LinkedHashMap<>();
    }

    private static Extensions parseExtensions(ByteBuffer b, int headerLength, int clusterSize, long backingOffset, long fileSize)
            throws InvalidImageException {
        Extensions ext = new Extensions();
        // Extensions sit between the header and the backing file name (or the end of cluster 0).
        long end = Math.min(Math.min(clusterSize, b.limit()), fileSize);
        if (backingOffset > 0) {
            end = Math.min(end, backingOffset);
        }
        long pos = headerLength;
        List<Integer> seen = new ArrayList<>();
        while (pos + 8 <= end) {
            int type = b.getInt((int) pos);
            long len = b.getInt((int) pos + 4) & 0xffff_ffffL;
            if (type == EXT_END) {
                return ext;
            }
            long dataStart = pos + 8;
            if (len > end - dataStart) {
                throw new InvalidImageException(String.format("qcow2 header extension 0x%08x (%d bytes) overruns the header cluster", type, len));
            }
            if (type != EXT_FEATURE_TABLE && seen.contains(type)) {
                throw new InvalidImageException(String.format("qcow2 header extension 0x%08x appears twice", type));
            }
            seen.add(type);
            int d = (int) dataStart;
            switch (type) {
                case EXT_BACKING_FORMAT -> {
                    if (len > MAX_BACKING_NAME) {
                        throw new InvalidImageException("qcow2 backing format name too long");
                    }
                    byte[] s = new byte[(int) len];
                    b.get(d, s);
                    ext.backingFormat = new String(s, StandardCharsets.UTF_8);
                }
                case EXT_FEATURE_TABLE -> {
                    if (len % 48 != 0) {
                        throw new InvalidImageException("qcow2 feature name table length " + len + " is not a multiple of 48");
                    }
                    for (int e = 0; e < len / 48; e++) {
                        int at = d + e * 48;
                        int kind = b.get(at) & 0xff;
                        int bit = b.get(at + 1) & 0xff;
                        byte[] raw = new byte[46];
                        b.get(at + 2, raw);
                        int n = 0;
                        while (n < raw.length && raw[n] != 0) {
                            n++;
                        }
                        ext.featureNames.put(kind + ":" + bit, new String(raw, 0, n, StandardCharsets.UTF_8));
                    }
                }
                case EXT_BITMAPS -> {
                    if (len < 24) {
                        throw new InvalidImageException("qcow2 bitmaps extension too short (" + len + " bytes)");
                    }
                    long count = b.getInt(d) & 0xffff_ffffL;
                    ext.bitmapDirSize = b.getLong(d + 8);
                    ext.bitmapDirOffset = b.getLong(d + 16);
                    if (count == 0 || count > 65535 || ext.bitmapDirSize <= 0 || ext.bitmapDirSize > (64L << 20)) {
                        throw new InvalidImageException("bad qcow2 bitmaps extension (" + count + " bitmaps, directory of "
                                + ext.bitmapDirSize + " bytes)");
                    }
                    ext.bitmapCount = (int) count;
                }
                case EXT_CRYPTO -> throw new InvalidImageException("encrypted qcow2 images are not supported");
                default -> {
                    // Unknown extensions may be ignored (qcow2.txt "Header extensions").
                }
            }
            pos = dataStart + ((len + 7) & ~7L);
        }
        return ext;
    }

    /** Refuses incompatible features jvisor does not implement; dirty and corrupt are policy, see the image. */
    private void checkIncompatibleFeatures() throws InvalidImageException {
        long unsupported = incompatibleFeatures & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT);
        if (compressionType != 0 && (incompatibleFeatures & INCOMPAT_COMPRESSION) == 0) {
            throw new InvalidImageException("qcow2 compression_type " + compressionType + " set without the compression type feature bit");
        }
        if (unsupported == 0) {
            return;
        }
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((unsupported & (1L << bit)) != 0) {
                names.add(incompatibleFeatureName(bit));
            }
        }
        throw new InvalidImageException("qcow2 image uses unsupported incompatible features: " + String.join(", ", names));
    }

    private String incompatibleFeatureName(int bit) {
        return switch (bit) {
            case 2 -> "external data file";
            case 3 -> "compression type " + (compressionType == 1 ? "zstd" : String.valueOf(compressionType));
            case 4 -> "extended L2 entries";
            default -> {
                String named = featureNames.get("0:" + bit);
                yield named != null && !named.isEmpty() ? named + " (bit " + bit + ")" : "unknown feature bit " + bit;
            }
        };
    }

    /**
     * Refuses a writable open of images whose state jvisor may not write: dirty (lazy refcounts
     * left inconsistent), corrupt, or with internal snapshots. Read-only opens are always allowed.
     */
    void checkWritable(String name) throws InvalidImageException {
        Qcow2Header h = this;
        if (h.dirty()) {
            throw new InvalidImageException("qcow2 image " + name + " has the dirty bit set (lazy refcounts, not closed cleanly): "
                    + "repair it with 'qemu-img check -r all' or open it read-only");
        }
        if (h.corrupt()) {
            throw new InvalidImageException("qcow2 image " + name + " is marked corrupt: repair it with 'qemu-img check -r all' "
                    + "or open it read-only");
        }
        if (h.nbSnapshots() > 0) {
            throw new InvalidImageException("qcow2 image " + name + " has " + h.nbSnapshots() + " internal snapshot(s), "
                    + "which jvisor opens read-only only (delete them with 'qemu-img snapshot -d' to write)");
        }
    }

    /** Reads and validates the header at the start of {@code file}. */
    public static Qcow2Header read(dev.jvisor.io.disk.StorageFile file) throws java.io.IOException {
        long fileSize = file.size();
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(fileSize, 1L << MAX_CLUSTER_BITS));
        file.readFully(0, head);
        head.flip();
        return parse(head, fileSize);
    }
}
