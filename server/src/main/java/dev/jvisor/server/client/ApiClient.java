package dev.jvisor.server.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal HTTP/1.1 client for the daemon's API (the JDK's HttpClient cannot speak over a Unix
 * domain socket): one request per connection, bodies framed by Content-Length or chunked. Used by the
 * CLI, the lifecycle benchmark and the tests.
 */
public final class ApiClient {
    private final Path socket;
    private final InetSocketAddress tcp;
    private final String token;
    private final SSLSocketFactory tls;

    private ApiClient(Path socket, InetSocketAddress tcp, String token, SSLSocketFactory tls) {
        this.socket = socket;
        this.tcp = tcp;
        this.token = token;
        this.tls = tls;
    }

    /** A client of the daemon listening on the Unix socket {@code socket}. */
    public static ApiClient unix(Path socket) {
        return new ApiClient(socket, null, null, null);
    }

    /** A client of a TCP listener with a bearer token; {@code tls} null for plain TCP. */
    public static ApiClient tcp(InetSocketAddress address, String token, SSLSocketFactory tls) {
        return new ApiClient(null, address, token, tls);
    }

    /** A response: status, lower-cased header names, body. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** An open connection whose response body (or upgraded stream) is read as it comes. */
    public record Open(int status, Map<String, String> headers, InputStream in, OutputStream out, Closeable connection)
            implements Closeable {
        @Override
        public void close() throws IOException {
            connection.close();
        }
    }

    public Response get(String path) throws IOException {
        return send("GET", path, null);
    }

    /** Sends a request with an optional JSON body and reads the whole response. */
    public Response send(String method, String path, String jsonBody) throws IOException {
        try (Open o = open(method, path, jsonBody, Map.of())) {
            byte[] body = o.in.readAllBytes();
            return new Response(o.status, o.headers, body);
        }
    }

    /**
     * Sends a request and returns once the response head has arrived; the body (decoded if chunked)
     * or, after a 101, the raw stream is read from {@link Open#in()}.
     */
    public Open open(String method, String path, String jsonBody, Map<String, String> extraHeaders) throws IOException {
        Closeable conn;
        InputStream rawIn;
        OutputStream rawOut;
        if (socket != null) {
            SocketChannel ch = connectUnix();
            conn = ch;
            rawIn = Channels.newInputStream(ch);
            rawOut = Channels.newOutputStream(ch);
        } else {
            Socket s = tls != null ? tls.createSocket() : new Socket();
            s.connect(tcp, 10_000);
            conn = s;
            rawIn = s.getInputStream();
            rawOut = s.getOutputStream();
        }
        try {
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder();
            req.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
            if (token != null) {
                req.append("Authorization: Bearer ").append(token).append("\r\n");
            }
            if (jsonBody != null) {
                req.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            boolean upgrade = extraHeaders.containsKey("Upgrade");
            for (Map.Entry<String, String> h : extraHeaders.entrySet()) {
                req.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (!upgrade) {
                req.append("Connection: close\r\n");
            }
            req.append("\r\n");
            rawOut.write(req.toString().getBytes(StandardCharsets.UTF_8));
            rawOut.write(body);
            rawOut.flush();
            BufferedInputStream in = new BufferedInputStream(rawIn);
            String status = line(in);
            if (status == null || !status.startsWith("HTTP/1.1 ") || status.length() < 12) {
                throw new IOException("the daemon sent no valid HTTP response");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            Map<String, String> headers = new HashMap<>();
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.put(l.substring(0, colon).toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
                }
            }
            InputStream bodyIn;
            if (code == 101) {
                bodyIn = in;
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                bodyIn = new ChunkedInput(in);
            } else if (headers.containsKey("content-length")) {
                bodyIn = new BoundedInput(in, Long.parseLong(headers.get("content-length")));
            } else {
                bodyIn = in;
            }
            return new Open(code, headers, bodyIn, rawOut, conn);
        } catch (IOException | RuntimeException e) {
            conn.close();
            throw e instanceof IOException io ? io : new IOException("bad response from the daemon: " + e, e);
        }
    }

    /**
     * Connects to the Unix socket, retrying briefly while its backlog is full (connect(2) then fails
     * with EAGAIN for non-blocking sockets, which virtual threads use).
     */
    private SocketChannel connectUnix() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(socket));
            } catch (java.net.SocketException e) {
                if (attempt >= 50 || e.getMessage() == null || !e.getMessage().contains("temporarily unavailable")) {
                    throw e;
                }
                try {
                    Thread.sleep(2L + attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    /** A body of known length. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = in.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** Decodes chunked transfer coding (RFC 9112 §7.1). */
    private static final class ChunkedInput extends InputStream {
        private final InputStream in;
        private long chunkLeft;
        private boolean done;

        ChunkedInput(InputStream in) {
            this.in = in;
        }

        private boolean fill() throws IOException {
            if (done) {
                return false;
            }
            if (chunkLeft == 0) {
                String size = line(in);
                if (size == null) {
                    done = true;
                    return false;
                }
                if (size.isEmpty()) { // the CRLF after the previous chunk
                    size = line(in);
                    if (size == null) {
                        done = true;
                        return false;
                    }
                }
                int semi = size.indexOf(';');
                chunkLeft = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
                if (chunkLeft == 0) {
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (!fill()) {
                return -1;
            }
            int c = in.read();
            if (c >= 0) {
                chunkLeft--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!fill()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n > 0) {
                chunkLeft -= n;
            }
            return n;
        }
    }
}
