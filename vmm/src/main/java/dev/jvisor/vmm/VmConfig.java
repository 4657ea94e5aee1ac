package dev.jvisor.vmm;

import dev.jvisor.machine.boot.BootModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a single VM is made of, as the user asked for it (already parsed; validated by
 * {@link MachineBuilder}).
 *
 * @param kernel      the kernel image (bzImage, ELF vmlinux or Multiboot)
 * @param initrd      an initial ramdisk (or Multiboot module 0)
 * @param cmdline     the kernel command line
 * @param memoryBytes guest RAM in bytes
 * @param vcpus       number of vCPUs
 * @param accel       which back end runs the vCPUs
 * @param drives      virtio-blk disks, in the order the guest sees them
 * @param nets        virtio-net interfaces, in the order the guest sees them
 * @param rng         whether the VM has a virtio-rng entropy device
 * @param modules     Multiboot modules after the initrd (module 0 when given), in order
 * @param debugExits  QEMU-compatible debug-exit ports (test harnesses)
 * @param channels    virtio-console channels: Unix socket paths the host connects to
 */
public record VmConfig(Path kernel, Optional<Path> initrd, String cmdline, long memoryBytes, int vcpus,
                       Accel accel, List<DriveConfig> drives, List<NetConfig> nets, boolean rng,
                       List<BootModule> modules, List<DebugExitConfig> debugExits, List<Path> channels) {
    public VmConfig {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(accel, "accel");
        drives = List.copyOf(drives);
        nets = List.copyOf(nets);
        modules = List.copyOf(modules);
        debugExits = List.copyOf(debugExits);
        channels = List.copyOf(channels);
    }

    /** A VM with no drives, no network interfaces and a virtio-rng. */
    public VmConfig(Path kernel, Optional<Path> initrd, String cmdline, long memoryBytes, int vcpus, Accel accel) {
        this(kernel, initrd, cmdline, memoryBytes, vcpus, accel, List.of(), List.of(), true, List.of(), List.of(),
                List.of());
    }

    /** This configuration with these drives instead. */
    public VmConfig withDrives(List<DriveConfig> newDrives) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, newDrives, nets, rng,
                modules, debugExits, channels);
    }

    /** This configuration with these network interfaces instead. */
    public VmConfig withNets(List<NetConfig> newNets) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, drives, newNets, rng,
                modules, debugExits, channels);
    }

    /** This configuration with or without the virtio-rng. */
    public VmConfig withRng(boolean withRng) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, drives, nets, withRng,
                modules, debugExits, channels);
    }

    /** This configuration with these Multiboot modules (after the initrd) instead. */
    public VmConfig withModules(List<BootModule> newModules) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, drives, nets, rng, newModules,
                debugExits, channels);
    }

    /** This configuration with these debug-exit ports instead. */
    public VmConfig withDebugExits(List<DebugExitConfig> newDebugExits) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, drives, nets, rng, modules,
                newDebugExits, channels);
    }

    /** This configuration with these virtio-console channels (socket paths) instead. */
    public VmConfig withChannels(List<Path> newChannels) {
        return new VmConfig(kernel, initrd, cmdline, memoryBytes, vcpus, accel, drives, nets, rng, modules,
                debugExits, newChannels);
    }

    /** The back-end choice of {@code --accel}. */
    public enum Accel {
        /** KVM if it can run an operating system here, else the emulator. */
        AUTO,
        KVM,
        EMU;

        public static Accel parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> AUTO;
                case "kvm" -> KVM;
                case "emu", "tcg" -> EMU;
                default -> throw new IllegalArgumentException("--accel must be kvm, emu or auto, not '" + s + "'");
            };
        }
    }
}
