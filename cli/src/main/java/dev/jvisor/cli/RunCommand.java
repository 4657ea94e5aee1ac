package dev.jvisor.cli;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.ImageException;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvisor run}: boots one VM with its serial console on this terminal. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Boot a VM with its serial console on this terminal (Ctrl-A x quits).",
                "Without --kernel, boots the default image: Debian's cloud kernel and a busybox initramfs,",
                "fetched from Debian on first use into the user's cache directory.",
                "Exit status: 0 guest powered off, 2 guest rebooted, 4 guest CPU shut down (triple fault),",
                "6 back-end failure, 1 bad input or host error."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", paramLabel = "FILE", description = "Kernel: Linux bzImage, ELF vmlinux (PVH) or Multiboot ELF.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk (Multiboot: module 0).")
    Path initrd;

    @Option(names = "--append", paramLabel = "CMDLINE", description = "Kernel command line (added to the default image's).")
    String append;

    @Option(names = "--mem", paramLabel = "SIZE", defaultValue = "256M", converter = Sizes.class,
            description = "Guest RAM, e.g. 256M or 2G (default ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Number of vCPUs (default ${DEFAULT-VALUE}).")
    int cpus;

    @Option(names = "--accel", paramLabel = "kvm|emu|auto", defaultValue = "auto",
            description = "Back end: kvm, emu (pure-Java emulator) or auto (default: KVM when it can run the guest).")
    String accel;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        VmConfig.Accel acc;
        try {
            acc = VmConfig.Accel.parse(accel);
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
        VmConfig config = config(err, acc);
        Hypervisor hv = Accelerators.choose(acc, err);
        SerialConsole console = new SerialConsole();
        try (hv; SerialConsole.Output out = new SerialConsole.Output();
             VirtualMachine vm = MachineBuilder.build(config, hv, out)) {
            console.attach(vm);
            vm.start();
            ExitReason reason = vm.awaitExit();
            console.close();
            out.flush();
            err.println((console.isTerminal() ? "\r\n" : "") + "jvisor: " + reason.describe());
            return reason.exitStatus();
        } finally {
            console.close();
        }
    }

    private VmConfig config(PrintStream err, VmConfig.Accel acc) throws VmException {
        if (kernel == null) {
            if (initrd != null) {
                throw new VmException("--initrd needs --kernel (the default image brings its own initramfs)");
            }
            DefaultImage image;
            try {
                image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), msg -> err.println("jvisor: " + msg));
            } catch (ImageException e) {
                throw new VmException("cannot prepare the default image: " + e.getMessage(), e);
            }
            String cmdline = append == null ? image.cmdline() : image.cmdline() + " " + append;
            return new VmConfig(image.kernel(), Optional.of(image.initrd()), cmdline, memory, cpus, acc);
        }
        if (!Files.isRegularFile(kernel)) {
            throw new VmException("kernel file " + kernel + " does not exist or is not a regular file");
        }
        if (initrd != null && !Files.isRegularFile(initrd)) {
            throw new VmException("initrd file " + initrd + " does not exist or is not a regular file");
        }
        return new VmConfig(kernel, Optional.ofNullable(initrd), append == null ? "" : append, memory, cpus, acc);
    }
}
