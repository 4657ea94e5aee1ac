package dev.jvisor.io.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A raw image: disk byte {@code n} is file byte {@code n}. The virtual size is the file's size when
 * opened (it does not grow).
 *
 * <p>Discard and write-zeroes punch holes ({@code fallocate(PUNCH_HOLE | KEEP_SIZE)}), so a sparse file
 * stays sparse and the range reads as zeros afterwards; where the host file system cannot punch
 * holes, they write zeros instead (same contents, no space freed). Thread-safe: every operation is a
 * positional channel call.
 */
public final class RawImage implements DiskImage {
    private static final int ZERO_CHUNK = 64 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();

    private final StorageFile file;
    private final long size;
    private final boolean readOnly;

    /** Wraps an already-open file; the image owns it from now on. */
    public RawImage(StorageFile file) throws IOException {
        this.file = file;
        this.size = file.size();
        this.readOnly = !file.writable();
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
        return DiskFormat.RAW;
    }

    @Override
    public String serial() {
        return file.serial();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        DiskImage.checkRange(offset, dst.remaining(), size);
        // Zero-filled: if someone truncated the file under us, the tail reads as zeros, not an error.
        file.readZeroFilled(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkWritable();
        DiskImage.checkRange(offset, src.remaining(), size);
        file.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) {
            file.force();
        }
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
        return 4096; // the page and usual file-system block size: the unit fallocate frees whole
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writeZeroes(offset, length, true);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        checkWritable();
        DiskImage.checkRange(offset, length, size);
        // A punched hole reads as zeros (fallocate(2)), so it serves both requests; without
        // mayUnmap the guest asked to keep the space allocated, so zeros are written for real.
        if (mayUnmap && file.punchHole(offset, length)) {
            return;
        }
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(ZERO_CHUNK, end - pos);
            file.write(pos, ZEROS.duplicate().limit(n));
            pos += n;
        }
    }

    private void checkWritable() throws ReadOnlyImageException {
        if (readOnly) {
            throw new ReadOnlyImageException(file.name());
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    @Override
    public String toString() {
        return "raw image " + file.name();
    }
}
