package dev.jvisor.cli;

import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.server.Daemon;
import dev.jvisor.server.bench.LifecycleBench;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.manager.HostBudget;
import dev.jvisor.vmm.VmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench lifecycle}: creates, starts to the first guest exit, stops and deletes tiny
 * KVM VMs through the daemon's API for a while, then measures the daemon's memory overhead per
 * running VM. Uses the daemon given with {@code --socket}, or starts one in this process with a
 * temporary state directory.
 */
@Command(name = "lifecycle", mixinStandardHelpOptions = true,
        description = {"VMs per second through the daemon API (create, start to the first guest exit, stop,",
                "delete) and the daemon's memory overhead per running VM. Reference: Firecracker",
                "publishes 150 microVMs/s per host and under 5 MiB overhead per microVM."})
final class BenchLifecycle implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "10", paramLabel = "S", description = "How long to cycle VMs (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--clients", defaultValue = "4", paramLabel = "N", description = "Concurrent API clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--running", defaultValue = "50", paramLabel = "N", description = "VMs kept running for the overhead (default ${DEFAULT-VALUE}).")
    int running;

    @Option(names = "--accel", defaultValue = "kvm", paramLabel = "kvm|emu", description = "Back end of the tiny VMs (default ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--use-daemon", description = "Use the running daemon (see --socket) instead of starting one in this process.")
    boolean useDaemon;

    @Mixin
    ClientOptions client = new ClientOptions();

    @Override
    public Integer call() throws Exception {
        if (seconds <= 0 || seconds > 3600 || clients < 1 || clients > 256 || running < 0 || running > 10_000) {
            throw new VmException("--seconds must be in (0, 3600], --clients 1-256, --running 0-10000");
        }
        if (!accel.equals("kvm") && !accel.equals("emu")) {
            throw new VmException("--accel must be kvm or emu");
        }
        if (accel.equals("kvm")) {
            try (KvmHypervisor kvm = new KvmHypervisor()) {
                if (!kvm.availability().present()) {
                    throw new VmException("KVM is not usable here (" + kvm.availability().reason() + "); try --accel emu");
                }
            }
        }
        Path tmp = Files.createTempDirectory("jvisor-bench-");
        Daemon daemon = null;
        try {
            Path kernel = tmp.resolve("tiny.elf");
            Files.write(kernel, TinyKernels.kernel("R", TinyKernels.Ending.HALT));
            ApiClient api;
            if (useDaemon) {
                api = client.client();
            } else {
                daemon = Daemon.start(Daemon.Config.defaults(tmp.resolve("state"))
                        .withBudget(new HostBudget(Math.max(HostBudget.ofHost().usage().memoryBytes(), 64L << 30), 1 << 16)));
                api = ApiClient.unix(daemon.socket());
            }
            LifecycleBench.Result r = new LifecycleBench(api, kernel.toString(), accel).run(seconds, clients, running, System.out);
            System.out.printf(Locale.ROOT, "lifecycle: %.1f VMs/s (%s, %d clients, mean cycle %.1f ms); Firecracker: 150 VMs/s%n",
                    r.vmsPerSecond(), accel, clients, r.meanMillis());
            System.out.printf(Locale.ROOT, "lifecycle: overhead %.2f MiB per running VM (%d VMs); Firecracker: < 5 MiB%n",
                    r.overheadBytesPerVm() / 1048576.0, r.runningVms());
            return 0;
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            TempFiles.deleteTree(tmp);
        }
    }
}
