package dev.jvisor.io.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk as a virtio-blk device sees it: a byte-addressed array of {@link #size()} bytes.
 *
 * <p><b>Threading.</b> {@link #read}, {@link #write}, {@link #discard}, {@link #writeZeroes} and
 * {@link #flush} may be called concurrently from several threads (one per virtqueue, say). Each call
 * is atomic with respect to the image's own metadata, so concurrent requests never corrupt the image;
 * the data seen by requests that overlap in range and time is unspecified, exactly as on real disks
 * (the guest orders overlapping requests itself). {@link #close} must not race with other calls.
 *
 * <p><b>Errors.</b> Every method reports failure with an {@link IOException} carrying a readable
 * message (a device maps it to {@code VIRTIO_BLK_S_IOERR}); guest-controlled offsets and lengths
 * that fall outside the disk give {@link DiskRangeException}, writes to a read-only image give
 * {@link ReadOnlyImageException}. No input makes these methods crash the host process.
 *
 * <p><b>Durability.</b> A completed {@link #write} may sit in the host page cache; only after
 * {@link #flush} returns is it on stable storage ({@code FileChannel.force(true)}, i.e. fsync).
 */
public interface DiskImage extends AutoCloseable {

    /** Virtual size in bytes (a multiple of 512 for images this package creates; not guaranteed for raw files). */
    long size();

    /** Whether writes, discards and zeroing are refused. */
    boolean readOnly();

    /** The on-disk format. */
    DiskFormat format();

    /**
     * A stable identifier for virtio-blk {@code VIRTIO_BLK_T_GET_ID}: the same file gives the same
     * string on every open (derived from the host file's device and inode numbers). At most
     * {@link #SERIAL_MAX_BYTES} ASCII bytes.
     */
    String serial();

    /** Maximum length of {@link #serial()}, virtio 1.2 section 5.2.6 ({@code VIRTIO_BLK_ID_BYTES}). */
    int SERIAL_MAX_BYTES = 20;

    /**
     * Reads exactly {@code dst.remaining()} bytes starting at {@code offset}; on return {@code dst}'s
     * position has advanced to its limit. Unallocated areas read as zeros (or from a backing image).
     *
     * @throws DiskRangeException if {@code [offset, offset + dst.remaining())} is not inside the disk
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Writes all of {@code src.remaining()} bytes at {@code offset}; {@code src}'s position advances
     * to its limit.
     *
     * @throws DiskRangeException if the range is not inside the disk
     * @throws ReadOnlyImageException if the image is read-only
     */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (fsync of the image file and of its metadata). */
    void flush() throws IOException;

    /** Whether {@link #discard} frees space (otherwise it is not offered: virtio-blk must not set DISCARD). */
    boolean supportsDiscard();

    /** Whether {@link #writeZeroes} is offered (virtio-blk WRITE_ZEROES). */
    boolean supportsWriteZeroes();

    /**
     * Preferred granularity of {@link #discard} and {@link #writeZeroes} in bytes (a power of two,
     * at least 512): the host cluster or block size. Smaller or unaligned requests still work.
     */
    int discardGranularity();

    /**
     * Tells the image that the guest no longer needs {@code [offset, offset+length)}. The contents of
     * the range afterwards are unspecified (zeros or older data), as with a TRIM on real disks.
     *
     * @throws UnsupportedOperationException if {@link #supportsDiscard()} is false
     */
    void discard(long offset, long length) throws IOException;

    /**
     * Makes {@code [offset, offset+length)} read as zeros. With {@code mayUnmap} the image may free
     * the space (virtio-blk's {@code VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP}).
     *
     * @throws UnsupportedOperationException if {@link #supportsWriteZeroes()} is false
     */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /** Writes back cached metadata, flushes, releases the file lock and closes the file. */
    @Override
    void close() throws IOException;

    /**
     * Checks that {@code [offset, offset+length)} lies inside a disk of {@code size} bytes; the common
     * guard for guest-controlled ranges.
     */
    static void checkRange(long offset, long length, long size) throws DiskRangeException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new DiskRangeException(offset, length, size);
        }
    }
}
