package dev.jvisor.machine.boot;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Loads a kernel into guest RAM and says how vCPU 0 must start. The format is detected from the
 * image: a Linux bzImage (0xAA55 boot flag and "HdrS"), a Multiboot v1 kernel (header in the
 * first 8 KiB), or an ELF vmlinux (PVH note, else the 64-bit Linux entry).
 *
 * <p>Call it after the firmware tables are written (their area is reserved in the e820 map, so
 * nothing loaded here can overwrite them) and before the first vCPU runs. Not thread-safe with
 * respect to other writers of the same guest memory.
 */
public final class KernelLoader {
    private KernelLoader() {
    }

    /**
     * Loads {@code kernel} (and {@code initrd}) into {@code memory}, which must have been created
     * from {@code map.ramLayouts()}.
     *
     * @param cmdline the kernel command line (UTF-8; may be empty)
     * @param options RSDP address and Multiboot modules
     * @throws KernelLoadException if a file is missing, unreadable or malformed, or does not fit
     */
    public static BootSetup load(Path kernel, Optional<Path> initrd, String cmdline, GuestMemory memory,
                                 MemoryMap map, BootOptions options) throws KernelLoadException {
        Objects.requireNonNull(cmdline, "cmdline");
        byte[] image = ImageFiles.readKernel(kernel, map.ramBytes());
        return load(image, initrd, cmdline, memory, map, options);
    }

    /** As {@link #load(Path, Optional, String, GuestMemory, MemoryMap, BootOptions)}, from bytes. */
    public static BootSetup load(byte[] image, Optional<Path> initrd, String cmdline, GuestMemory memory,
                                 MemoryMap map, BootOptions options) throws KernelLoadException {
        GuestPlacement placement = new GuestPlacement(memory, map);
        if (BzImageHeader.matches(image)) {
            requireNoExtraModules(options, "a Linux bzImage");
            return BzImageLoader.load(image, initrd, cmdline, placement, options);
        }
        Optional<MultibootHeader> multiboot = MultibootHeader.find(image);
        if (multiboot.isPresent() && multiboot.get().usesAddressFields()) {
            return MultibootLoader.load(image, multiboot.get(), initrd, cmdline, placement, options);
        }
        if (ElfImage.matches(image)) {
            ElfImage elf = ElfImage.parse(image);
            if (ElfLoader.pvhEntry(elf, image).isEmpty() && multiboot.isPresent()) {
                return MultibootLoader.load(image, multiboot.get(), initrd, cmdline, placement, options);
            }
            requireNoExtraModules(options, "an ELF vmlinux");
            return ElfLoader.load(image, elf, initrd, cmdline, placement, options);
        }
        if (multiboot.isPresent()) {
            return MultibootLoader.load(image, multiboot.get(), initrd, cmdline, placement, options);
        }
        throw new KernelLoadException("not a Linux bzImage, ELF or Multiboot kernel");
    }

    private static void requireNoExtraModules(BootOptions options, String format) throws KernelLoadException {
        if (!options.extraModules().isEmpty()) {
            throw new KernelLoadException("boot modules besides the initrd need a Multiboot kernel; this is " + format);
        }
    }
}
