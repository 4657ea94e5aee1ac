package dev.jvisor.images;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A strict newc reader for tests, written from buffer-format.rst independently of the writer: it
 * checks the magic, the 4-byte padding of names and data (requiring the pad bytes to be NUL) and
 * that every archive ends with TRAILER!!!. Concatenated archives are read one after another.
 */
final class TestCpio {
    record Entry(String name, long inode, int mode, int nlink, long mtime, int rdevMajor, int rdevMinor, byte[] data) {
        boolean isDirectory() {
            return (mode & 0170000) == 0040000;
        }

        boolean isFile() {
            return (mode & 0170000) == 0100000;
        }

        boolean isSymlink() {
            return (mode & 0170000) == 0120000;
        }

        boolean isCharDevice() {
            return (mode & 0170000) == 0020000;
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private TestCpio() {
    }

    /** Decompresses (possibly concatenated) gzip members and reads every archive. */
    static List<Entry> readGzip(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return read(in.readAllBytes());
        }
    }

    /** Reads concatenated uncompressed archives, trailers excluded from the result. */
    static List<Entry> read(byte[] archive) {
        List<Entry> entries = new ArrayList<>();
        int at = 0;
        boolean sawTrailer = false;
        while (at < archive.length) {
            if (archive[at] == 0) {
                at++;
                continue;
            }
            if (at % 4 != 0) {
                throw new IllegalStateException("header at unaligned offset " + at);
            }
            sawTrailer = false;
            String magic = new String(archive, at, 6, StandardCharsets.US_ASCII);
            if (!magic.equals("070701")) {
                throw new IllegalStateException("bad magic '" + magic + "' at " + at);
            }
            long[] fields = new long[13];
            for (int i = 0; i < 13; i++) {
                fields[i] = Long.parseLong(new String(archive, at + 6 + 8 * i, 8, StandardCharsets.US_ASCII), 16);
            }
            int nameSize = (int) fields[11];
            int nameStart = at + 110;
            if (archive[nameStart + nameSize - 1] != 0) {
                throw new IllegalStateException("name not NUL-terminated at " + at);
            }
            String name = new String(archive, nameStart, nameSize - 1, StandardCharsets.UTF_8);
            int dataStart = align(nameStart + nameSize);
            requireZeros(archive, nameStart + nameSize, dataStart);
            int size = (int) fields[6];
            byte[] data = Arrays.copyOfRange(archive, dataStart, dataStart + size);
            int next = align(dataStart + size);
            requireZeros(archive, dataStart + size, next);
            at = next;
            if (name.equals("TRAILER!!!")) {
                sawTrailer = true;
                continue;
            }
            entries.add(new Entry(name, fields[0], (int) fields[1], (int) fields[4], fields[5], (int) fields[9],
                    (int) fields[10], data));
        }
        if (!sawTrailer) {
            throw new IllegalStateException("the archive does not end with TRAILER!!!");
        }
        return entries;
    }

    private static int align(int offset) {
        return (offset + 3) & ~3;
    }

    private static void requireZeros(byte[] archive, int from, int to) {
        for (int i = from; i < to; i++) {
            if (archive[i] != 0) {
                throw new IllegalStateException("non-NUL padding at " + i);
            }
        }
    }

    static Entry find(List<Entry> entries, String name) {
        Entry found = null;
        for (Entry entry : entries) {
            if (entry.name().equals(name)) {
                found = entry;
            }
        }
        if (found == null) {
            throw new AssertionError("no entry " + name);
        }
        return found;
    }
}
