package dev.jvisor.cli;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import dev.jvisor.vmm.bench.HostSample;
import dev.jvisor.vmm.bench.NetBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench net}: guest-visible virtio-net throughput through user-mode networking, each
 * direction, with the host CPU time it costs per MiB.
 */
@Command(name = "net", mixinStandardHelpOptions = true,
        description = {"Measure virtio-net throughput as the guest sees it over --net user: the default image",
                "streams SIZE to a TCP server on the host's loopback (nc) and fetches SIZE from another (wget);",
                "prints MiB/s and the host CPU time per MiB (the whole process, and outside the vCPU threads)."})
final class BenchNet implements Callable<Integer> {
    @Option(names = "--accel", defaultValue = "emu", paramLabel = "kvm|emu|auto", description = "Back end (default ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--size", defaultValue = "64M", converter = Sizes.class, paramLabel = "SIZE",
            description = "Bytes per direction, whole MiB (default ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--mem", defaultValue = "256M", converter = Sizes.class, paramLabel = "SIZE", description = "Guest RAM (default ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--timeout", defaultValue = "900", paramLabel = "SECONDS", description = "Limit per step (default ${DEFAULT-VALUE}).")
    long timeout;

    @Option(names = "--console", description = "Show the guest console.")
    boolean showConsole;

    @Override
    public Integer call() throws Exception {
        if (size % (1 << 20) != 0 || size > (4096L << 20)) {
            throw new VmException("--size must be whole MiB, at most 4G");
        }
        VmConfig.Accel acc = VmConfig.Accel.parse(accel);
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> System.err.println("jvisor: " + m));
        Path work = Files.createTempDirectory("jvisor-bench-net");
        try (Hypervisor hv = Accelerators.choose(acc, System.err)) {
            NetBench.Result r = NetBench.run(image, hv, new NetBench.Options((int) (size >> 20), work, memory, timeout,
                    showConsole ? System.out : null));
            if (r.receivedByHost() != r.bytes()) {
                throw new VmException("the host received " + r.receivedByHost() + " of the " + r.bytes() + " bytes the guest sent");
            }
            print("guest->host", r.bytes(), r.guestToHost(), hv.name());
            print("host->guest", r.bytes(), r.hostToGuest(), hv.name());
        } finally {
            TempFiles.deleteTree(work);
        }
        return 0;
    }

    private static void print(String what, long bytes, HostSample.Span s, String backend) {
        System.out.printf(Locale.ROOT, "net %s (user, %s): %d MiB in %.2f s = %.2f MiB/s; host CPU %.1f ms/MiB"
                        + " (%.1f ms/MiB outside vCPU threads)%n", what, backend, bytes >> 20, s.seconds(),
                s.mibPerSecond(bytes), s.cpuMillisPerMib(bytes), s.nonVcpuCpuMillisPerMib(bytes));
    }
}
