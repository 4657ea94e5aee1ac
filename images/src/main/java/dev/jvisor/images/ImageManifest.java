package dev.jvisor.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The small text file that records what a cached default image is made of, so that later runs can
 * check the cache without the network: each file's name, size and SHA-256, plus where it came from.
 *
 * <p>Format: UTF-8 lines {@code key=value}; {@code file.<role>=<name> <size> <sha256>} for each file.
 * It is written last, by atomic rename, so its presence means the build completed.
 *
 * @param layout        the cache layout version it was written for
 * @param kernelVersion the kernel release
 * @param sources       the packages used, e.g. {@code linux-image-... 6.1.192-2 (bookworm-security)}
 * @param files         the image files by role ({@code kernel}, {@code initrd}, {@code config})
 */
public record ImageManifest(int layout, String kernelVersion, List<String> sources, Map<String, CachedFile> files) {

    /**
     * One cached file.
     *
     * @param name   file name inside the image directory
     * @param size   in bytes
     * @param sha256 lower-case hex
     */
    public record CachedFile(String name, long size, String sha256) {
        private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9._+-]+");

        public CachedFile {
            if (!SAFE_NAME.matcher(name).matches() || name.startsWith(".")) {
                throw new IllegalArgumentException("unsafe cached file name '" + name + "'");
            }
        }
    }

    public ImageManifest {
        sources = List.copyOf(sources);
        files = Map.copyOf(files);
    }

    /** The manifest's text. */
    public String format() {
        StringBuilder text = new StringBuilder();
        text.append("layout=").append(layout).append('\n');
        text.append("kernelVersion=").append(kernelVersion).append('\n');
        for (String source : sources) {
            text.append("source=").append(source).append('\n');
        }
        files.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> text.append("file.")
                .append(e.getKey()).append('=').append(e.getValue().name()).append(' ').append(e.getValue().size())
                .append(' ').append(e.getValue().sha256()).append('\n'));
        return text.toString();
    }

    /**
     * Parses a manifest.
     *
     * @throws ImageException naming the line when the text is malformed
     */
    public static ImageManifest parse(String text, String origin) throws ImageException {
        int layout = -1;
        String kernelVersion = null;
        List<String> sources = new ArrayList<>();
        Map<String, CachedFile> files = new LinkedHashMap<>();
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new ImageException(origin + ":" + lineNumber + ": expected key=value");
            }
            String key = line.substring(0, equals);
            String value = line.substring(equals + 1);
            try {
                switch (key) {
                    case "layout" -> layout = Integer.parseInt(value);
                    case "kernelVersion" -> kernelVersion = value;
                    case "source" -> sources.add(value);
                    default -> {
                        if (!key.startsWith("file.")) {
                            throw new ImageException(origin + ":" + lineNumber + ": unknown key '" + key + "'");
                        }
                        String[] parts = value.split(" ");
                        if (parts.length != 3 || !parts[2].matches("[0-9a-f]{64}")) {
                            throw new ImageException(origin + ":" + lineNumber + ": expected 'name size sha256'");
                        }
                        files.put(key.substring(5), new CachedFile(parts[0], Long.parseLong(parts[1]), parts[2]));
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new ImageException(origin + ":" + lineNumber + ": " + e.getMessage(), e);
            }
        }
        if (layout < 0 || kernelVersion == null) {
            throw new ImageException(origin + ": the layout or kernelVersion line is missing");
        }
        return new ImageManifest(layout, kernelVersion, sources, files);
    }

    /** Reads a manifest file. */
    public static ImageManifest read(Path file) throws ImageException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ImageException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks that every file exists in {@code directory} with the recorded size and SHA-256.
     *
     * @return null when all match, otherwise what is wrong
     */
    public String problemsIn(Path directory) {
        for (Map.Entry<String, CachedFile> entry : files.entrySet()) {
            CachedFile file = entry.getValue();
            Path path = directory.resolve(file.name());
            try {
                if (!Files.isRegularFile(path)) {
                    return file.name() + " is missing";
                }
                long size = Files.size(path);
                if (size != file.size()) {
                    return file.name() + " has " + size + " bytes instead of " + file.size();
                }
                if (!Digests.sha256(path).equals(file.sha256())) {
                    return file.name() + " does not match its recorded SHA-256";
                }
            } catch (IOException e) {
                return file.name() + " cannot be read: " + e.getMessage();
            }
        }
        return null;
    }
}
