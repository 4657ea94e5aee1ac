package dev.jvisor.server.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for the daemon's APIs, listening on a Unix domain socket (the default:
 * file mode 0600, so only the daemon's user can connect, and a connection needs no token) and
 * optionally on TCP, where every request must carry {@code Authorization: Bearer TOKEN} and TLS is
 * used when an {@link SSLContext} is given.
 *
 * <p>Each connection is served by its own virtual thread: requests on it in order, persistent
 * connections (keep-alive), streamed responses (SSE) and upgrades (the console). At most
 * {@code maxConnections} connections are open at once; more are answered 503 and closed. A handler
 * that throws something other than {@link HttpException} gets a 500 and the server goes on.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** Limits on what a client may send. */
    public record Limits(int maxHeaderBytes, int maxBodyBytes, int maxConnections) {
        public static final Limits DEFAULT = new Limits(32 << 10, 1 << 20, 1024);
    }

    private final HttpHandler handler;
    private final Limits limits;
    private final List<Closeable> listeners = new ArrayList<>();
    private final Set<Closeable> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final List<Path> socketFiles = new ArrayList<>();
    private volatile boolean closed;

    public HttpServer(HttpHandler handler, Limits limits) {
        this.handler = handler;
        this.limits = limits;
    }

    public HttpServer(HttpHandler handler) {
        this(handler, Limits.DEFAULT);
    }

    /**
     * Listens on a Unix domain socket at {@code path} with mode 0600. The socket is bound inside a
     * fresh directory only the owner can enter, given its mode there, and then renamed into place, so
     * nobody can connect in the moment before the mode is set. A stale socket file at {@code path}
     * (left by a killed daemon) is replaced; any other existing file is refused.
     */
    public synchronized void listenUnix(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        if (Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(abs)) {
                throw new IOException(abs + " exists and is not a socket");
            }
            if (isAlive(abs)) {
                throw new IOException("another server is already listening on " + abs);
            }
            Files.delete(abs);
        }
        Files.createDirectories(abs.getParent());
        Path staging = Files.createTempDirectory(abs.getParent(), ".sock-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path temp = staging.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            // A deep backlog: a burst of clients must queue, not fail (a full Unix-socket backlog
            // makes a non-blocking connect fail with EAGAIN instead of waiting).
            server.bind(UnixDomainSocketAddress.of(temp), 1024);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            Files.move(temp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            server.close();
            throw e;
        } finally {
            Files.deleteIfExists(temp);
            Files.deleteIfExists(staging);
        }
        listeners.add(server);
        socketFiles.add(abs);
        Thread.ofPlatform().daemon().name("http-accept-unix").start(() -> acceptUnix(server));
    }

    private static boolean isSocket(Path p) throws IOException {
        Object type = Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return type instanceof Integer mode && (mode & 0xF000) == 0xC000; // S_IFSOCK
    }

    private static boolean isAlive(Path p) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Listens on TCP; every request must carry the bearer {@code token}. With {@code tls} non-null the
     * connection is TLS. Returns the bound address (port 0 picks a free port).
     */
    public synchronized InetSocketAddress listenTcp(InetSocketAddress address, String token, SSLContext tls)
            throws IOException {
        if (token == null || token.length() < 16) {
            throw new IOException("a TCP listener needs a bearer token of at least 16 characters");
        }
        ServerSocket server = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        server.setReuseAddress(true);
        server.bind(address, 1024);
        listeners.add(server);
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("http-accept-tcp").start(() -> acceptTcp(server, expected));
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptUnix(ServerSocketChannel server) {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accept on the Unix socket failed", e);
                }
                continue;
            }
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            spawn(ch, in, out, true, null);
        }
    }

    private void acceptTcp(ServerSocket server, byte[] expectedAuthorization) {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accept on TCP failed", e);
                }
                continue;
            }
            try {
                spawn(s, s.getInputStream(), s.getOutputStream(), false, expectedAuthorization);
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
    }

    private void spawn(Closeable conn, InputStream in, OutputStream out, boolean trusted, byte[] expectedAuth) {
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            try {
                ResponseWriter.fixed(out, (HttpResponse.Fixed) handler.error(503, "too many connections"), false, true);
            } catch (IOException | RuntimeException e) {
                // the client will see the connection close
            }
            closeQuietly(conn);
            return;
        }
        connections.add(conn);
        Thread.ofVirtual().name("http-conn").start(() -> {
            try {
                serve(new BufferedInputStream(in), new BufferedOutputStream(out, 16 << 10), trusted, expectedAuth);
            } catch (IOException e) {
                // the client went away
            } finally {
                connections.remove(conn);
                open.decrementAndGet();
                closeQuietly(conn);
            }
        });
    }

    private void serve(InputStream in, OutputStream out, boolean trusted, byte[] expectedAuth) throws IOException {
        RequestParser parser = new RequestParser(in, out, limits.maxHeaderBytes(), limits.maxBodyBytes(), trusted);
        while (!closed) {
            HttpRequest req;
            try {
                req = parser.next();
            } catch (HttpException e) {
                writeError(out, e.status(), e.getMessage(), true);
                return;
            }
            if (req == null) {
                return;
            }
            boolean close = "close".equalsIgnoreCase(req.header("connection"));
            if (!trusted && !authorized(req, expectedAuth)) {
                HttpResponse.Fixed r = (HttpResponse.Fixed) handler.error(401, "a valid bearer token is required");
                java.util.Map<String, String> h = new java.util.LinkedHashMap<>(r.headers());
                h.put("WWW-Authenticate", "Bearer");
                ResponseWriter.fixed(out, new HttpResponse.Fixed(401, h, r.body()), false, close);
                if (close) {
                    return;
                }
                continue;
            }
            HttpResponse response;
            try {
                response = handler.handle(req);
            } catch (HttpException e) {
                response = handler.error(e.status(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", req.method(), req.path(), e);
                response = handler.error(500, "internal error: " + e);
            }
            boolean head = req.method().equals("HEAD");
            switch (response) {
                case HttpResponse.Fixed f -> ResponseWriter.fixed(out, f, head, close);
                case HttpResponse.Streamed s -> {
                    ResponseWriter.head(out, s.status(), s.headers(), "Transfer-Encoding: chunked", true);
                    out.flush();
                    ResponseWriter.ChunkedStream body = new ResponseWriter.ChunkedStream(out);
                    s.writer().write(body);
                    body.finish();
                    return;
                }
                case HttpResponse.Upgraded u -> {
                    ResponseWriter.head(out, 101, u.headers(), null, false);
                    out.flush();
                    u.session().run(in, out);
                    return;
                }
            }
            if (close) {
                return;
            }
        }
    }

    private static boolean authorized(HttpRequest req, byte[] expected) {
        String auth = req.header("authorization");
        // Constant-time comparison: the token must not leak through response timing.
        return auth != null && MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8), expected);
    }

    private void writeError(OutputStream out, int status, String message, boolean close) {
        try {
            HttpResponse r = handler.error(status, message);
            if (r instanceof HttpResponse.Fixed f) {
                ResponseWriter.fixed(out, f, false, close);
            }
        } catch (IOException | RuntimeException e) {
            // the client is gone
        }
    }

    /** Open connections now (for tests and metrics). */
    public int openConnections() {
        return open.get();
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** Stops listening, closes every connection and removes the socket files. */
    @Override
    public synchronized void close() {
        closed = true;
        listeners.forEach(HttpServer::closeQuietly);
        connections.forEach(HttpServer::closeQuietly);
        for (Path p : socketFiles) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("could not remove {}", p, e);
            }
        }
    }
}
