package dev.jvisor.vmm;

import java.nio.file.Path;
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
 */
public record VmConfig(Path kernel, Optional<Path> initrd, String cmdline, long memoryBytes, int vcpus,
                       Accel accel) {
    public VmConfig {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(accel, "accel");
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
