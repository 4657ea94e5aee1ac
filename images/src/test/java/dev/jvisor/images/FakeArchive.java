package dev.jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A Debian archive served from memory over HTTP on 127.0.0.1, signed with a throw-away key: the real
 * Release/Packages/pool layout, so {@link DebianArchive} and {@link DefaultImage} can be tested end to
 * end without the network.
 */
final class FakeArchive implements AutoCloseable {
    /** One package to publish. */
    record Deb(String name, String version, String depends, byte[] content) {
    }

    private static final DateTimeFormatter RELEASE_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'UTC'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    final TestPgp key = TestPgp.create();
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final AtomicInteger requests = new AtomicInteger();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-archive");
        thread.setDaemon(true);
        return thread;
    });

    FakeArchive() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(executor);
        server.start();
    }

    private void serve(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            byte[] body = files.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    URI root() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    DebianMirrors mirrors() {
        return new DebianMirrors(URI.create(root() + "/debian"), URI.create(root() + "/debian-security"));
    }

    private static String archive(String suite) {
        return suite.endsWith("-security") ? "/debian-security" : "/debian";
    }

    /**
     * Publishes a suite: pool files, a Packages.xz index and a signed InRelease listing it.
     *
     * @param byHash serve the index only under by-hash/SHA256/ (and announce Acquire-By-Hash)
     */
    void publish(String suite, List<Deb> debs, boolean byHash, Instant validUntil) throws IOException {
        StringBuilder packages = new StringBuilder();
        for (Deb deb : debs) {
            String pool = "pool/main/" + deb.name().charAt(0) + "/" + deb.name() + "/" + deb.name() + "_"
                    + deb.version().replaceFirst("^\\d+:", "") + "_amd64.deb";
            files.put(archive(suite) + "/" + pool, deb.content());
            packages.append("Package: ").append(deb.name()).append('\n')
                    .append("Version: ").append(deb.version()).append('\n')
                    .append("Architecture: amd64\n");
            if (!deb.depends().isEmpty()) {
                packages.append("Depends: ").append(deb.depends()).append('\n');
            }
            packages.append("Description: test package\n long description\n")
                    .append("Filename: ").append(pool).append('\n')
                    .append("Size: ").append(deb.content().length).append('\n')
                    .append("SHA256: ").append(Digests.sha256(deb.content())).append("\n\n");
        }
        byte[] plain = packages.toString().getBytes(StandardCharsets.UTF_8);
        byte[] xz = TestDebs.compress(plain, "xz");
        String dists = archive(suite) + "/dists/" + suite + "/";
        String xzHash = Digests.sha256(xz);
        if (byHash) {
            files.put(dists + "main/binary-amd64/by-hash/SHA256/" + xzHash, xz);
        } else {
            files.put(dists + "main/binary-amd64/Packages.xz", xz);
        }
        Instant now = Instant.now();
        String release = "Origin: Debian\nLabel: Debian\nSuite: " + suite + "\nCodename: " + suite + "\n"
                + "Date: " + RELEASE_DATE.format(now) + "\n"
                + (validUntil == null ? "" : "Valid-Until: " + RELEASE_DATE.format(validUntil) + "\n")
                + "Acquire-By-Hash: " + (byHash ? "yes" : "no") + "\n"
                + "Architectures: amd64\nComponents: main\nSHA256:\n"
                + " " + Digests.sha256(plain) + " " + plain.length + " main/binary-amd64/Packages\n"
                + " " + xzHash + " " + xz.length + " main/binary-amd64/Packages.xz\n";
        files.put(dists + "InRelease", key.clearSign(release));
    }

    /** Replaces the bytes served at a path that ends with {@code suffix}. */
    void replace(String suffix, byte[] content) {
        String path = files.keySet().stream().filter(p -> p.endsWith(suffix)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing published at *" + suffix));
        files.put(path, content);
    }

    /** Stops serving the path that ends with {@code suffix}. */
    void remove(String suffix) {
        files.keySet().removeIf(p -> p.endsWith(suffix));
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
