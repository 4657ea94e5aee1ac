package dev.jvisor.cli;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.InitScript;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import dev.jvisor.vmm.bench.BootBench;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench boot}: boots the default image until {@code /init} prints its ready line and
 * prints wall time and guest MIPS; with {@code --vs-qemu} also boots it under QEMU (TCG) in the same
 * run and prints the ratio as the last line.
 */
@Command(name = "boot", mixinStandardHelpOptions = true,
        description = "Time a boot of the default image to its /init, optionally against QEMU (TCG).")
final class BenchBoot implements Callable<Integer> {
    @Option(names = "--accel", defaultValue = "emu", paramLabel = "kvm|emu|auto", description = "Back end (default ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--vs-qemu", description = "Also boot under qemu-system-x86_64 -accel tcg and print jvisor/QEMU.")
    boolean vsQemu;

    @Option(names = "--mem", defaultValue = "256M", converter = Sizes.class, paramLabel = "SIZE", description = "Guest RAM (default ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--runs", defaultValue = "1", paramLabel = "N", description = "Boots per system; the best is reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    long timeout;

    @Override
    public Integer call() throws Exception {
        if (runs < 1) {
            throw new VmException("--runs must be at least 1");
        }
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> System.err.println("jvisor: " + m));
        VmConfig.Accel acc = VmConfig.Accel.parse(accel);
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline(), memory, 1, acc);
        String marker = InitScript.READY_LINE;
        BootBench.Result best = null;
        String backend;
        try (Hypervisor hv = Accelerators.choose(acc, System.err)) {
            backend = hv.name();
            for (int i = 0; i < runs; i++) {
                BootBench.Result r = BootBench.jvisor(config, hv, marker, timeout, null);
                System.out.printf("boot (jvisor %s) run %d: %.2f s to '%s'%s, vCPU thread CPU %.2f s%n", backend,
                        i + 1, r.seconds(), marker, r.instructions() > 0 ? String.format(
                                ", %.0f M guest instructions, %.1f MIPS", r.instructions() / 1e6, r.mips()) : "",
                        r.vcpuCpuSeconds());
                if (best == null || r.seconds() < best.seconds()) {
                    best = r;
                }
            }
        }
        if (!vsQemu) {
            System.out.printf("boot: %.2f s%n", best.seconds());
            return 0;
        }
        BootBench.Result bestQemu = null;
        for (int i = 0; i < runs; i++) {
            BootBench.Result q = BootBench.qemu(image.kernel(), image.initrd(), image.cmdline(), memory, 1, marker, timeout);
            System.out.printf("boot (qemu-system-x86_64 tcg) run %d: %.2f s to '%s'%n", i + 1, q.seconds(), marker);
            if (bestQemu == null || q.seconds() < bestQemu.seconds()) {
                bestQemu = q;
            }
        }
        System.out.printf("boot-vs-qemu: %.2f%n", best.seconds() / bestQemu.seconds());
        return 0;
    }
}
