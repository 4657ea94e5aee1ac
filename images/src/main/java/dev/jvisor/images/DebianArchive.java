package dev.jvisor.images;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

import org.tukaani.xz.XZInputStream;

/**
 * A Debian package archive reached over HTTP, checked link by link as apt does (apt-secure(8)):
 * the suite's {@code InRelease} must carry a good OpenPGP signature by a trusted archive key and must
 * not have expired; each {@code Packages} index must match the size and SHA-256 the signed Release
 * text lists; each {@code .deb} must match the size and SHA-256 its Packages entry lists. Anything
 * that fails a check is deleted and reported with a {@link VerificationException}.
 *
 * <p>Instances hold an HTTP client; close them when done. Safe to use from one thread at a time.
 */
public final class DebianArchive implements AutoCloseable {
    /** How long to wait for a TCP connection to the mirror. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    /** How long a download may go without receiving a byte before it is abandoned. */
    public static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    /** InRelease files are ~150 kB; anything far larger is not one. */
    static final long MAX_INRELEASE_BYTES = 16L << 20;
    /** Index variants in order of preference (Debian wiki "DebianRepository/Format"). */
    private static final List<String> INDEX_VARIANTS = List.of(".xz", ".gz", "");

    private final DebianMirrors mirrors;
    private final ArchiveKeyring keyring;
    private final Clock clock;
    private final HttpFetcher http;

    /**
     * @param mirrors where to fetch from
     * @param keyring the keys trusted to sign InRelease files
     * @param clock   the time used for Valid-Until checks
     */
    public DebianArchive(DebianMirrors mirrors, ArchiveKeyring keyring, Clock clock) {
        this(mirrors, keyring, clock, CONNECT_TIMEOUT, STALL_TIMEOUT);
    }

    DebianArchive(DebianMirrors mirrors, ArchiveKeyring keyring, Clock clock, Duration connectTimeout,
                  Duration stallTimeout) {
        this.mirrors = mirrors;
        this.keyring = keyring;
        this.clock = clock;
        this.http = new HttpFetcher(connectTimeout, stallTimeout);
    }

    /**
     * The archive named by the environment ({@link DebianMirrors#fromEnvironment()}), verified with
     * {@link ArchiveKeyring#debian()} against the system clock.
     */
    public static DebianArchive fromEnvironment() throws ImageException {
        DebianMirrors mirrors;
        try {
            mirrors = DebianMirrors.fromEnvironment();
        } catch (IllegalArgumentException e) {
            throw new ImageException(e.getMessage(), e);
        }
        return new DebianArchive(mirrors, ArchiveKeyring.debian(), Clock.systemUTC());
    }

    /** The mirrors this archive fetches from. */
    public DebianMirrors mirrors() {
        return mirrors;
    }

    /**
     * Fetches, verifies and parses the Release data of {@code suite}.
     *
     * @param workDir a directory for the temporary download
     */
    public ReleaseIndex release(String suite, Path workDir) throws ImageException {
        URI uri = suiteUri(suite, "InRelease");
        Path temp = tempFile(workDir, "InRelease");
        try {
            FetchedFile fetched = http.download(uri, temp, MAX_INRELEASE_BYTES);
            byte[] bytes = readAll(fetched.path());
            ClearSignedMessage message = ClearSignedMessage.parse(bytes, uri.toString());
            keyring.verify(message, uri.toString());
            ReleaseIndex release = ReleaseIndex.parse(message.text(), uri.toString());
            release.checkFreshFor(suite, clock.instant());
            return release;
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * Reads the {@code binary-amd64} Packages index of {@code component} in each suite, keeping the
     * packages whose names {@code keep} accepts.
     *
     * @param progress receives one line per suite fetched
     */
    public PackageIndex packageIndex(List<String> suites, String component, Predicate<String> keep, Path workDir,
                                     Consumer<String> progress) throws ImageException {
        PackageIndex index = new PackageIndex();
        for (String suite : suites) {
            progress.accept("fetching the package index of " + suite + " from " + mirrors.rootFor(suite).getHost()
                    + "...");
            ReleaseIndex release = release(suite, workDir);
            readPackages(suite, component, release, keep, workDir, index);
            index.noteSuite(suite);
        }
        return index;
    }

    private void readPackages(String suite, String component, ReleaseIndex release, Predicate<String> keep,
                              Path workDir, PackageIndex into) throws ImageException {
        String base = component + "/binary-amd64/Packages";
        ReleaseIndex.IndexFile file = null;
        for (String variant : INDEX_VARIANTS) {
            Optional<ReleaseIndex.IndexFile> listed = release.file(base + variant);
            if (listed.isPresent()) {
                file = listed.get();
                break;
            }
        }
        if (file == null) {
            throw new ImageException("the Release file of " + suite + " lists no " + base + "(.xz|.gz)");
        }
        Path temp = tempFile(workDir, "Packages");
        try {
            FetchedFile fetched = fetchIndexFile(suite, release, file, temp);
            URI mirror = mirrors.rootFor(suite);
            String origin = suiteUri(suite, file.path()).toString();
            List<Map<String, String>> paragraphs = new ArrayList<>();
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(fetched.path()), 1 << 16);
                 InputStream plain = decompressor(file.path(), raw);
                 Reader reader = new InputStreamReader(plain, StandardCharsets.UTF_8)) {
                ControlParagraphs.read(reader, origin, "package", keep, paragraphs::add);
            } catch (ImageException e) {
                throw e;
            } catch (IOException e) {
                throw new ImageException("cannot decompress " + origin + ": " + e.getMessage(), e);
            }
            for (Map<String, String> paragraph : paragraphs) {
                PackageEntry entry = PackageEntry.fromParagraph(paragraph, suite, mirror);
                if (entry.architecture().equals("amd64") || entry.architecture().equals("all")) {
                    into.add(entry);
                }
            }
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * Fetches an index file and checks it against the signed Release data. With Acquire-By-Hash the
     * file is fetched by its hash first, so that a mirror updating between our two requests cannot
     * hand us a newer index than the Release file we verified; a mirror without it falls back to the
     * plain path.
     */
    private FetchedFile fetchIndexFile(String suite, ReleaseIndex release, ReleaseIndex.IndexFile file, Path temp)
            throws ImageException {
        FetchedFile fetched = null;
        if (release.acquireByHash()) {
            String directory = file.path().substring(0, file.path().lastIndexOf('/') + 1);
            try {
                fetched = http.download(suiteUri(suite, directory + "by-hash/SHA256/" + file.sha256()), temp,
                        file.size());
            } catch (HttpFetcher.HttpStatusException e) {
                if (e.status() != 404) {
                    throw e;
                }
            }
        }
        if (fetched == null) {
            fetched = http.download(suiteUri(suite, file.path()), temp, file.size());
        }
        checkDigest(fetched, file.size(), file.sha256(), file.path() + " of " + suite,
                "the Release file");
        return fetched;
    }

    /**
     * Downloads a package's {@code .deb} into {@code directory} and verifies it against its Packages
     * entry. A verified copy already there (from an interrupted earlier run) is reused.
     *
     * @return the verified file, named after the pool file
     */
    public Path download(PackageEntry entry, Path directory, Consumer<String> progress) throws ImageException {
        String fileName = entry.filename().substring(entry.filename().lastIndexOf('/') + 1);
        Path target = directory.resolve(fileName);
        if (Files.isRegularFile(target)) {
            try {
                if (Files.size(target) == entry.size() && Digests.sha256(target).equals(entry.sha256())) {
                    progress.accept("using the already downloaded " + entry.describe());
                    return target;
                }
            } catch (IOException e) {
                // Unreadable leftovers are simply fetched again below.
            }
        }
        progress.accept("fetching " + entry.describe() + " (" + formatSize(entry.size()) + ") from "
                + entry.mirror().getHost() + "...");
        Path partial = directory.resolve(fileName + ".part");
        try {
            FetchedFile fetched = http.download(entry.downloadUri(), partial, entry.size());
            checkDigest(fetched, entry.size(), entry.sha256(), entry.describe(),
                    "the Packages index of " + entry.suite());
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw e instanceof ImageException image ? image
                    : new ImageException("cannot store " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(partial);
        }
    }

    private static void checkDigest(FetchedFile fetched, long size, String sha256, String what, String authority)
            throws VerificationException {
        if (fetched.size() != size) {
            throw new VerificationException(what + ": size mismatch (" + fetched.size() + " bytes, " + authority
                    + " says " + size + "); the mirror may be in the middle of an update, try again later");
        }
        if (!fetched.sha256().equals(sha256)) {
            throw new VerificationException(what + ": SHA256 mismatch (got " + fetched.sha256() + ", "
                    + authority + " says " + sha256 + "); refusing to use it");
        }
    }

    /** {@code 26 MB}, {@code 928 kB}: the units a progress line needs. */
    static String formatSize(long bytes) {
        if (bytes >= 10_000_000) {
            return (bytes / 1_000_000) + " MB";
        }
        if (bytes >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return Math.max(1, bytes / 1000) + " kB";
    }

    private URI suiteUri(String suite, String path) {
        return URI.create(mirrors.rootFor(suite) + "/dists/" + suite + "/" + path);
    }

    private static InputStream decompressor(String path, InputStream raw) throws IOException {
        if (path.endsWith(".xz")) {
            return new XZInputStream(raw);
        }
        if (path.endsWith(".gz")) {
            return new GZIPInputStream(raw, 1 << 16);
        }
        return raw;
    }

    private static Path tempFile(Path directory, String prefix) throws ImageException {
        try {
            Files.createDirectories(directory);
            return Files.createTempFile(directory, prefix + "-", ".part");
        } catch (IOException e) {
            throw new ImageException("cannot create a temporary file in " + directory + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readAll(Path file) throws ImageException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ImageException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A leftover temporary file is harmless: it is never mistaken for a verified one.
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
