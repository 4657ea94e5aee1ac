package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.machine.PlatformTables;
import dev.jvisor.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads the real Debian cloud kernel when it has been unpacked on this machine (skipped otherwise). */
class RealKernelTest {
    private static final Path KERNEL = Path.of("/tmp/kern/x/boot/vmlinuz-6.1.0-56-cloud-amd64");

    @TempDir
    Path dir;

    @Test
    void debianKernelHeaderParses() throws Exception {
        assumeTrue(Files.isRegularFile(KERNEL), "Debian kernel not unpacked at " + KERNEL);
        byte[] image = Files.readAllBytes(KERNEL);
        BzImageHeader header = BzImageHeader.parse(image);

        assertThat(header.version()).isGreaterThanOrEqualTo(0x020E);
        assertThat(header.xloadFlags() & BzImageHeader.XLF_KERNEL_64).isNotZero();
        assertThat(header.relocatable()).isTrue();
        assertThat(header.kernelAlignment()).isEqualTo(2 * MIB);
        assertThat(header.prefAddress()).isEqualTo(16 * MIB);
        assertThat(header.initSize()).isGreaterThan(image.length - header.protectedModeOffset());
        assertThat(header.cmdlineSize()).isGreaterThanOrEqualTo(255);
        assertThat(header.sysSize()).isLessThanOrEqualTo(image.length - header.protectedModeOffset());
    }

    @Test
    void debianKernelLoadsWithEverythingTheKernelNeedsInTheZeroPage() throws Exception {
        assumeTrue(Files.isRegularFile(KERNEL), "Debian kernel not unpacked at " + KERNEL);
        MemoryMap map = MemoryMap.forRam(256 * MIB);
        byte[] initrdBytes = TestImages.pattern(64 * 1024, 9);
        Path initrd = Files.write(dir.resolve("initrd.cpio"), initrdBytes);
        byte[] image = Files.readAllBytes(KERNEL);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            long rsdp = PlatformTables.install(memory, map, 1, true);
            BootSetup setup = KernelLoader.load(KERNEL, Optional.of(initrd), "console=ttyS0 panic=-1", memory, map,
                    BootOptions.withRsdp(rsdp));
            BzImageHeader header = BzImageHeader.parse(image);

            assertThat(setup.format()).isEqualTo(KernelFormat.BZIMAGE);
            BootAssertions.assertLongModeEntry(setup, memory, 16 * MIB + 0x200);
            int pmOffset = (int) header.protectedModeOffset();
            assertThat(memory.read(16 * MIB, 4096)).isEqualTo(Arrays.copyOfRange(image, pmOffset, pmOffset + 4096));

            // The kernel's own setup header comes back in the zero page, plus the loader's fields.
            int headerLength = header.headerEnd() - BzImageHeader.HEADER_START;
            byte[] zeroPageHeader = memory.read(ZERO_PAGE + BzImageHeader.HEADER_START, headerLength);
            assertThat(zeroPageHeader[BzImageHeader.VERSION - 0x1F1]).isEqualTo(image[BzImageHeader.VERSION]);
            assertThat(memory.readU32AsInt(ZERO_PAGE + BzImageHeader.MAGIC)).isEqualTo(BzImageHeader.HDRS_MAGIC);
            assertThat(memory.readU8(ZERO_PAGE + BzImageHeader.TYPE_OF_LOADER)).isEqualTo(0xFF);
            assertThat(memory.readU8(ZERO_PAGE + BzImageHeader.LOADFLAGS) & 0x81).isEqualTo(0x81);
            assertThat(memory.readU32(ZERO_PAGE + BzImageHeader.CMD_LINE_PTR)).isEqualTo(CMDLINE);
            assertThat(new String(memory.read(CMDLINE, 23), StandardCharsets.US_ASCII)).isEqualTo("console=ttyS0 panic=-1\0");
            long ramdisk = memory.readU32(ZERO_PAGE + BzImageHeader.RAMDISK_IMAGE);
            assertThat(memory.read(ramdisk, initrdBytes.length)).isEqualTo(initrdBytes);
            assertThat(ramdisk).isGreaterThanOrEqualTo(16 * MIB + header.initSize());
            assertThat(memory.readU8(ZERO_PAGE + 0x1E8)).isEqualTo(map.e820().size());
            assertThat(memory.readU64(ZERO_PAGE + 0x070)).isEqualTo(rsdp);
            assertThat(new String(memory.read(rsdp, 8), StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
        }
    }
}
