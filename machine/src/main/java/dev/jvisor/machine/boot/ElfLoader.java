package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;

import dev.jvisor.machine.E820Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Loads an ELF {@code vmlinux}: PT_LOAD segments at their physical addresses, then either the PVH
 * entry (Xen's boot ABI, docs/misc/pvh.pandoc: 32-bit protected mode, paging off, EBX =
 * {@code hvm_start_info}) when the image carries a {@code XEN_ELFNOTE_PHYS32_ENTRY} note, or the
 * Linux 64-bit entry at {@code e_entry} with a zero page otherwise.
 */
final class ElfLoader {
    /** Owner of Xen ELF notes. */
    static final String XEN_NOTE_NAME = "Xen";
    /** XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h): the 32-bit PVH entry point. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

    private ElfLoader() {
    }

    /**
     * The PVH entry point from the image's Xen note, if it has one. Linux emits it as a 32- or
     * 64-bit value depending on the build; either is accepted if it fits in 32 bits.
     */
    static Optional<Long> pvhEntry(ElfImage elf, byte[] image) throws KernelLoadException {
        Optional<ElfImage.Note> note = elf.findNote(image, XEN_NOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY);
        if (note.isEmpty()) {
            return Optional.empty();
        }
        byte[] desc = note.get().desc();
        ByteBuffer b = ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN);
        long entry = switch (desc.length) {
            case 4 -> b.getInt(0) & 0xFFFF_FFFFL;
            case 8 -> b.getLong(0);
            default -> throw new KernelLoadException("PVH entry note has a " + desc.length + "-byte value, not 4 or 8");
        };
        if (entry <= 0 || entry >= HIGH_RAM_START) {
            throw new KernelLoadException(String.format("PVH entry point 0x%x is not a 32-bit address", entry));
        }
        return Optional.of(entry);
    }

    static BootSetup load(byte[] image, ElfImage elf, Optional<Path> initrd, String cmdline, GuestPlacement placement,
                          BootOptions options) throws KernelLoadException {
        Optional<Long> pvh = pvhEntry(elf, image);
        if (pvh.isPresent()) {
            return loadPvh(image, elf, pvh.get(), initrd, cmdline, placement, options);
        }
        if (!elf.is64() || elf.machine() != ElfImage.EM_X86_64) {
            throw new KernelLoadException(String.format(
                    "%s ELF kernel (e_machine %d) has neither a Multiboot header nor a PVH note, so it has "
                            + "no entry point this loader supports", elf.is64() ? "64-bit" : "32-bit", elf.machine()));
        }
        List<ElfImage.Segment> segments = elf.loadSegments();
        for (int i = 0; i < segments.size(); i++) {
            ElfImage.Segment s = segments.get(i);
            LinuxBoot.requireIdentityMapped(segments.size() == 1 ? "kernel" : "kernel segment " + i, s.paddr(),
                    s.memSize());
        }
        LinuxBoot.prepare(placement, cmdline, CMDLINE_MAX - 1);
        loadSegments(elf, image, placement);
        long entry = entryPoint(elf);
        ZeroPage zeroPage = new ZeroPage();
        zeroPage.synthesizeHeader(CMDLINE_MAX - 1, LinuxBoot.DEFAULT_INITRD_ADDR_MAX);
        zeroPage.setLoaderFields(lowestSegment(elf));
        return LinuxBoot.finish(KernelFormat.ELF_LINUX64, entry, zeroPage, LinuxBoot.DEFAULT_INITRD_ADDR_MAX,
                initrd, placement, options);
    }

    private static BootSetup loadPvh(byte[] image, ElfImage elf, long entry, Optional<Path> initrd, String cmdline,
                                     GuestPlacement placement, BootOptions options) throws KernelLoadException {
        BootCpuState.writeGdtAndStack(placement);
        List<E820Entry> memmap = placement.map().e820();
        int infoSize = PvhStartInfo.size(initrd.isPresent() ? 1 : 0, memmap.size());
        placement.claim("hvm_start_info", BOOT_INFO, infoSize);
        long cmdlineAddress = CommandLine.write(placement, cmdline, CMDLINE_MAX - 1, "board's command line area");
        loadSegments(elf, image, placement);
        if (elf.loadSegments().stream().noneMatch(seg -> Long.compareUnsigned(entry - seg.paddr(), seg.memSize()) < 0)) {
            throw new KernelLoadException(String.format("PVH entry point 0x%x is outside the loaded kernel", entry));
        }
        List<PvhStartInfo.Module> modules = List.of();
        if (initrd.isPresent()) {
            long size = ImageFiles.size(initrd.get(), "initrd");
            long limit = LinuxBoot.DEFAULT_INITRD_ADDR_MAX + 1;
            LoadedRegion region = placement.placeHigh("initrd", size, 4096, limit);
            ImageFiles.copyInto(initrd.get(), "initrd", placement.memory(), region.address(), size);
            modules = List.of(new PvhStartInfo.Module(region.address(), size));
        }
        placement.memory().write(BOOT_INFO,
                PvhStartInfo.build(BOOT_INFO, cmdlineAddress, options.rsdpAddress(), modules, memmap));
        BootCpuState.CpuState cpu = BootCpuState.protectedMode(entry, 0, BOOT_INFO);
        return new BootSetup(KernelFormat.ELF_PVH, entry, cpu.registers(), cpu.systemRegisters(), placement.claims());
    }

    /**
     * Copies every PT_LOAD segment to its physical address and zeroes its bss part.
     *
     * @return one past the highest byte loaded
     */
    static long loadSegments(ElfImage elf, byte[] image, GuestPlacement placement) throws KernelLoadException {
        List<ElfImage.Segment> segments = elf.loadSegments();
        if (segments.isEmpty()) {
            throw new KernelLoadException("ELF kernel has no loadable segments");
        }
        long end = 0;
        for (int i = 0; i < segments.size(); i++) {
            ElfImage.Segment s = segments.get(i);
            String what = segments.size() == 1 ? "kernel" : "kernel segment " + i;
            placement.claim(what, s.paddr(), s.memSize());
            placement.memory().write(s.paddr(), image, (int) s.offset(), (int) s.fileSize());
            if (s.memSize() > s.fileSize()) {
                placement.memory().fill(s.paddr() + s.fileSize(), s.memSize() - s.fileSize(), (byte) 0);
            }
            end = Math.max(end, s.paddr() + s.memSize());
        }
        return end;
    }

    /** e_entry as a physical address inside a loaded segment. */
    static long entryPoint(ElfImage elf) throws KernelLoadException {
        return elf.toPhysical(elf.entry()).orElseThrow(() -> new KernelLoadException(String.format(
                "ELF entry point 0x%x is outside every loadable segment", elf.entry())));
    }

    private static long lowestSegment(ElfImage elf) {
        return elf.loadSegments().stream().mapToLong(ElfImage.Segment::paddr).min().orElse(0);
    }
}
