package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class HttpFetcherTest {
    @TempDir
    Path temp;

    HttpServer server;
    ExecutorService executor;
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        executor = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "http-fetcher-test");
            thread.setDaemon(true);
            return thread;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/ok", exchange -> {
            exchange.sendResponseHeaders(200, 5);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("hello".getBytes());
            }
        });
        server.createContext("/stall", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            OutputStream out = exchange.getResponseBody();
            out.write(new byte[10]);
            out.flush();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.createContext("/slow", exchange -> {
            exchange.sendResponseHeaders(200, 8);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 8; i++) {
                    out.write('a' + i);
                    out.flush();
                    Thread.sleep(250);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void downloadsAndHashes() throws IOException {
        try (HttpFetcher http = new HttpFetcher(Duration.ofSeconds(5), Duration.ofSeconds(5))) {
            FetchedFile file = http.download(uri("/ok"), temp.resolve("ok"), 100);
            assertThat(file.size()).isEqualTo(5);
            assertThat(file.sha256()).isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
            assertThat(Files.readString(file.path())).isEqualTo("hello");
        }
    }

    @Test
    void reportsHttpErrorsAndOversizedBodies() {
        try (HttpFetcher http = new HttpFetcher(Duration.ofSeconds(5), Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> http.download(uri("/missing"), temp.resolve("m"), 100))
                    .isInstanceOf(HttpFetcher.HttpStatusException.class)
                    .hasMessage("HTTP 404 from " + uri("/missing"))
                    .satisfies(e -> assertThat(((HttpFetcher.HttpStatusException) e).status()).isEqualTo(404));
            assertThatThrownBy(() -> http.download(uri("/ok"), temp.resolve("big"), 3))
                    .isInstanceOf(ImageException.class)
                    .isInstanceOf(VerificationException.class)
                    .hasMessage(uri("/ok") + ": size mismatch (larger than the 3 bytes the signed index lists); refusing to use it");
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStalledTransferIsAbandonedAndClosingDoesNotWaitForIt() {
        HttpFetcher http = new HttpFetcher(Duration.ofSeconds(5), Duration.ofMillis(700));
        assertThatThrownBy(() -> http.download(uri("/stall"), temp.resolve("s"), 1000))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("stalled: no data for 0.7 s after 10 bytes");
        // The server is still holding the connection open here.
        http.close();
        assertThat(release.getCount()).isEqualTo(1);
    }

    @Test
    void aSlowButSteadyTransferIsNotCut() throws IOException {
        // Each byte arrives well within the stall timeout, the whole body takes longer than it.
        try (HttpFetcher http = new HttpFetcher(Duration.ofSeconds(5), Duration.ofMillis(1000))) {
            FetchedFile file = http.download(uri("/slow"), temp.resolve("slow"), 100);
            assertThat(Files.readString(file.path())).isEqualTo("abcdefgh");
        }
    }
}
