package dev.jvisor.cli;

import dev.jvisor.server.Daemon;
import dev.jvisor.server.manager.HostBudget;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvisor daemon}: the hypervisor service, serving its REST API until stopped (SIGTERM/SIGINT). */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Run the jvisor service: many VMs, a REST API (OpenAPI at /openapi.json) on a Unix",
                "socket (mode 0600), optionally on TCP with a bearer token and TLS. VM definitions and",
                "console logs live in the state directory; stopping the daemon stops its VMs."},
        footer = {"", "Examples:",
                "  jvisor daemon &",
                "  jvisor vm create web --mem 256M --kernel /boot/vmlinuz --net switch=lan0",
                "  jvisor daemon --listen 127.0.0.1:7070 --token-file token --tls-cert c.pem --tls-key k.pem"})
final class DaemonCommand implements Callable<Integer> {
    @Option(names = "--state-dir", paramLabel = "DIR", description = "State directory (default: $XDG_DATA_HOME/jvisor or ~/.local/share/jvisor).")
    Path stateDir;

    @Option(names = "--socket", paramLabel = "PATH", description = "Unix socket (default: STATE_DIR/jvisor.sock).")
    Path socket;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Also listen on TCP (needs --token-file).")
    String listen;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token TCP clients must send (16+ characters).")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "TLS certificate chain for --listen.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "TLS private key (PKCS#8) for --listen.")
    Path tlsKey;

    @Option(names = "--memory-budget", paramLabel = "SIZE", converter = Sizes.class,
            description = "Guest memory the host gives to VMs (default: host RAM minus 1/8).")
    Long memoryBudget;

    @Option(names = "--vcpu-budget", paramLabel = "N", description = "vCPUs the host gives to VMs (default: 4 per host CPU).")
    Integer vcpuBudget;

    @Option(names = "--workers", paramLabel = "N", description = "Host threads for emulated vCPUs (default: one per host CPU).")
    Integer workers;

    @Option(names = "--log-size", paramLabel = "SIZE", converter = Sizes.class, defaultValue = "1M",
            description = "Console log size at which it rotates (default ${DEFAULT-VALUE}).")
    long logSize;

    @Option(names = "--log-keep", paramLabel = "N", defaultValue = "3", description = "Rotated console logs kept (default ${DEFAULT-VALUE}).")
    int logKeep;

    @Override
    public Integer call() throws Exception {
        Path state = stateDir != null ? stateDir : Daemon.defaultStateDir();
        Daemon.Config config = Daemon.Config.defaults(state);
        if (socket != null) {
            config = config.withSocket(socket);
        }
        HostBudget host = HostBudget.ofHost();
        if (memoryBudget != null || vcpuBudget != null) {
            config = config.withBudget(new HostBudget(memoryBudget != null ? memoryBudget : host.usage().memoryBytes(),
                    vcpuBudget != null ? vcpuBudget : host.usage().vcpus()));
        }
        if (workers != null) {
            if (workers < 1 || workers > 1024) {
                throw new VmException("--workers must be between 1 and 1024");
            }
            config = config.withWorkers(workers);
        }
        if (logSize < 1024 || logKeep < 0) {
            throw new VmException("--log-size must be at least 1K and --log-keep not negative");
        }
        config = config.withLogs(logSize, logKeep);
        if (listen != null) {
            int colon = listen.lastIndexOf(':');
            if (colon <= 0) {
                throw new VmException("--listen must be HOST:PORT, not '" + listen + "'");
            }
            if (tokenFile == null) {
                throw new VmException("--listen needs --token-file: TCP clients must authenticate");
            }
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new VmException("--tls-cert and --tls-key go together");
            }
            String token;
            try {
                token = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                throw new VmException("cannot read --token-file: " + e.getMessage());
            }
            int port;
            try {
                port = Integer.parseInt(listen.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new VmException("--listen must be HOST:PORT, not '" + listen + "'");
            }
            config = config.withTcp(new InetSocketAddress(listen.substring(0, colon), port), token, tlsCert, tlsKey);
        } else if (tokenFile != null || tlsCert != null || tlsKey != null) {
            throw new VmException("--token-file, --tls-cert and --tls-key are for --listen");
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(config);
        } catch (IOException e) {
            throw new VmException("cannot start the daemon: " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "daemon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("jvisor: daemon serving on " + daemon.socket()
                + (daemon.tcpAddress() != null ? " and " + daemon.tcpAddress() + (tlsCert != null ? " (TLS)" : "") : "")
                + ", state in " + state);
        stopped.await();
        return 0;
    }
}
