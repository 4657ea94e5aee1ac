package dev.jvisor.images;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Reads the files of a Debian binary package without dpkg.
 *
 * <p>Format from deb(5): an {@code ar} archive whose first member is {@code debian-binary} (the format
 * version, {@code 2.0}), then {@code control.tar[.ext]}, then {@code data.tar[.ext]} holding the
 * installed files. bookworm compresses with xz; gzip, bzip2 and no compression are also handled.
 * zstd is refused with a clear message (reading it needs native code).
 */
public final class DebPackage {
    private DebPackage() {
    }

    /** The type of a file in a package's data archive. */
    public enum Kind { FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER }

    /**
     * One file of the data archive.
     *
     * @param path       normalised: relative, no {@code ./} prefix, no trailing slash, e.g.
     *                   {@code boot/vmlinuz-6.1.0-56-cloud-amd64}
     * @param kind       what it is
     * @param size       the content size for files, 0 otherwise
     * @param mode       the permission bits
     * @param linkTarget the target of a symlink or hard link, empty otherwise
     */
    public record DataEntry(String path, Kind kind, long size, int mode, String linkTarget) {
    }

    /** Receives the files of a data archive in archive order. */
    @FunctionalInterface
    public interface DataVisitor {
        /**
         * Called once per entry; {@code content} reads a regular file's bytes (it may be left unread and
         * must not be closed or kept beyond the call).
         */
        void visit(DataEntry entry, InputStream content) throws IOException;
    }

    /**
     * Streams every entry of {@code deb}'s data archive to {@code visitor}.
     *
     * @throws ImageException naming the package when it is not a valid .deb or cannot be decompressed;
     *                        an {@link ImageException} thrown by the visitor is passed through
     */
    public static void readData(Path deb, DataVisitor visitor) throws ImageException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(deb), 1 << 16);
             ArArchiveInputStream ar = new ArArchiveInputStream(file)) {
            ArArchiveEntry first = ar.getNextEntry();
            if (first == null || !memberName(first).equals("debian-binary")) {
                throw new ImageException(deb.getFileName() + " is not a Debian package: its first ar member is "
                        + (first == null ? "missing" : "'" + memberName(first) + "'") + ", not debian-binary");
            }
            String format = new String(ar.readNBytes(16), StandardCharsets.US_ASCII).strip();
            if (!format.startsWith("2.")) {
                throw new ImageException(deb.getFileName() + " has unsupported package format '" + format + "'");
            }
            for (ArArchiveEntry member = ar.getNextEntry(); member != null; member = ar.getNextEntry()) {
                String name = memberName(member);
                if (name.startsWith("data.tar")) {
                    readTar(deb, name, ar, visitor);
                    return;
                }
            }
            throw new ImageException(deb.getFileName() + " has no data.tar member");
        } catch (ImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // commons-compress reports some malformed headers as IllegalArgumentException.
            throw new ImageException("cannot read package " + deb.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The content of the first regular file whose path is one of {@code paths} (e.g.
     * {@code bin/busybox} or, in a merged-/usr package, {@code usr/bin/busybox}).
     *
     * @throws ImageException when the package has none of them or it exceeds {@code maxBytes}
     */
    public static byte[] readFile(Path deb, List<String> paths, long maxBytes) throws ImageException {
        byte[][] found = new byte[1][];
        readData(deb, (entry, content) -> {
            if (found[0] == null && entry.kind() == Kind.FILE && paths.contains(entry.path())) {
                if (entry.size() > maxBytes) {
                    throw new ImageException(deb.getFileName() + ": " + entry.path() + " is larger than "
                            + maxBytes + " bytes");
                }
                found[0] = content.readNBytes((int) entry.size());
            }
        });
        if (found[0] == null) {
            throw new ImageException(deb.getFileName() + " contains none of " + String.join(", ", paths));
        }
        return found[0];
    }

    private static void readTar(Path deb, String member, InputStream ar, DataVisitor visitor) throws IOException {
        InputStream shielded = new KeepOpen(ar);
        try (InputStream decompressed = decompressor(deb, member, shielded);
             TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(decompressed, 1 << 16))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                String path = normalise(deb, entry.getName());
                if (path.isEmpty()) {
                    continue;
                }
                Kind kind = entry.isDirectory() ? Kind.DIRECTORY
                        : entry.isSymbolicLink() ? Kind.SYMLINK
                        : entry.isLink() ? Kind.HARDLINK
                        : entry.isFile() ? Kind.FILE
                        : Kind.OTHER;
                String link = kind == Kind.SYMLINK || kind == Kind.HARDLINK ? entry.getLinkName() : "";
                long size = kind == Kind.FILE ? entry.getSize() : 0;
                visitor.visit(new DataEntry(path, kind, size, entry.getMode() & 07777, link), tar);
            }
        }
    }

    private static InputStream decompressor(Path deb, String member, InputStream in) throws IOException {
        return switch (member) {
            case "data.tar" -> in;
            case "data.tar.xz" -> new XZInputStream(in);
            case "data.tar.gz" -> new GZIPInputStream(in, 1 << 16);
            case "data.tar.bz2" -> new BZip2CompressorInputStream(in);
            case "data.tar.zst" -> throw new ImageException(deb.getFileName()
                    + " uses zstd compression, which this reader does not support (Debian uses xz)");
            default -> throw new ImageException(deb.getFileName() + " has an unknown data member '" + member + "'");
        };
    }

    /** Lets the tar stream be closed without closing the ar stream it reads from. */
    private static final class KeepOpen extends FilterInputStream {
        KeepOpen(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // The ar archive is closed by its owner.
        }
    }

    /** GNU ar member names may end in '/'. */
    private static String memberName(ArArchiveEntry entry) {
        String name = entry.getName().strip();
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    /** {@code ./boot/x} → {@code boot/x}; parent references are refused. */
    static String normalise(Path deb, String name) throws ImageException {
        String path = name;
        while (path.startsWith("./") || path.startsWith("/")) {
            path = path.startsWith("./") ? path.substring(2) : path.substring(1);
        }
        if (path.equals(".")) {
            return "";
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new ImageException(deb.getFileName() + " contains a path leaving the package root: " + name);
            }
        }
        return path;
    }
}
