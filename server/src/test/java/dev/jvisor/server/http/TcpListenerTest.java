package dev.jvisor.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.server.Daemon;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.manager.HostBudget;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional TCP listener: a bearer token is required, and TLS works with a PEM key pair. */
class TcpListenerTest {
    private static final String TOKEN = "0123456789abcdef-secret";

    @TempDir
    Path dir;

    private Daemon.Config config(Path cert, Path key) {
        return Daemon.Config.defaults(dir.resolve("state")).withBudget(new HostBudget(1L << 30, 4))
                .withTcp(new InetSocketAddress("127.0.0.1", 0), TOKEN, cert, key);
    }

    @Test
    void plainTcpNeedsTheToken() throws Exception {
        try (DaemonFixture d = new DaemonFixture(dir, config(null, null))) {
            InetSocketAddress at = d.daemon.tcpAddress();
            ApiClient.Response none = ApiClient.tcp(at, null, null).get("/v1/vms");
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.headers().get("www-authenticate")).isEqualTo("Bearer");
            assertThat(ApiClient.tcp(at, "wrong-token-wrong-token", null).get("/v1/vms").status()).isEqualTo(401);
            assertThat(ApiClient.tcp(at, TOKEN, null).get("/v1/vms").status()).isEqualTo(200);
            // The Unix socket needs no token.
            assertThat(d.client.get("/v1/vms").status()).isEqualTo(200);
        }
    }

    @Test
    void tcpWithoutATokenIsNotStarted() {
        Daemon.Config c = Daemon.Config.defaults(dir.resolve("state")).withTcp(new InetSocketAddress("127.0.0.1", 0), null, null, null);
        assertThatThrownBy(() -> Daemon.start(c)).hasMessageContaining("bearer token");
    }

    @Test
    void tlsWithAPemKeyPair() throws Exception {
        Path p12 = dir.resolve("ks.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "d", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("d", "changeit".toCharArray());
        Path keyPem = dir.resolve("key.pem");
        Path certPem = dir.resolve("cert.pem");
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(ks.getCertificate("d").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        try (DaemonFixture d = new DaemonFixture(dir, config(certPem, keyPem))) {
            var tls = TlsContexts.trusting(certPem).getSocketFactory();
            ApiClient ok = ApiClient.tcp(d.daemon.tcpAddress(), TOKEN, tls);
            assertThat(ok.get("/v1/host").status()).isEqualTo(200);
            assertThat(ApiClient.tcp(d.daemon.tcpAddress(), null, tls).get("/v1/host").status()).isEqualTo(401);
            // A plain-text client gets no answer from a TLS listener.
            assertThatThrownBy(() -> ApiClient.tcp(d.daemon.tcpAddress(), TOKEN, null).get("/v1/host"))
                    .isInstanceOf(java.io.IOException.class);
        }
    }
}
