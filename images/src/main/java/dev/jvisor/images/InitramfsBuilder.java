package dev.jvisor.images;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Collects files, directories, symlinks and device nodes and writes them as a gzip-compressed newc
 * cpio archive that Linux unpacks into its initial root file system (the initramfs).
 *
 * <p>Paths are absolute guest paths ({@code /bin/busybox}); missing parent directories are added
 * with mode 0755. Entries are written sorted by path, so every directory precedes its contents, as
 * the kernel's unpacker needs (it creates each entry as it reads it). Adding a path again replaces
 * the earlier entry of the same kind. Not thread-safe.
 *
 * <p>Several such archives may be concatenated into one initrd; the kernel unpacks them in order,
 * later files overwriting earlier ones (buffer-format.rst) — {@link DefaultImage#withExtraFiles} relies
 * on that.
 */
public final class InitramfsBuilder {
    /** The kind and content of one archive entry. */
    public sealed interface Node permits Directory, RegularFile, Symlink, CharacterDevice {
    }

    /** A directory. */
    public record Directory(int permissions) implements Node {
    }

    /** A regular file whose bytes are in memory. */
    public record RegularFile(int permissions, byte[] content) implements Node {
    }

    /** A symbolic link. */
    public record Symlink(String target) implements Node {
    }

    /** A character device node. */
    public record CharacterDevice(int permissions, int major, int minor) implements Node {
    }

    private final Map<String, Node> entries = new TreeMap<>();

    /** Adds a directory (and its parents). */
    public InitramfsBuilder directory(String path, int permissions) {
        put(path, new Directory(permissions & 07777));
        return this;
    }

    /** Adds a regular file (and its parent directories). */
    public InitramfsBuilder file(String path, byte[] content, int permissions) {
        put(path, new RegularFile(permissions & 07777, content.clone()));
        return this;
    }

    /** Adds a text file, UTF-8 encoded. */
    public InitramfsBuilder textFile(String path, String content, int permissions) {
        return file(path, content.getBytes(StandardCharsets.UTF_8), permissions);
    }

    /** Adds a copy of a host file. */
    public InitramfsBuilder file(String path, Path source, int permissions) throws IOException {
        return file(path, Files.readAllBytes(source), permissions);
    }

    /** Adds a symbolic link pointing at {@code target} (absolute or relative, not checked). */
    public InitramfsBuilder symlink(String path, String target) {
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid symlink target '" + target + "' for " + path);
        }
        put(path, new Symlink(target));
        return this;
    }

    /** Adds a character device node, such as {@code /dev/console} (5, 1). */
    public InitramfsBuilder characterDevice(String path, int permissions, int major, int minor) {
        if (major < 0 || minor < 0 || major > 0xFFF || minor > 0xFFFFF) {
            throw new IllegalArgumentException("device number " + major + ":" + minor + " out of range for " + path);
        }
        put(path, new CharacterDevice(permissions & 07777, major, minor));
        return this;
    }

    /** The entry at {@code path}, or null. */
    public Node get(String path) {
        return entries.get(normalise(path));
    }

    /** The archive paths (no leading slash), in the order they will be written. */
    public List<String> paths() {
        return List.copyOf(entries.keySet());
    }

    private void put(String path, Node node) {
        String name = normalise(path);
        Node existing = entries.get(name);
        if (existing != null && existing.getClass() != node.getClass()) {
            throw new IllegalArgumentException("/" + name + " is already a " + describe(existing)
                    + ", cannot add it as a " + describe(node));
        }
        int slash = name.lastIndexOf('/');
        if (slash > 0) {
            String parent = name.substring(0, slash);
            Node parentNode = entries.get(parent);
            if (parentNode == null) {
                put(parent, new Directory(0755));
            } else if (!(parentNode instanceof Directory)) {
                throw new IllegalArgumentException("cannot add /" + name + ": /" + parent + " is a "
                        + describe(parentNode));
            }
        }
        entries.put(name, node);
    }

    private static String describe(Node node) {
        return switch (node) {
            case Directory d -> "directory";
            case RegularFile f -> "file";
            case Symlink s -> "symlink";
            case CharacterDevice c -> "character device";
        };
    }

    /**
     * Checks and normalises a guest path: {@code /bin/sh} → {@code bin/sh}.
     *
     * @throws IllegalArgumentException for empty, relative-escaping or otherwise unusable paths
     */
    static String normalise(String path) {
        if (path == null || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid initramfs path");
        }
        String name = path.startsWith("/") ? path.substring(1) : path;
        if (name.isEmpty() || name.endsWith("/")) {
            throw new IllegalArgumentException("invalid initramfs path '" + path + "'");
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("invalid initramfs path '" + path + "'");
            }
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > CpioNewcWriter.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("initramfs path longer than " + CpioNewcWriter.MAX_NAME_BYTES
                    + " bytes");
        }
        return name;
    }

    /** Writes the uncompressed cpio archive, trailer included, to {@code out} (left open). */
    public void writeCpio(OutputStream out) throws IOException {
        CpioNewcWriter cpio = new CpioNewcWriter(out, 0);
        for (Map.Entry<String, Node> entry : entries.entrySet()) {
            String name = entry.getKey();
            switch (entry.getValue()) {
                case Directory d -> cpio.directory(name, d.permissions());
                case RegularFile f -> cpio.file(name, f.permissions(), f.content());
                case Symlink s -> cpio.symlink(name, s.target());
                case CharacterDevice c -> cpio.characterDevice(name, c.permissions(), c.major(), c.minor());
            }
        }
        cpio.finish();
    }

    /** Writes the gzip-compressed archive to {@code out} (left open). */
    public void writeGzip(OutputStream out) throws IOException {
        // Closing the gzip stream releases its native Deflater; NonClosing keeps the caller's stream open.
        try (GZIPOutputStream gzip = new GZIPOutputStream(new NonClosing(out), 1 << 16)) {
            writeCpio(gzip);
        }
    }

    /** Writes the gzip-compressed archive to a file (created or replaced). */
    public void writeGzip(Path target) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
            writeGzip(out);
        }
    }

    /** Adds every entry of another builder, the other's entries winning. */
    public InitramfsBuilder addAll(InitramfsBuilder other) {
        List<Map.Entry<String, Node>> copy = new ArrayList<>(other.entries.entrySet());
        for (Map.Entry<String, Node> entry : copy) {
            put(entry.getKey(), entry.getValue());
        }
        return this;
    }

    /** Keeps the caller's stream open when the gzip stream is finished. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
