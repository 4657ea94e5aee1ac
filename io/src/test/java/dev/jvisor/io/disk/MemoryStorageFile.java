package dev.jvisor.io.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** A {@link StorageFile} in memory, for tests and fuzzing; records flushes and can refuse writes. */
public final class MemoryStorageFile implements StorageFile {
    private byte[] data;
    private int length;
    private final boolean writable;
    public int forces;

    public MemoryStorageFile(byte[] contents, boolean writable) {
        this.data = contents.clone();
        this.length = contents.length;
        this.writable = writable;
    }

    public MemoryStorageFile() {
        this(new byte[0], true);
    }

    public synchronized byte[] contents() {
        return Arrays.copyOf(data, length);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public synchronized long size() {
        return length;
    }

    @Override
    public synchronized int read(long position, ByteBuffer dst) {
        if (position >= length) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), length - position);
        dst.put(data, (int) position, n);
        return n;
    }

    @Override
    public synchronized void write(long position, ByteBuffer src) throws IOException {
        if (!writable) {
            throw new ReadOnlyImageException("memory");
        }
        long end = position + src.remaining();
        if (end > Integer.MAX_VALUE - 8) {
            throw new IOException("memory file too large");
        }
        if (end > data.length) {
            data = Arrays.copyOf(data, (int) Math.max(end, Math.min(Integer.MAX_VALUE - 8, data.length * 2L)));
        }
        int n = src.remaining();
        src.get(data, (int) position, n);
        length = (int) Math.max(length, end);
    }

    @Override
    public synchronized void force() {
        forces++;
    }

    @Override
    public synchronized boolean punchHole(long offset, long len) {
        int from = (int) Math.min(offset, length);
        int to = (int) Math.min(offset + len, length);
        Arrays.fill(data, from, to, (byte) 0);
        return true;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public String serial() {
        return "jvmemory";
    }

    @Override
    public void close() {
    }
}
