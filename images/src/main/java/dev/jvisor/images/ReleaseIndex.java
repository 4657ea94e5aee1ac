package dev.jvisor.images;

import java.io.StringReader;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The fields of a suite's (already signature-verified) {@code Release} text that apt relies on: the
 * suite's names, its dates and the SHA-256 and size of every index file (Debian wiki
 * "DebianRepository/Format", section "Release files").
 *
 * @param origin        the {@code Origin} field, such as {@code Debian}
 * @param suite         the {@code Suite} field, such as {@code oldstable-security}
 * @param codename      the {@code Codename} field, such as {@code bookworm-security}
 * @param date          when the file was generated
 * @param validUntil    after this instant the file must not be trusted (replay protection)
 * @param acquireByHash whether index files can be fetched from {@code by-hash/SHA256/<hash>}
 * @param files         index files by path relative to the suite directory
 */
public record ReleaseIndex(String origin, String suite, String codename, Optional<Instant> date,
                           Optional<Instant> validUntil, boolean acquireByHash, Map<String, IndexFile> files) {

    /**
     * One index file listed in the {@code SHA256} field.
     *
     * @param path   relative to {@code dists/<suite>/}
     * @param size   in bytes
     * @param sha256 lower-case hex
     */
    public record IndexFile(String path, long size, String sha256) {
    }

    private static final Pattern SHA256_LINE = Pattern.compile("([0-9a-fA-F]{64})\\s+(\\d+)\\s+(\\S+)");
    /** RFC 2822 dates as written by Debian's archive software: {@code Sat, 11 Jul 2026 10:16:37 UTC}. */
    private static final DateTimeFormatter RELEASE_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss z", Locale.ENGLISH);

    public ReleaseIndex {
        files = Map.copyOf(files);
    }

    /**
     * Parses the verified Release text.
     *
     * @param origin a description of where it came from, for error messages
     * @throws ImageException when a field the chain of trust relies on is missing or malformed
     */
    public static ReleaseIndex parse(String text, String origin) throws ImageException {
        List<Map<String, String>> paragraphs = new ArrayList<>();
        ControlParagraphs.read(new StringReader(text), origin, paragraphs::add);
        if (paragraphs.size() != 1) {
            throw new ImageException(origin + ": expected one Release paragraph, found " + paragraphs.size());
        }
        Map<String, String> fields = paragraphs.getFirst();
        String sha256 = fields.get("sha256");
        if (sha256 == null) {
            throw new ImageException(origin + ": the Release file has no SHA256 field");
        }
        Map<String, IndexFile> files = new LinkedHashMap<>();
        for (String line : sha256.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            var matcher = SHA256_LINE.matcher(line.strip());
            if (!matcher.matches()) {
                throw new ImageException(origin + ": malformed SHA256 line '" + line.strip() + "'");
            }
            String path = matcher.group(3);
            try {
                files.put(path, new IndexFile(path, Long.parseLong(matcher.group(2)),
                        matcher.group(1).toLowerCase(Locale.ROOT)));
            } catch (NumberFormatException e) {
                throw new ImageException(origin + ": size out of range in '" + line.strip() + "'", e);
            }
        }
        return new ReleaseIndex(fields.getOrDefault("origin", ""), fields.getOrDefault("suite", ""),
                fields.getOrDefault("codename", ""), parseDate(fields.get("date"), "Date", origin),
                parseDate(fields.get("valid-until"), "Valid-Until", origin),
                "yes".equalsIgnoreCase(fields.getOrDefault("acquire-by-hash", "no")), files);
    }

    static Optional<Instant> parseDate(String value, String field, String origin) throws ImageException {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ZonedDateTime.parse(value, RELEASE_DATE).toInstant());
        } catch (DateTimeParseException e) {
            throw new ImageException(origin + ": cannot parse " + field + " '" + value + "'", e);
        }
    }

    /** The index file at {@code path}, if the Release file lists it. */
    public Optional<IndexFile> file(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /**
     * Checks the replay protections apt applies: the file is about the suite that was asked for (its
     * Codename or Suite matches) and its {@code Valid-Until}, if any, has not passed.
     *
     * @throws VerificationException when either check fails
     */
    public void checkFreshFor(String requestedSuite, Instant now) throws VerificationException {
        if (!requestedSuite.equals(codename) && !requestedSuite.equals(suite)) {
            throw new VerificationException("the Release file fetched for " + requestedSuite + " describes suite '"
                    + suite + "' (codename '" + codename + "'): refusing a file for another suite");
        }
        if (validUntil.isPresent() && now.isAfter(validUntil.get())) {
            throw new VerificationException("the Release file of " + requestedSuite + " expired on " + validUntil.get()
                    + " (Valid-Until): the mirror is stale or this machine's clock is wrong");
        }
    }
}
