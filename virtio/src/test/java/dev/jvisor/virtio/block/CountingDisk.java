package dev.jvisor.virtio.block;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/** A real image with a count of the flushes that reached it. */
final class CountingDisk implements DiskImage {
    final DiskImage image;
    final AtomicInteger flushes = new AtomicInteger();

    CountingDisk(DiskImage image) {
        this.image = image;
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
        image.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        image.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        image.flush();
        flushes.incrementAndGet();
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
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
