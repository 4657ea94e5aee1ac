package dev.jvisor.cli;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import dev.jvisor.vmm.bench.BlockBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench blk}: guest-visible virtio-blk throughput (direct-I/O dd of fresh raw and
 * qcow2 scratch disks) with the host CPU time it costs per MiB.
 */
@Command(name = "blk", mixinStandardHelpOptions = true,
        description = {"Measure virtio-blk throughput as the guest sees it: the default image writes then reads",
                "SIZE on a fresh scratch disk per format with dd and O_DIRECT; prints MiB/s and the host CPU",
                "time per MiB (the whole process, and the part outside the vCPU threads)."})
final class BenchBlk implements Callable<Integer> {
    @Option(names = "--accel", defaultValue = "emu", paramLabel = "kvm|emu|auto", description = "Back end (default ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--size", defaultValue = "64M", converter = Sizes.class, paramLabel = "SIZE",
            description = "Bytes to write and read per disk, whole MiB (default ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--format", defaultValue = "raw,qcow2", split = ",", paramLabel = "raw|qcow2",
            description = "Scratch disk formats, one disk each (default ${DEFAULT-VALUE}).")
    List<String> formats;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the scratch disks (default: a temporary directory, removed after).")
    Path dir;

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
        List<DiskFormat> fmts = new ArrayList<>();
        for (String f : formats) {
            try {
                fmts.add(DiskFormat.parse(f.trim()));
            } catch (IllegalArgumentException e) {
                throw new VmException("--format: " + e.getMessage());
            }
        }
        VmConfig.Accel acc = VmConfig.Accel.parse(accel);
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> System.err.println("jvisor: " + m));
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("jvisor-bench-blk");
        try (Hypervisor hv = Accelerators.choose(acc, System.err)) {
            var results = BlockBench.run(image, hv, new BlockBench.Options(fmts, (int) (size >> 20), work, memory, timeout,
                    showConsole ? System.out : null));
            for (BlockBench.Result r : results) {
                print("write", r.format(), r.bytes(), r.write(), r.guestWriteReport(), hv.name());
                print("read", r.format(), r.bytes(), r.read(), r.guestReadReport(), hv.name());
            }
        } finally {
            if (dir == null) {
                TempFiles.deleteTree(work);
            }
        }
        return 0;
    }

    private static void print(String what, DiskFormat f, long bytes, dev.jvisor.vmm.bench.HostSample.Span s,
                              String guestReport, String backend) {
        System.out.printf(Locale.ROOT, "blk %-5s %-5s (%s): %d MiB in %.2f s = %.2f MiB/s; host CPU %.1f ms/MiB"
                        + " (%.1f ms/MiB outside vCPU threads); guest dd: %s%n", what, f.id(), backend, bytes >> 20,
                s.seconds(), s.mibPerSecond(bytes), s.cpuMillisPerMib(bytes), s.nonVcpuCpuMillisPerMib(bytes), guestReport);
    }
}
