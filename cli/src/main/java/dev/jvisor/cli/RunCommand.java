package dev.jvisor.cli;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.ImageException;
import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jvisor run}: boots one VM with its serial console on this terminal. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Boot a VM with its serial console on this terminal (Ctrl-A x quits).",
                "Without --kernel, boots the default image: Debian's cloud kernel and a busybox initramfs,",
                "fetched from Debian on first use into the user's cache directory.",
                "Exit status: 0 guest powered off, 2 guest rebooted, 4 guest CPU shut down (triple fault),",
                "6 back-end failure, 1 bad input or host error; with --device debug-exit,",
                "(v << 1) | 1 when the guest writes v to it (QEMU's isa-debug-exit)."},
        footer = {"",
                "Drives (--drive, repeatable; the guest sees /dev/vda, /dev/vdb, ... in order):",
                "  file=PATH         the image (a comma in PATH is written ',,')",
                "  format=raw|qcow2  needed for writable drives unless the name ends in .raw",
                "                    or .qcow2 and the content agrees (a guest could write a",
                "                    qcow2 header into a raw disk); read-only drives are probed",
                "  readonly=on       the guest sees a read-only disk; the file is opened",
                "                    read-only and may be shared (writable images are locked)",
                "  rate=TERM[+TERM]  token buckets: AMOUNT/PERIOD for bytes (10M/s, 1M/100ms),",
                "                    COUNTop/PERIOD for requests (1000op/s); a bucket holds",
                "                    AMOUNT and refills in PERIOD (s, Ns, Nms); K, M, G binary",
                "  burst=AMOUNT[+COUNTop]  one-time extra tokens at start, e.g. 256M+500op",
                "",
                "Network interfaces (--net, repeatable; eth0, eth1, ... in order):",
                "  user              user-mode NAT (libslirp): DHCP gives 10.0.2.15; 10.0.2.2 is",
                "                    the host's loopback, 10.0.2.3 DNS; hostfwd=[tcp|udp]:",
                "                    [HOSTADDR]:PORT-[GUESTADDR]:PORT forwards a host port in",
                "                    (repeatable)",
                "  switch=NAME       a port on this process's virtual switch NAME (MAC-filtered)",
                "  tap[=IFNAME]      a host TAP interface (CAP_NET_ADMIN or a TAP you own)",
                "  mac=52:54:00:12:34:56  the guest's MAC; by default a stable locally",
                "                    administered one derived from the first writable drive",
                "                    (or the network setup) and the interface's index",
                "  rate=..., burst=...  as for drives, for each direction separately",
                "",
                "Every VM has a virtio-rng fed by the host's SecureRandom (--no-rng: none).",
                "",
                "Kernel development (see docs/debugging.md):",
                "  --gdb tcp:127.0.0.1:1234 [--gdb-wait]  then gdb: target remote :1234",
                "  --device debug-exit,iobase=0xf4,iosize=4  a test suite sets the status",
                "  --module FILE[,STRING]  more Multiboot modules (the initrd is module 0)",
                "  --trace insn=start_kernel,exc,io --symbols System.map --trace-file t.txt",
                "Examples:",
                "  jvisor run --drive file=disk.qcow2 --net user,hostfwd=tcp::8022-:22",
                "  jvisor run --drive file=data.img,format=raw,rate=20M/s+2000op/s"})
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

    @Option(names = "--drive", paramLabel = "file=PATH[,format=raw|qcow2][,readonly=on][,rate=..]",
            description = "Add a virtio-blk disk (see below).")
    List<String> drives = new ArrayList<>();

    @Option(names = "--net", paramLabel = "user|switch=NAME|tap[=IF][,mac=..][,hostfwd=..][,rate=..]",
            description = "Add a virtio-net interface (see below).")
    List<String> nets = new ArrayList<>();

    @Option(names = "--no-rng", description = "Leave out the virtio-rng entropy device.")
    boolean noRng;

    @Option(names = "--channel", paramLabel = "socket=PATH",
            description = "Add a virtio-console channel (the guest's /dev/hvc0, hvc1, ...) whose host end is a "
                    + "Unix socket created at PATH (0600), e.g. socat - UNIX-CONNECT:PATH. Repeatable.")
    java.util.List<String> channels = new java.util.ArrayList<>();

    @Mixin
    HarnessOptions harness = new HarnessOptions();

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        VmConfig.Accel acc;
        try {
            acc = VmConfig.Accel.parse(accel);
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
        acc = harness.accel(acc);
        List<DriveConfig> driveConfigs = DeviceArguments.drives(drives);
        List<NetConfig> netConfigs = DeviceArguments.nets(nets);
        VmConfig config = harness.apply(config(err, acc).withDrives(driveConfigs).withNets(netConfigs).withRng(!noRng)
                .withChannels(channelPaths()));
        Hypervisor hv = Accelerators.choose(acc, err);
        SerialConsole console = new SerialConsole();
        try (hv; SerialConsole.Output out = new SerialConsole.Output();
             VirtualMachine vm = MachineBuilder.build(config, hv, out);
             HarnessOptions.Attached debugging = harness.attach(vm, err)) {
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

    private java.util.List<java.nio.file.Path> channelPaths() throws VmException {
        java.util.List<java.nio.file.Path> paths = new java.util.ArrayList<>();
        for (String spec : channels) {
            if (!spec.startsWith("socket=") || spec.length() == "socket=".length()) {
                throw new VmException("--channel takes socket=PATH, not '" + spec + "'");
            }
            paths.add(java.nio.file.Path.of(spec.substring("socket=".length())));
        }
        return paths;
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
