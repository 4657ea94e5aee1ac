package dev.jvisor.server;

import dev.jvisor.server.api.RestApi;
import dev.jvisor.server.http.HttpServer;
import dev.jvisor.server.http.TlsContexts;
import dev.jvisor.server.manager.HostBudget;
import dev.jvisor.server.manager.VmManager;
import dev.jvisor.server.sched.VcpuScheduler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import javax.net.ssl.SSLContext;

/**
 * The hypervisor service: a {@link VmManager} behind the {@link RestApi}, served on a Unix socket
 * (mode 0600) and optionally on TCP with a bearer token (and TLS with a PEM key pair). One daemon per
 * state directory: a lock file ({@code daemon.lock}, released by the kernel even after a kill -9)
 * keeps a second one out.
 */
public final class Daemon implements AutoCloseable {
    /**
     * What the daemon serves and where.
     *
     * @param stateDir     definitions, console logs, the lock and (by default) the socket
     * @param socket       the Unix socket
     * @param tcp          a TCP address to listen on too, or null
     * @param token        the bearer token TCP clients must send (required with {@code tcp})
     * @param tlsCert      PEM certificate chain for TLS on TCP, or null for plain TCP
     * @param tlsKey       PEM PKCS#8 private key matching {@code tlsCert}
     * @param budget       the host budget for admission control
     * @param workers      emulator scheduler threads
     * @param logMaxBytes  console log rotation size
     * @param logKeep      rotated console logs kept
     */
    public record Config(Path stateDir, Path socket, InetSocketAddress tcp, String token, Path tlsCert, Path tlsKey,
                         HostBudget budget, int workers, long logMaxBytes, int logKeep) {
        /** Defaults for {@code stateDir}: socket inside it, no TCP, the host's budget, one worker per CPU. */
        public static Config defaults(Path stateDir) {
            return new Config(stateDir, stateDir.resolve("jvisor.sock"), null, null, null, null, HostBudget.ofHost(),
                    Runtime.getRuntime().availableProcessors(), 1 << 20, 3);
        }

        public Config withSocket(Path s) {
            return new Config(stateDir, s, tcp, token, tlsCert, tlsKey, budget, workers, logMaxBytes, logKeep);
        }

        public Config withTcp(InetSocketAddress address, String bearer, Path cert, Path key) {
            return new Config(stateDir, socket, address, bearer, cert, key, budget, workers, logMaxBytes, logKeep);
        }

        public Config withBudget(HostBudget b) {
            return new Config(stateDir, socket, tcp, token, tlsCert, tlsKey, b, workers, logMaxBytes, logKeep);
        }

        public Config withWorkers(int w) {
            return new Config(stateDir, socket, tcp, token, tlsCert, tlsKey, budget, w, logMaxBytes, logKeep);
        }

        public Config withLogs(long maxBytes, int keep) {
            return new Config(stateDir, socket, tcp, token, tlsCert, tlsKey, budget, workers, maxBytes, keep);
        }
    }

    private final Config config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final VcpuScheduler scheduler;
    private final VmManager manager;
    private final HttpServer server;
    private final InetSocketAddress tcpAddress;

    private Daemon(Config config) throws IOException {
        this.config = config;
        Files.createDirectories(config.stateDir(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        lockChannel = FileChannel.open(config.stateDir().resolve("daemon.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null; // held by a daemon in this same process
        } catch (IOException e) {
            lockChannel.close();
            throw e;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("another jvisor daemon is using " + config.stateDir());
        }
        lock = l;
        VcpuScheduler sched = null;
        VmManager mgr = null;
        HttpServer http = null;
        try {
            sched = new VcpuScheduler(config.workers(), 10_000_000, 100_000_000);
            mgr = new VmManager(new VmManager.Options(config.stateDir(), config.budget(), sched, config.logMaxBytes(),
                    config.logKeep()));
            http = new HttpServer(new RestApi(mgr));
            http.listenUnix(config.socket());
            InetSocketAddress bound = null;
            if (config.tcp() != null) {
                SSLContext tls = config.tlsCert() == null ? null : TlsContexts.server(config.tlsCert(), config.tlsKey());
                bound = http.listenTcp(config.tcp(), config.token(), tls);
            }
            tcpAddress = bound;
        } catch (IOException | RuntimeException e) {
            if (http != null) {
                http.close();
            }
            if (mgr != null) {
                mgr.close();
            }
            if (sched != null) {
                sched.close();
            }
            lock.release();
            lockChannel.close();
            throw e;
        }
        scheduler = sched;
        manager = mgr;
        server = http;
    }

    /** Starts a daemon; it serves until {@link #close()}. */
    public static Daemon start(Config config) throws IOException {
        return new Daemon(config);
    }

    /** {@code $XDG_DATA_HOME/jvisor}, else {@code ~/.local/share/jvisor} (XDG Base Directory spec). */
    public static Path defaultStateDir() {
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("jvisor");
    }

    public Path socket() {
        return config.socket();
    }

    /** The bound TCP address, or null. */
    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    public VmManager manager() {
        return manager;
    }

    /** Stops serving, stops every running VM (definitions stay) and releases the state directory. */
    @Override
    public void close() {
        server.close();
        manager.close();
        scheduler.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
