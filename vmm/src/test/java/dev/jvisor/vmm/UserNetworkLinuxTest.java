package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.jvisor.io.net.slirp.SlirpBackend;
import dev.jvisor.vmm.bench.ScriptedGuest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Linux guest on user-mode networking ({@code --net user}): it takes a DHCP lease from libslirp,
 * fetches a file over HTTP from a server on the host's loopback (10.0.2.2 is the host) and checks
 * its SHA-256; then the host reaches a server in the guest through a host forward.
 */
@Tag("slow")
class UserNetworkLinuxTest {
    private static final String GUEST_MAC = "52:54:00:12:34:56";
    private static final String GUEST_REPLY = "hello from the guest\n";

    @TempDir
    Path dir;

    @Test
    void guestFetchesOverHttpFromTheHostAndServesThroughAHostForward() throws Exception {
        assumeTrue(SlirpBackend.isAvailable(), "libslirp0 is not installed");
        byte[] file = new byte[1 << 20];
        new Random(7).nextBytes(file);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        server.createContext("/file", exchange -> {
            exchange.sendResponseHeaders(200, file.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(file);
            }
        });
        server.start();
        int forward;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            forward = s.getLocalPort();
        }
        String script = """
                set -e
                ip link set lo up
                ip link set eth0 up
                echo "MAC $(cat /sys/class/net/eth0/address)"
                udhcpc -i eth0 -q -f -n -t 20 -T 1 -s /jvisor/udhcpc.sh > /dev/null
                echo "ADDR $(ip -4 addr show dev eth0 | grep -o 'inet [0-9./]*')"
                echo "ROUTE $(ip route | grep default)"
                wget -q -O /tmp/file http://10.0.2.2:%d/file
                echo "SHA file $(sha256sum /tmp/file | cut -d ' ' -f 1)"
                printf 'HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n%s' > /tmp/response
                echo "LISTENING"
                nc -l -p 8080 < /tmp/response > /tmp/request
                echo "REQUEST $(head -n 1 /tmp/request)"
                """.formatted(server.getAddress().getPort(), GUEST_REPLY.length(), GUEST_REPLY.replace("\n", "\\n"));
        VmConfig config = ScriptedLinux.config(dir, script, Map.of("/jvisor/udhcpc.sh", ScriptedGuest.UDHCPC_SCRIPT))
                .withNets(List.of(NetConfig.parse("user,mac=" + GUEST_MAC + ",hostfwd=tcp:127.0.0.1:" + forward + "-:8080")));
        AtomicReference<String> reply = new AtomicReference<>();
        ScriptedLinux.Console console;
        try {
            console = ScriptedLinux.run(config, 300, guest -> {
                try {
                    guest.waitFor("LISTENING", 240, TimeUnit.SECONDS);
                    reply.set(fetchThroughForward(forward));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } finally {
            server.stop(0);
        }
        assertThat(console.find("^MAC (\\S+)")).isEqualTo(GUEST_MAC);
        assertThat(console.find("^ADDR inet (\\S+)")).isEqualTo("10.0.2.15/24");
        assertThat(console.find("^ROUTE (.*)")).startsWith("default via 10.0.2.2 dev eth0");
        assertThat(console.find("^SHA file ([0-9a-f]{64})")).isEqualTo(HostTools.sha256(file));
        assertThat(reply.get()).isEqualTo(GUEST_REPLY);
        assertThat(console.find("^REQUEST (.*)")).startsWith("GET /hello HTTP/1.0");
    }

    /**
     * GETs /hello from the guest's one-shot server through the host forward. The guest prints
     * LISTENING just before its {@code nc -l} starts, so early attempts may find nobody there
     * (slirp then closes the connection without an answer): retry until the body arrives.
     */
    private static String fetchThroughForward(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write("GET /hello HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                int body = response.indexOf("\r\n\r\n");
                if (response.startsWith("HTTP/1.0 200") && body >= 0) {
                    return response.substring(body + 4);
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        return null;
    }
}
