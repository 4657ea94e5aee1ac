package dev.jvisor.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" (SVR4, no CRC) format, the one the Linux initramfs unpacker
 * reads (Linux Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * <p>Each entry is a 110-byte ASCII header — the magic {@code 070701} then thirteen 8-digit hex
 * fields: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
 * namesize (including the NUL) and check (0) — then the NUL-terminated name padded with NULs to a
 * multiple of 4 bytes, then the data padded likewise. The archive ends with an entry named
 * {@code TRAILER!!!}. The kernel rejects an archive whose padding is off by a single byte, so the
 * writer tracks the absolute offset itself.
 *
 * <p>Not thread-safe. {@link #finish()} writes the trailer; the underlying stream is not closed.
 */
public final class CpioNewcWriter {
    static final String MAGIC = "070701";
    static final String TRAILER = "TRAILER!!!";
    static final int HEADER_SIZE = 110;
    /** Linux's PATH_MAX: the unpacker refuses longer names. */
    static final int MAX_NAME_BYTES = 4095;

    /** File type bits of {@code st_mode} (POSIX {@code <sys/stat.h>}). */
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;

    private final OutputStream out;
    private final long mtime;
    private final byte[] header = new byte[HEADER_SIZE];
    private long offset;
    private long nextInode = 1;
    private boolean finished;

    /**
     * @param out   where the archive goes
     * @param mtime the modification time written for every entry (fixed, so archives are reproducible)
     */
    public CpioNewcWriter(OutputStream out, long mtime) {
        this.out = out;
        this.mtime = mtime;
    }

    /** Writes a directory. */
    public void directory(String name, int permissions) throws IOException {
        entry(name, S_IFDIR | (permissions & 07777), 2, 0, 0, new byte[0]);
    }

    /** Writes a regular file with the given content. */
    public void file(String name, int permissions, byte[] content) throws IOException {
        entry(name, S_IFREG | (permissions & 07777), 1, 0, 0, content);
    }

    /** Writes a regular file whose {@code size} bytes are read from {@code content}. */
    public void file(String name, int permissions, long size, InputStream content) throws IOException {
        checkSize(name, size);
        writeHeader(name, S_IFREG | (permissions & 07777), 1, size, 0, 0);
        long copied = content.transferTo(new BoundedOutput(out, size, name));
        if (copied != size) {
            throw new IOException("cpio entry " + name + ": expected " + size + " bytes, got " + copied);
        }
        offset += size;
        pad();
    }

    /** Writes a symbolic link; its data is the target path (no NUL). */
    public void symlink(String name, String target) throws IOException {
        entry(name, S_IFLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes a character device node such as {@code dev/console} (5, 1). */
    public void characterDevice(String name, int permissions, int major, int minor) throws IOException {
        entry(name, S_IFCHR | (permissions & 07777), 1, major, minor, new byte[0]);
    }

    /** Writes the {@code TRAILER!!!} entry that ends the archive. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        writeHeaderFields(TRAILER, 0, 0, 1, 0, 0, 0);
        finished = true;
        out.flush();
    }

    /** Bytes written so far. */
    public long offset() {
        return offset;
    }

    private void entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data)
            throws IOException {
        checkSize(name, data.length);
        writeHeader(name, mode, nlink, data.length, rdevMajor, rdevMinor);
        out.write(data);
        offset += data.length;
        pad();
    }

    private void writeHeader(String name, int mode, int nlink, long size, int rdevMajor, int rdevMinor)
            throws IOException {
        if (finished) {
            throw new IllegalStateException("the cpio archive is already finished");
        }
        if (name.isEmpty() || name.equals(TRAILER) || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid cpio entry name '" + name + "'");
        }
        writeHeaderFields(name, nextInode++, mode, nlink, size, rdevMajor, rdevMinor);
    }

    private void writeHeaderFields(String name, long inode, int mode, int nlink, long size, int rdevMajor,
                                   int rdevMinor) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("cpio entry name longer than " + MAX_NAME_BYTES + " bytes: " + name);
        }
        System.arraycopy(MAGIC.getBytes(StandardCharsets.US_ASCII), 0, header, 0, 6);
        long[] fields = {inode, mode, 0, 0, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor, nameBytes.length + 1, 0};
        for (int i = 0; i < fields.length; i++) {
            putHex(header, 6 + 8 * i, fields[i]);
        }
        out.write(header);
        out.write(nameBytes);
        out.write(0);
        offset += HEADER_SIZE + nameBytes.length + 1;
        pad();
    }

    private static void putHex(byte[] target, int at, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("cpio header field out of range: " + value);
        }
        for (int i = 7; i >= 0; i--) {
            int digit = (int) (value & 0xF);
            target[at + i] = (byte) (digit < 10 ? '0' + digit : 'a' + digit - 10);
            value >>>= 4;
        }
    }

    private void pad() throws IOException {
        while ((offset & 3) != 0) {
            out.write(0);
            offset++;
        }
    }

    private static void checkSize(String name, long size) {
        if (size < 0 || size > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("cpio entry " + name + " is too large for the newc format: " + size);
        }
    }

    /** Passes bytes through, refusing more than the declared size so the header never lies. */
    private static final class BoundedOutput extends OutputStream {
        private final OutputStream out;
        private final String name;
        private long remaining;

        BoundedOutput(OutputStream out, long size, String name) {
            this.out = out;
            this.remaining = size;
            this.name = name;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > remaining) {
                throw new IOException("cpio entry " + name + ": more data than its declared size");
            }
            out.write(b, off, len);
            remaining -= len;
        }
    }
}
