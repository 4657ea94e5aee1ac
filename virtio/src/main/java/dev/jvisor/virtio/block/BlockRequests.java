package dev.jvisor.virtio.block;

import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.queue.DescriptorChain;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out virtio-blk requests (virtio 1.2 section 5.2.6) against a {@link DiskImage}. A request
 * is one chain: a 16-byte device-readable header ({@code le32 type, le32 reserved, le64 sector}),
 * the data (device-readable for writes, device-writable for reads and GET_ID, device-readable
 * discard/write-zeroes segments), and a final device-writable status byte.
 *
 * <p>Data moves between the image and guest memory without an intermediate copy: each guest
 * buffer is handed to the image as a {@link ByteBuffer} view. A chain too short for a header and a
 * status byte is a driver error ({@link VirtqueueException}); anything else the driver can get
 * wrong (a range past the end, a length that is not whole sectors, an unknown type) is answered
 * with an error status, as the specification asks. Not thread-safe: the device's queue lock
 * serialises requests.
 */
final class BlockRequests {
    static final int SECTOR = 512;
    static final int HEADER = 16;
    /** VIRTIO_BLK_ID_BYTES (section 5.2.6). */
    static final int ID_BYTES = 20;
    /** Bytes of one discard / write-zeroes segment: le64 sector, le32 num_sectors, le32 flags. */
    static final int SEGMENT = 16;
    static final int FLAG_UNMAP = 1;

    // Request types (section 5.2.6).
    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int T_DISCARD = 11;
    static final int T_WRITE_ZEROES = 13;

    // Status values.
    static final int S_OK = 0;
    static final int S_IOERR = 1;
    static final int S_UNSUPP = 2;

    private static final Logger LOG = LoggerFactory.getLogger(BlockRequests.class);

    private final String name;
    private final DiskImage disk;
    private final boolean readOnly;
    private final long capacitySectors;
    private final int maxDiscardSectors;
    private final int maxSegments;
    private final byte[] header = new byte[HEADER];
    private final byte[] segment = new byte[SEGMENT];
    private final byte[] id = new byte[ID_BYTES];

    private boolean discardEnabled;
    private boolean writeZeroesEnabled;
    /** The request parsed by {@link #parse}. */
    private int type;
    private long sector;

    BlockRequests(String name, DiskImage disk, boolean readOnly, int maxDiscardSectors, int maxSegments) {
        this.name = name;
        this.disk = disk;
        this.readOnly = readOnly;
        this.capacitySectors = disk.size() / SECTOR;
        this.maxDiscardSectors = maxDiscardSectors;
        this.maxSegments = maxSegments;
        byte[] serial = disk.serial().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(serial, 0, id, 0, Math.min(serial.length, ID_BYTES));
    }

    long capacitySectors() {
        return capacitySectors;
    }

    /** Which optional commands the driver negotiated (section 5.2.3). */
    void setNegotiated(boolean discard, boolean writeZeroes) {
        this.discardEnabled = discard;
        this.writeZeroesEnabled = writeZeroes;
    }

    /**
     * Reads the request header of {@code chain}.
     *
     * @return the data bytes the request moves, for rate limiting
     * @throws VirtqueueException if the chain has no room for a header and a status byte
     */
    long parse(DescriptorChain chain) throws VirtqueueException {
        if (chain.readableLength() < HEADER || chain.writableLength() < 1) {
            throw new VirtqueueException(String.format(
                    "virtio-blk request (chain %d) needs a %d-byte readable header and a writable status byte, has %d readable and %d writable bytes",
                    chain.head(), HEADER, chain.readableLength(), chain.writableLength()));
        }
        chain.read(0, header, 0, HEADER);
        type = (int) LittleEndian.get(header, 0, 4);
        sector = LittleEndian.get(header, 8, 8);
        return switch (type) {
            case T_IN -> chain.writableLength() - 1;
            case T_OUT -> chain.readableLength() - HEADER;
            default -> 0;
        };
    }

    /**
     * Carries out the request {@link #parse} read, writes its status byte and returns the number
     * of bytes written into the chain (the used length).
     */
    long execute(DescriptorChain chain) {
        long statusAt = chain.writableLength() - 1;
        long written = 1;
        int status;
        try {
            status = switch (type) {
                case T_IN -> {
                    int result = read(chain, statusAt);
                    written += result == S_OK ? statusAt : 0;
                    yield result;
                }
                case T_OUT -> write(chain, chain.readableLength() - HEADER);
                case T_FLUSH -> {
                    disk.flush();
                    yield S_OK;
                }
                case T_GET_ID -> {
                    int n = (int) Math.min(ID_BYTES, statusAt);
                    chain.write(0, id, 0, n);
                    written += n;
                    yield S_OK;
                }
                case T_DISCARD -> discardEnabled ? zeroOrDiscard(chain, true) : S_UNSUPP;
                case T_WRITE_ZEROES -> writeZeroesEnabled ? zeroOrDiscard(chain, false) : S_UNSUPP;
                default -> S_UNSUPP;
            };
        } catch (IOException e) {
            LOG.warn("{}: request type {} at sector {} failed: {}", name, type, sector, e.getMessage());
            status = S_IOERR;
        }
        chain.writeByte(statusAt, status);
        return written;
    }

    /** Checks that {@code bytes} at the request's sector lie on the disk in whole sectors. */
    private boolean inRange(long bytes) {
        if (bytes % SECTOR != 0) {
            LOG.debug("{}: request of {} bytes is not whole sectors", name, bytes);
            return false;
        }
        long sectors = bytes / SECTOR;
        return Long.compareUnsigned(sector, capacitySectors) <= 0 && sectors <= capacitySectors - sector;
    }

    private int read(DescriptorChain chain, long length) throws IOException {
        if (!inRange(length)) {
            return S_IOERR;
        }
        GuestMemory memory = chain.memory();
        long offset = sector * SECTOR;
        long left = length;
        for (int i = chain.readableSegments(); i < chain.segmentCount() && left > 0; i++) {
            int n = (int) Math.min(chain.length(i), left);
            long address = chain.address(i);
            ByteBuffer view = memory.slice(address, n).asByteBuffer();
            disk.read(offset, view);
            memory.noteWrite(address, n);
            offset += n;
            left -= n;
        }
        return S_OK;
    }

    private int write(DescriptorChain chain, long length) throws IOException {
        if (readOnly) {
            return S_IOERR; // section 5.2.6.2: writes to a VIRTIO_BLK_F_RO device fail
        }
        if (!inRange(length)) {
            return S_IOERR;
        }
        GuestMemory memory = chain.memory();
        long offset = sector * SECTOR;
        long skip = HEADER; // the header may share its buffer with the data
        for (int i = 0; i < chain.readableSegments(); i++) {
            int len = chain.length(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            int n = (int) (len - skip);
            ByteBuffer view = memory.slice(chain.address(i) + skip, n).asByteBuffer();
            skip = 0;
            disk.write(offset, view);
            offset += n;
        }
        return S_OK;
    }

    /** Section 5.2.6.2: each segment is checked before any is carried out. */
    private int zeroOrDiscard(DescriptorChain chain, boolean discard) throws IOException {
        if (readOnly) {
            return S_IOERR;
        }
        long length = chain.readableLength() - HEADER;
        if (length == 0 || length % SEGMENT != 0 || length / SEGMENT > maxSegments) {
            return S_UNSUPP;
        }
        int segments = (int) (length / SEGMENT);
        for (int pass = 0; pass < 2; pass++) {
            for (int s = 0; s < segments; s++) {
                chain.read(HEADER + (long) s * SEGMENT, segment, 0, SEGMENT);
                long start = LittleEndian.get(segment, 0, 8);
                long count = LittleEndian.get(segment, 8, 4);
                int flags = (int) LittleEndian.get(segment, 12, 4);
                if (pass == 0) {
                    if ((flags & ~FLAG_UNMAP) != 0 || (discard && flags != 0)) {
                        return S_UNSUPP; // reserved flags, or unmap on a discard
                    }
                    if (count > maxDiscardSectors || Long.compareUnsigned(start, capacitySectors) > 0
                            || count > capacitySectors - start) {
                        return S_IOERR;
                    }
                } else if (discard) {
                    disk.discard(start * SECTOR, count * SECTOR);
                } else {
                    disk.writeZeroes(start * SECTOR, count * SECTOR, (flags & FLAG_UNMAP) != 0);
                }
            }
        }
        return S_OK;
    }
}
