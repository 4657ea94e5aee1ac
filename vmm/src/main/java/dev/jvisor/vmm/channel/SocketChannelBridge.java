package dev.jvisor.vmm.channel;

import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host end of a virtio-console channel: a Unix domain socket that one host program at a time
 * connects to (e.g. {@code socat - UNIX-CONNECT:PATH}); what it writes reaches the guest's
 * {@code /dev/hvc0}, and what the guest writes there reaches it. Guest output while nobody is
 * connected is dropped, as on a serial line with nothing attached. The socket is created with
 * permissions 0600 and removed on close.
 */
public final class SocketChannelBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SocketChannelBridge.class);

    private final Path path;
    private final ServerSocketChannel server;
    private final PipedOutputStream toGuest = new PipedOutputStream();
    private final PipedInputStream guestInput;
    private final Thread acceptor;
    private volatile SocketChannel client;
    private volatile boolean closed;

    private SocketChannelBridge(Path path, ServerSocketChannel server) throws IOException {
        this.path = path;
        this.server = server;
        this.guestInput = new PipedInputStream(toGuest, 64 * 1024);
        this.acceptor = Thread.ofVirtual().name("channel-" + path.getFileName()).start(this::serve);
    }

    /**
     * Creates the socket at {@code path}.
     *
     * @throws VmException if something already exists there or the socket cannot be made
     */
    public static SocketChannelBridge open(Path path) throws VmException {
        if (Files.exists(path)) {
            throw new VmException("channel socket " + path + " already exists (remove it, or choose another path)");
        }
        try {
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            return new SocketChannelBridge(path, server);
        } catch (IOException | UnsupportedOperationException e) {
            throw new VmException("cannot create the channel socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    /** What the guest writes: forwarded to the connected program, or dropped. */
    public OutputStream guestOutput() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] data, int off, int len) {
                SocketChannel c = client;
                if (c == null) {
                    return;
                }
                try {
                    ByteBuffer buf = ByteBuffer.wrap(data, off, len);
                    while (buf.hasRemaining()) {
                        c.write(buf);
                    }
                } catch (IOException e) {
                    disconnect(c); // the program went away; later output is dropped
                }
            }
        };
    }

    /** What the connected program sends, for the guest. */
    public InputStream guestInput() {
        return guestInput;
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("channel {}: accept failed: {}", path, e.getMessage());
                }
                return;
            }
            client = c;
            try {
                while (true) {
                    buf.clear();
                    int n = c.read(buf);
                    if (n < 0) {
                        break;
                    }
                    toGuest.write(buf.array(), 0, n);
                    toGuest.flush();
                }
            } catch (IOException e) {
                // the program or the guest side went away
            } finally {
                disconnect(c);
            }
        }
    }

    private void disconnect(SocketChannel c) {
        if (client == c) {
            client = null;
        }
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        SocketChannel c = client;
        if (c != null) {
            disconnect(c);
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing channel {}: {}", path, e.getMessage());
        }
        try {
            toGuest.close();
        } catch (IOException e) {
            // the device stopped reading
        }
        acceptor.interrupt();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove channel socket {}: {}", path, e.getMessage());
        }
    }
}
