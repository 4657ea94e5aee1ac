package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;

import dev.jvisor.machine.E820Entry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads a Multiboot v1 kernel (Multiboot Specification 0.6.96): the image by its header's address
 * fields (the "a.out kludge", flag 16) or by its ELF program headers, the initrd as module 0 and
 * any further modules after it, page aligned above the kernel, and the information structure.
 * Entry is in 32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = the information structure
 * (§3.2). The board has no A20 gate: address line 20 is always enabled.
 */
final class MultibootLoader {
    private static final long FOUR_GIB = HIGH_RAM_START;

    private MultibootLoader() {
    }

    static BootSetup load(byte[] image, MultibootHeader header, Optional<Path> initrd, String cmdline,
                          GuestPlacement placement, BootOptions options) throws KernelLoadException {
        List<BootModule> modules = new ArrayList<>();
        initrd.ifPresent(path -> modules.add(new BootModule(path, fileName(path))));
        modules.addAll(options.extraModules());
        List<byte[]> strings = new ArrayList<>();
        List<MultibootInfo.Module> sized = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            byte[] string = ImageFiles.cString(modules.get(i).cmdline(), "string of module " + i);
            strings.add(string);
            sized.add(new MultibootInfo.Module(0, 0, string));
        }
        List<E820Entry> memoryMap = placement.map().e820();
        long infoSize = MultibootInfo.size(sized, memoryMap.size());
        if (infoSize > BOOT_INFO_SIZE) {
            throw new KernelLoadException(String.format(
                    "Multiboot information (%d bytes with %d modules) exceeds the %d-byte boot information area",
                    infoSize, modules.size(), BOOT_INFO_SIZE));
        }

        BootCpuState.writeGdtAndStack(placement);
        placement.claim("multiboot info", BOOT_INFO, infoSize);
        long cmdlineAddress = CommandLine.write(placement, cmdline, CMDLINE_MAX - 1, "board's command line area");

        long[] entryAndEnd = header.usesAddressFields()
                ? loadByAddressFields(image, header, placement)
                : loadElf(image, placement);
        long entry = entryAndEnd[0];
        long kernelEnd = entryAndEnd[1];

        List<MultibootInfo.Module> loaded = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            Path path = modules.get(i).path();
            String what = "module " + i;
            long size = ImageFiles.size(path, what);
            LoadedRegion region = placement.placeLow(what, size, 4096, kernelEnd, FOUR_GIB);
            ImageFiles.copyInto(path, what, placement.memory(), region.address(), size);
            loaded.add(new MultibootInfo.Module(region.address(), region.end(), strings.get(i)));
        }

        long memLowerKib = EBDA_START / KIB;
        long memUpperKib = (placement.map().lowRamEnd() - HIGH_MEMORY_START) / KIB;
        placement.memory().write(BOOT_INFO,
                MultibootInfo.build(BOOT_INFO, cmdlineAddress, memLowerKib, memUpperKib, memoryMap, loaded));
        BootCpuState.CpuState cpu = BootCpuState.protectedMode(entry, MultibootHeader.BOOTLOADER_MAGIC, BOOT_INFO);
        KernelFormat format = header.usesAddressFields() ? KernelFormat.MULTIBOOT_AOUT : KernelFormat.MULTIBOOT_ELF;
        return new BootSetup(format, entry, cpu.registers(), cpu.systemRegisters(), placement.claims());
    }

    /**
     * The a.out kludge (§3.1.3): the file is loaded from the offset that corresponds to
     * {@code load_addr}, up to {@code load_end_addr} (or the end of the file), then zeroed up to
     * {@code bss_end_addr}.
     *
     * @return {entry, end of the image including bss}
     */
    private static long[] loadByAddressFields(byte[] image, MultibootHeader h, GuestPlacement placement)
            throws KernelLoadException {
        if (h.headerAddr() < h.loadAddr()) {
            throw new KernelLoadException(String.format(
                    "Multiboot header_addr 0x%x is below load_addr 0x%x", h.headerAddr(), h.loadAddr()));
        }
        long fileOffset = h.offset() - (h.headerAddr() - h.loadAddr());
        if (fileOffset < 0) {
            throw new KernelLoadException(String.format(
                    "Multiboot load_addr 0x%x lies before the start of the file (header_addr 0x%x at offset %d)",
                    h.loadAddr(), h.headerAddr(), h.offset()));
        }
        long available = image.length - fileOffset;
        long loadEnd = h.loadEndAddr() == 0 ? h.loadAddr() + available : h.loadEndAddr();
        if (loadEnd <= h.loadAddr() || loadEnd - h.loadAddr() > available) {
            throw new KernelLoadException(String.format(
                    "Multiboot load range [0x%x-0x%x) does not match the %d bytes the file has from offset %d",
                    h.loadAddr(), loadEnd, available, fileOffset));
        }
        long bssEnd = h.bssEndAddr() == 0 ? loadEnd : h.bssEndAddr();
        if (bssEnd < loadEnd) {
            throw new KernelLoadException(String.format(
                    "Multiboot bss_end_addr 0x%x is below load_end_addr 0x%x", bssEnd, loadEnd));
        }
        if (h.entryAddr() < h.loadAddr() || h.entryAddr() >= loadEnd) {
            throw new KernelLoadException(String.format(
                    "Multiboot entry_addr 0x%x is outside the loaded image [0x%x-0x%x)", h.entryAddr(), h.loadAddr(),
                    loadEnd));
        }
        placement.claim("kernel", h.loadAddr(), bssEnd - h.loadAddr());
        placement.memory().write(h.loadAddr(), image, (int) fileOffset, (int) (loadEnd - h.loadAddr()));
        if (bssEnd > loadEnd) {
            placement.memory().fill(loadEnd, bssEnd - loadEnd, (byte) 0);
        }
        return new long[]{h.entryAddr(), bssEnd};
    }

    /** An ELF Multiboot kernel, loaded by its program headers at their physical addresses. */
    private static long[] loadElf(byte[] image, GuestPlacement placement) throws KernelLoadException {
        if (!ElfImage.matches(image)) {
            throw new KernelLoadException(
                    "Multiboot kernel is not ELF and its header has no address fields (flag 16 clear)");
        }
        ElfImage elf = ElfImage.parse(image);
        if (elf.machine() != ElfImage.EM_386 && elf.machine() != ElfImage.EM_X86_64) {
            throw new KernelLoadException("Multiboot ELF kernel is for machine " + elf.machine() + ", not x86");
        }
        long end = ElfLoader.loadSegments(elf, image, placement);
        long entry = ElfLoader.entryPoint(elf);
        if (entry >= FOUR_GIB || end > FOUR_GIB) {
            throw new KernelLoadException(String.format(
                    "Multiboot kernel is entered in 32-bit mode but its entry 0x%x or end 0x%x is above 4 GiB",
                    entry, end));
        }
        return new long[]{entry, end};
    }

    private static String fileName(Path path) {
        Path name = path.getFileName();
        return name == null ? "" : name.toString();
    }
}
