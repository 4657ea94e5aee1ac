package dev.jvisor.vmm;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link DiskImage} that counts what passes through it (completed reads and writes, their bytes,
 * flushes), for per-VM I/O metrics. Every other call goes straight to the wrapped image; closing it
 * does not close the wrapped image (the {@link VirtioDevices} that opened the image closes it).
 *
 * <p>Counters are {@link LongAdder}s: increments from several virtqueue threads do not contend and
 * do not allocate.
 */
public final class CountingDiskImage implements DiskImage {
    private final DiskImage image;
    private final LongAdder readOps = new LongAdder();
    private final LongAdder readBytes = new LongAdder();
    private final LongAdder writeOps = new LongAdder();
    private final LongAdder writeBytes = new LongAdder();
    private final LongAdder flushes = new LongAdder();

    /** Counts the traffic of {@code image}. */
    public CountingDiskImage(DiskImage image) {
        this.image = image;
    }

    /** A snapshot of the counters. */
    public record Counts(long readOps, long readBytes, long writeOps, long writeBytes, long flushes) {
    }

    /** The counters so far. */
    public Counts counts() {
        return new Counts(readOps.sum(), readBytes.sum(), writeOps.sum(), writeBytes.sum(), flushes.sum());
    }

    @Override
    public long size() {
        return image.size();
    }

    @Override
    public boolean readOnly() {
        return image.readOnly();
    }

    @Override
    public DiskFormat format() {
        return image.format();
    }

    @Override
    public String serial() {
        return image.serial();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int n = dst.remaining();
        image.read(offset, dst);
        readOps.increment();
        readBytes.add(n);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        int n = src.remaining();
        image.write(offset, src);
        writeOps.increment();
        writeBytes.add(n);
    }

    @Override
    public void flush() throws IOException {
        image.flush();
        flushes.increment();
    }

    @Override
    public boolean supportsDiscard() {
        return image.supportsDiscard();
    }

    @Override
    public boolean supportsWriteZeroes() {
        return image.supportsWriteZeroes();
    }

    @Override
    public int discardGranularity() {
        return image.discardGranularity();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        image.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        image.writeZeroes(offset, length, mayUnmap);
        writeOps.increment();
    }

    /** Does nothing: the wrapped image belongs to whoever opened it. */
    @Override
    public void close() {
    }
}
