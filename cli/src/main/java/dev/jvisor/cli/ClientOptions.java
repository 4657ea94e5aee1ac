package dev.jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.Daemon;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.http.TlsContexts;
import dev.jvisor.server.json.Json;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a client command reaches the daemon: its Unix socket (default {@code $JVISOR_SOCKET}, else
 * the default state directory's {@code jvisor.sock}), or TCP with a bearer token (and TLS with a CA
 * certificate). Errors from the daemon become a {@link VmException} with the daemon's message, which
 * the command line prints as one line with exit status 1.
 */
final class ClientOptions {
    @Option(names = "--socket", paramLabel = "PATH", description = "The daemon's Unix socket.")
    Path socket;

    @Option(names = "--host", paramLabel = "HOST:PORT", description = "Reach the daemon over TCP instead.")
    String host;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token (with --host).")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "PEM", description = "Use TLS with --host, trusting this certificate.")
    Path tlsCa;

    ApiClient client() throws VmException {
        if (host == null) {
            Path s = socket;
            if (s == null) {
                String env = System.getenv("JVISOR_SOCKET");
                s = env != null && !env.isBlank() ? Path.of(env) : Daemon.defaultStateDir().resolve("jvisor.sock");
            }
            return ApiClient.unix(s);
        }
        int colon = host.lastIndexOf(':');
        if (colon <= 0) {
            throw new VmException("--host must be HOST:PORT, not '" + host + "'");
        }
        int port;
        try {
            port = Integer.parseInt(host.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new VmException("--host must be HOST:PORT, not '" + host + "'");
        }
        if (tokenFile == null) {
            throw new VmException("--host needs --token-file (the daemon's bearer token)");
        }
        try {
            String token = Files.readString(tokenFile).strip();
            return ApiClient.tcp(new InetSocketAddress(host.substring(0, colon), port), token,
                    tlsCa == null ? null : TlsContexts.trusting(tlsCa).getSocketFactory());
        } catch (IOException e) {
            throw new VmException("cannot read " + (tlsCa != null ? "--token-file or --tls-ca" : "--token-file") + ": " + e.getMessage());
        }
    }

    /** Calls the daemon; a non-2xx answer becomes a VmException with the daemon's message. */
    ApiClient.Response call(String method, String path, String body) throws VmException {
        ApiClient.Response r;
        try {
            r = client().send(method, path, body);
        } catch (IOException e) {
            throw new VmException("cannot reach the jvisor daemon (" + where() + "): " + e.getMessage()
                    + " (is 'jvisor daemon' running?)");
        }
        if (r.status() >= 300) {
            String message = r.text();
            try {
                JsonNode err = Json.mapper().readTree(r.body());
                if (err != null && err.has("error")) {
                    message = err.get("error").asText();
                }
            } catch (IOException e) {
                // not JSON: show the text
            }
            throw new VmException(message.isBlank() ? "the daemon answered " + r.status() : message);
        }
        return r;
    }

    JsonNode json(String method, String path, String body) throws VmException {
        ApiClient.Response r = call(method, path, body);
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new VmException("the daemon sent an unreadable answer: " + e.getMessage());
        }
    }

    String where() {
        if (host != null) {
            return host;
        }
        if (socket != null) {
            return socket.toString();
        }
        String env = System.getenv("JVISOR_SOCKET");
        return env != null && !env.isBlank() ? env : Daemon.defaultStateDir().resolve("jvisor.sock").toString();
    }
}
