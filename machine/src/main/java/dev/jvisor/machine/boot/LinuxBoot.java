package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The steps the bzImage and ELF vmlinux loaders share: the boot structures of the 64-bit boot
 * protocol (GDT, identity page tables, zero page, command line), the initrd, and long-mode entry.
 */
final class LinuxBoot {
    /** Default initrd ceiling of kernels that do not say otherwise (boot.rst: initrd_addr_max). */
    static final long DEFAULT_INITRD_ADDR_MAX = 0x7FFF_FFFFL;

    /** One past the last byte the boot page tables identity-map ({@link BootCpuState#writeIdentityPageTables}). */
    static final long IDENTITY_MAPPED_END = (long) BOOT_PD_COUNT << 30;

    private LinuxBoot() {
    }

    /**
     * Refuses a kernel range the long-mode entry could not reach: boot.rst's 64-bit protocol needs
     * the kernel identity mapped, and the boot page tables map only the first 4 GiB.
     */
    static void requireIdentityMapped(String what, long address, long size) throws KernelLoadException {
        if (address < 0 || size < 0 || size > IDENTITY_MAPPED_END - Math.min(address, IDENTITY_MAPPED_END)) {
            throw new KernelLoadException(String.format(
                    "%s [0x%x-0x%x) reaches above 4 GiB, but a 64-bit entry has only the first 4 GiB identity mapped",
                    what, address, address + size));
        }
    }

    /** Claims the boot structures and writes the command line, before the kernel is placed. */
    static void prepare(GuestPlacement placement, String cmdline, long cmdlineSize) throws KernelLoadException {
        BootCpuState.writeGdtAndStack(placement);
        BootCpuState.writeIdentityPageTables(placement);
        placement.claim("zero page", ZERO_PAGE, ZeroPage.SIZE);
        CommandLine.write(placement, cmdline, cmdlineSize, "kernel's cmdline_size");
    }

    /**
     * Loads the initrd as high as {@code initrdAddrMax} and RAM allow, completes and writes the
     * zero page, and returns the long-mode entry state.
     */
    static BootSetup finish(KernelFormat format, long entry, ZeroPage zeroPage, long initrdAddrMax,
                            Optional<Path> initrd, GuestPlacement placement, BootOptions options)
            throws KernelLoadException {
        if (initrd.isPresent()) {
            Path path = initrd.get();
            long size = ImageFiles.size(path, "initrd");
            // Page aligned, entirely at or below initrd_addr_max (boot.rst: "the highest address
            // that may be occupied by the initial ramdisk/ramfs contents").
            long limit = Math.min(initrdAddrMax, HIGH_RAM_START - 1) + 1;
            LoadedRegion region = placement.placeHigh("initrd", size, 4096, limit);
            ImageFiles.copyInto(path, "initrd", placement.memory(), region.address(), size);
            zeroPage.setInitrd(region.address(), size);
        }
        zeroPage.setCommandLine(CMDLINE);
        zeroPage.setE820(placement.map().e820());
        zeroPage.setRsdp(options.rsdpAddress());
        placement.memory().write(ZERO_PAGE, zeroPage.bytes());
        BootCpuState.CpuState cpu = BootCpuState.longMode(entry, ZERO_PAGE);
        return new BootSetup(format, entry, cpu.registers(), cpu.systemRegisters(), placement.claims());
    }
}
