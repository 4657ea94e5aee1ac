package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.HIGH_MEMORY_START;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads a Linux bzImage and enters it through the 64-bit boot protocol
 * (Linux Documentation/x86/boot.rst, "64-bit BOOT PROTOCOL"): the real-mode setup code is never
 * run; the protected-mode kernel is copied to its load address and entered at load + 0x200 in
 * long mode with the zero page in RSI.
 */
final class BzImageLoader {
    private BzImageLoader() {
    }

    static BootSetup load(byte[] image, Optional<Path> initrd, String cmdline, GuestPlacement placement,
                          BootOptions options) throws KernelLoadException {
        BzImageHeader header = BzImageHeader.parse(image);
        LinuxBoot.prepare(placement, cmdline, header.cmdlineSize());

        long loadAddress = loadAddress(header);
        long offset = header.protectedModeOffset();
        int length = (int) (image.length - offset);
        // The kernel decompresses in place: it needs init_size bytes from its load address.
        long footprint = Math.max(header.initSize(), length);
        LinuxBoot.requireIdentityMapped("kernel", loadAddress, footprint);
        placement.claim("kernel", loadAddress, footprint);
        placement.memory().write(loadAddress, image, (int) offset, length);

        ZeroPage zeroPage = new ZeroPage();
        zeroPage.copySetupHeader(image, header);
        zeroPage.setLoaderFields(loadAddress);
        long entry = loadAddress + BzImageHeader.ENTRY64_OFFSET;
        return LinuxBoot.finish(KernelFormat.BZIMAGE, entry, zeroPage, header.initrdAddrMax(), initrd,
                placement, options);
    }

    /**
     * Where the protected-mode kernel goes: a relocatable kernel at its preferred address (rounded
     * up to kernel_alignment and kept at or above 1 MiB), which is also where it would move itself
     * to decompress; a non-relocatable one at 0x100000 (boot.rst).
     */
    static long loadAddress(BzImageHeader header) {
        if (!header.relocatable()) {
            return HIGH_MEMORY_START;
        }
        long preferred = Math.max(header.prefAddress(), HIGH_MEMORY_START);
        return GuestPlacement.alignUp(preferred, header.kernelAlignment());
    }
}
