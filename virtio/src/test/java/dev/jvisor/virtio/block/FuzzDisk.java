package dev.jvisor.virtio.block;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskRangeException;
import dev.jvisor.io.disk.ReadOnlyImageException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A disk in a byte array for the fuzz target. Besides doing what it is asked it records every call
 * the device should never have made: I/O outside the disk, a write to a read-only image, a discard
 * or write-zeroes the image does not offer. {@link #discard} zeroes, as a hole would read.
 */
final class FuzzDisk implements DiskImage {
    final byte[] content;
    private final boolean readOnly;
    private final boolean discard;
    private final boolean writeZeroes;
    private final String serial;
    final List<String> misuse = new ArrayList<>();

    FuzzDisk(byte[] content, boolean readOnly, boolean discard, boolean writeZeroes, String serial) {
        this.content = content;
        this.readOnly = readOnly;
        this.discard = discard;
        this.writeZeroes = writeZeroes;
        this.serial = serial;
    }

    @Override
    public long size() {
        return content.length;
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
        return serial;
    }

    private void check(String what, long offset, long length) throws DiskRangeException {
        if (offset < 0 || length < 0 || offset > content.length || length > content.length - offset) {
            misuse.add(what + " of " + length + " bytes at " + offset + " on a disk of " + content.length);
            throw new DiskRangeException(offset, length, content.length);
        }
    }

    private void checkWritable(String what) throws ReadOnlyImageException {
        if (readOnly) {
            misuse.add(what + " on a read-only image");
            throw new ReadOnlyImageException("fuzz disk");
        }
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws DiskRangeException {
        check("read", offset, dst.remaining());
        dst.put(content, (int) offset, dst.remaining());
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws DiskRangeException, ReadOnlyImageException {
        checkWritable("write");
        check("write", offset, src.remaining());
        src.get(content, (int) offset, src.remaining());
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean supportsDiscard() {
        return discard;
    }

    @Override
    public boolean supportsWriteZeroes() {
        return writeZeroes;
    }

    @Override
    public int discardGranularity() {
        return 4096;
    }

    @Override
    public synchronized void discard(long offset, long length) throws DiskRangeException, ReadOnlyImageException {
        if (!discard) {
            misuse.add("discard the image does not offer");
            throw new UnsupportedOperationException("no discard");
        }
        checkWritable("discard");
        check("discard", offset, length);
        java.util.Arrays.fill(content, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public synchronized void writeZeroes(long offset, long length, boolean mayUnmap)
            throws DiskRangeException, ReadOnlyImageException {
        if (!writeZeroes) {
            misuse.add("write-zeroes the image does not offer");
            throw new UnsupportedOperationException("no write-zeroes");
        }
        checkWritable("write-zeroes");
        check("write-zeroes", offset, length);
        java.util.Arrays.fill(content, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public void close() {
    }
}
