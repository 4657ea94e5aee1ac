package dev.jvisor.images;

import java.net.URI;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One binary package as listed in a suite's {@code Packages} index: enough to resolve it and to
 * download and verify its {@code .deb}.
 *
 * @param name         the package name
 * @param version      the package version
 * @param architecture {@code amd64} or {@code all}
 * @param depends      the parsed {@code Depends} field (groups of alternatives)
 * @param filename     the {@code .deb}'s path relative to the mirror root (from {@code Filename})
 * @param size         the {@code .deb}'s size in bytes
 * @param sha256       the {@code .deb}'s SHA-256, lower-case hex
 * @param suite        the suite whose index listed it, such as {@code bookworm-security}
 * @param mirror       the mirror root that serves {@code filename}
 */
public record PackageEntry(String name, DebianVersion version, String architecture,
                           List<List<PackageRelation>> depends, String filename, long size, String sha256,
                           String suite, URI mirror) {

    /** Pool paths are plain: no URL escapes, no parent directories, no absolute paths. */
    private static final Pattern SAFE_POOL_PATH = Pattern.compile("[A-Za-z0-9._+~-]+(/[A-Za-z0-9._+~-]+)*");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public PackageEntry {
        depends = List.copyOf(depends);
        if (!SAFE_POOL_PATH.matcher(filename).matches() || filename.contains("..")) {
            throw new IllegalArgumentException("package " + name + " has an unsafe Filename '" + filename + "'");
        }
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("package " + name + " has a malformed SHA256 '" + sha256 + "'");
        }
        if (size <= 0) {
            throw new IllegalArgumentException("package " + name + " has an invalid Size " + size);
        }
    }

    /**
     * Builds an entry from a Packages paragraph (lower-case field names).
     *
     * @throws ImageException naming the package and field when a required field is missing or invalid
     */
    public static PackageEntry fromParagraph(Map<String, String> paragraph, String suite, URI mirror)
            throws ImageException {
        String name = paragraph.get("package");
        if (name == null || name.isEmpty()) {
            throw new ImageException("a paragraph in the Packages index of " + suite + " has no Package field");
        }
        try {
            DebianVersion version = DebianVersion.parse(required(paragraph, "version", name, suite));
            String architecture = required(paragraph, "architecture", name, suite);
            List<List<PackageRelation>> depends = PackageRelation.parseField(paragraph.get("depends"));
            String filename = required(paragraph, "filename", name, suite);
            long size = Long.parseLong(required(paragraph, "size", name, suite));
            String sha256 = required(paragraph, "sha256", name, suite).toLowerCase(Locale.ROOT);
            return new PackageEntry(name, version, architecture, depends, filename, size, sha256, suite, mirror);
        } catch (IllegalArgumentException e) {
            // NumberFormatException is an IllegalArgumentException too.
            throw new ImageException("package " + name + " in " + suite + " has an invalid entry: " + e.getMessage(), e);
        }
    }

    private static String required(Map<String, String> paragraph, String field, String name, String suite)
            throws ImageException {
        String value = paragraph.get(field);
        if (value == null || value.isEmpty()) {
            throw new ImageException("package " + name + " in the Packages index of " + suite + " has no " + field
                    + " field");
        }
        return value;
    }

    /** Where to download the {@code .deb}. */
    public URI downloadUri() {
        String root = mirror.toString();
        return URI.create(root.endsWith("/") ? root + filename : root + "/" + filename);
    }

    /** The SHA-256 as raw bytes. */
    public byte[] sha256Bytes() {
        return HexFormat.of().parseHex(sha256);
    }

    /** A short human description, {@code name version}. */
    public String describe() {
        return name + " " + version;
    }
}
