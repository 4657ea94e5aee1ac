package dev.jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Builds .deb files (deb(5)) with commons-compress, for round trips through {@link DebPackage}. */
final class TestDebs {
    private TestDebs() {
    }

    /** A .deb whose data.tar.{compression} holds {@code files} (path → content; a path ending in '/' is a dir). */
    static byte[] deb(Map<String, byte[]> files, String compression) throws IOException {
        byte[] control = tar(Map.of("./control", "Package: test\n".getBytes(StandardCharsets.UTF_8)));
        byte[] data = compress(tar(files), compression);
        ByteArrayOutputStream deb = new ByteArrayOutputStream();
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(deb)) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.gz", compress(control, "gz"));
            member(ar, compression.isEmpty() ? "data.tar" : "data.tar." + compression, data);
        }
        return deb.toByteArray();
    }

    /** An ar archive with the given members in order. */
    static byte[] ar(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
            for (Map.Entry<String, byte[]> member : members.entrySet()) {
                member(ar, member.getKey(), member.getValue());
            }
        }
        return out.toByteArray();
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] content) throws IOException {
        ar.putArchiveEntry(new ArArchiveEntry(name, content.length));
        ar.write(content);
        ar.closeArchiveEntry();
    }

    /** A tar archive in insertion order (use a LinkedHashMap or TreeMap). */
    static byte[] tar(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                String name = file.getKey();
                if (name.endsWith("/")) {
                    TarArchiveEntry dir = new TarArchiveEntry(name);
                    dir.setMode(040755);
                    tar.putArchiveEntry(dir);
                } else if (name.contains(" -> ")) {
                    String[] parts = name.split(" -> ");
                    TarArchiveEntry link = new TarArchiveEntry(parts[0], TarArchiveEntry.LF_SYMLINK);
                    link.setLinkName(parts[1]);
                    tar.putArchiveEntry(link);
                } else {
                    TarArchiveEntry entry = new TarArchiveEntry(name);
                    entry.setSize(file.getValue().length);
                    entry.setMode(0100644);
                    tar.putArchiveEntry(entry);
                    tar.write(file.getValue());
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] compress(byte[] data, String compression) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (compression) {
            case "xz" -> {
                try (OutputStream xz = new XZOutputStream(out, new LZMA2Options(1))) {
                    xz.write(data);
                }
            }
            case "gz" -> {
                try (OutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(data);
                }
            }
            case "" -> out.write(data);
            default -> throw new IllegalArgumentException(compression);
        }
        return out.toByteArray();
    }
}
