package dev.jvisor.images;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A streaming reader of Debian control-file paragraphs (the deb822 format of Packages and Release
 * files, Debian Policy §5.1).
 *
 * <p>A paragraph is a run of non-blank lines; paragraphs are separated by blank lines. Each field
 * starts with {@code Name: value}; lines that begin with a space or tab continue the previous field
 * (joined with {@code \n}, leading whitespace removed). Field names are case-insensitive: they are
 * handed out in lower case. Lines starting with {@code #} outside a field are comments.
 */
public final class ControlParagraphs {
    private ControlParagraphs() {
    }

    /**
     * Reads every paragraph and hands it to {@code sink} as an ordered map from lower-case field name
     * to value.
     */
    public static void read(Reader source, String origin, Consumer<Map<String, String>> sink) throws ImageException {
        read(source, origin, null, name -> true, sink);
    }

    /**
     * Reads paragraphs, skipping those whose {@code keyField} value {@code keep} rejects without
     * collecting the rest of their fields (a Packages file has ~60,000 paragraphs and we want a few).
     * Paragraphs without the key field are passed on only when {@code keyField} is null.
     *
     * @param origin a name for the input used in error messages, such as the file's URL
     */
    public static void read(Reader source, String origin, String keyField, Predicate<String> keep,
                            Consumer<Map<String, String>> sink) throws ImageException {
        String key = keyField == null ? null : keyField.toLowerCase(Locale.ROOT);
        BufferedReader lines = source instanceof BufferedReader b ? b : new BufferedReader(source, 1 << 16);
        Map<String, String> paragraph = new LinkedHashMap<>();
        String currentField = null;
        boolean skipping = false;
        long lineNumber = 0;
        try {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                lineNumber++;
                if (line.isBlank()) {
                    finish(paragraph, key, skipping, sink);
                    paragraph = new LinkedHashMap<>();
                    currentField = null;
                    skipping = false;
                    continue;
                }
                if (skipping) {
                    continue;
                }
                char first = line.charAt(0);
                if (first == ' ' || first == '\t') {
                    if (currentField == null) {
                        throw new ImageException(origin + ":" + lineNumber + ": continuation line outside a field");
                    }
                    String continued = paragraph.get(currentField);
                    String part = line.strip();
                    paragraph.put(currentField, continued.isEmpty() ? part : continued + "\n" + part);
                    continue;
                }
                if (first == '#' && currentField == null) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new ImageException(origin + ":" + lineNumber + ": expected 'Field: value', got '"
                            + abbreviate(line) + "'");
                }
                String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).strip();
                if (paragraph.containsKey(name)) {
                    throw new ImageException(origin + ":" + lineNumber + ": field '" + name + "' repeated in one paragraph");
                }
                if (name.equals(key) && !keep.test(value)) {
                    skipping = true;
                    continue;
                }
                paragraph.put(name, value);
                currentField = name;
            }
        } catch (IOException e) {
            throw new ImageException("cannot read " + origin + ": " + e.getMessage(), e);
        }
        finish(paragraph, key, skipping, sink);
    }

    private static void finish(Map<String, String> paragraph, String key, boolean skipped,
                               Consumer<Map<String, String>> sink) {
        if (skipped || paragraph.isEmpty()) {
            return;
        }
        if (key != null && !paragraph.containsKey(key)) {
            return;
        }
        sink.accept(paragraph);
    }

    private static String abbreviate(String line) {
        return line.length() <= 60 ? line : line.substring(0, 60) + "...";
    }
}
