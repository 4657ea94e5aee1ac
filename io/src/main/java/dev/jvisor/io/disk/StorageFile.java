package dev.jvisor.io.disk;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The bytes underneath an image: a locked host file ({@link HostFile}) or, for tests and fuzzing, a
 * buffer in memory. Positional and thread-safe like {@link java.nio.channels.FileChannel}.
 */
public interface StorageFile extends AutoCloseable {

    /** A name for messages (the path). */
    String name();

    /** Current length in bytes. */
    long size() throws IOException;

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code position}.
     *
     * @return bytes read, or -1 if {@code position} is at or past the end
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code position}, growing the file if needed. */
    void write(long position, ByteBuffer src) throws IOException;

    /** Makes all writes durable (fsync). */
    void force() throws IOException;

    /**
     * Deallocates {@code [offset, offset+length)} so it reads as zeros, keeping the file size.
     *
     * @return false if the host cannot (then nothing changed and the caller writes zeros itself)
     */
    boolean punchHole(long offset, long length) throws IOException;

    /** Whether writes are allowed. */
    boolean writable();

    /** A stable identifier of the underlying file (see {@link DiskImage#serial()}). */
    String serial();

    @Override
    void close() throws IOException;

    /** Reads exactly {@code dst.remaining()} bytes or throws {@link EOFException} naming the file. */
    default void readFully(long position, ByteBuffer dst) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(pos, dst);
            if (n < 0) {
                throw new EOFException(String.format("%s: read of %d bytes at offset %d runs past the end of the file",
                        name(), dst.remaining(), pos));
            }
            pos += n;
        }
    }

    /** Reads {@code dst.remaining()} bytes, filling any part past the end of the file with zeros. */
    default void readZeroFilled(long position, ByteBuffer dst) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(pos, dst);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }
}
