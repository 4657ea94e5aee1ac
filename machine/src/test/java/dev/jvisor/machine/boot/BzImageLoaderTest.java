package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BzImageLoaderTest {
    private static final long RSDP = 0xE0000;

    @TempDir
    Path dir;

    private BootSetup load(TestImages.BzImage image, MemoryMap map, GuestMemory memory, Optional<Path> initrd,
                           String cmdline) throws KernelLoadException {
        return KernelLoader.load(image.build(), initrd, cmdline, memory, map, BootOptions.withRsdp(RSDP));
    }

    @Test
    void relocatableKernelLoadsAtItsPreferredAddressAndEntersLongMode() throws Exception {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        Path initrd = Files.write(dir.resolve("initrd"), TestImages.pattern(10_000, 3));
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            BootSetup setup = load(image, map, memory, Optional.of(initrd), "console=ttyS0 root=/dev/vda");

            assertThat(setup.format()).isEqualTo(KernelFormat.BZIMAGE);
            assertThat(memory.read(0x100_0000, image.protectedMode.length)).isEqualTo(image.protectedMode);
            BootAssertions.assertLongModeEntry(setup, memory, 0x100_0000 + 0x200);
            assertThat(setup.region("kernel").orElseThrow().size()).isEqualTo(image.initSize);
        }
    }

    @Test
    void zeroPageCarriesHeaderCommandLineInitrdE820AndRsdp() throws Exception {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        byte[] initrdBytes = TestImages.pattern(10_000, 3);
        Path initrd = Files.write(dir.resolve("initrd"), initrdBytes);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            load(image, map, memory, Optional.of(initrd), "console=ttyS0");
            long zp = ZERO_PAGE;

            assertThat(memory.readU16(zp + 0x1FE)).isEqualTo(0xAA55);
            assertThat(memory.readU32AsInt(zp + 0x202)).isEqualTo(BzImageHeader.HDRS_MAGIC);
            assertThat(memory.readU16(zp + 0x206)).isEqualTo(0x020F);
            assertThat(memory.readU8(zp + 0x1EF)).as("sentinel").isZero();
            assertThat(memory.readU8(zp + 0x210)).as("type_of_loader").isEqualTo(0xFF);
            assertThat(memory.readU8(zp + 0x211)).as("loadflags").isEqualTo(0x81);
            assertThat(memory.readU16(zp + 0x224)).as("heap_end_ptr").isEqualTo(0xFE00);
            assertThat(memory.readU32(zp + 0x214)).as("code32_start").isEqualTo(0x100_0000);
            assertThat(memory.read(0, 0x40)).as("screen_info: no VGA").isEqualTo(new byte[0x40]);

            long cmdline = memory.readU32(zp + 0x228);
            assertThat(cmdline).isEqualTo(CMDLINE);
            assertThat(memory.readU32(zp + 0x0C8)).isZero();
            assertThat(new String(memory.read(cmdline, 14), StandardCharsets.US_ASCII)).isEqualTo("console=ttyS0\0");

            long ramdisk = memory.readU32(zp + 0x218);
            assertThat(memory.readU32(zp + 0x21C)).isEqualTo(initrdBytes.length);
            assertThat(memory.readU32(zp + 0x0C0)).isZero();
            assertThat(ramdisk % 4096).isZero();
            assertThat(ramdisk + initrdBytes.length).as("as high as RAM allows")
                    .isGreaterThan(64 * MIB - 4096).isLessThanOrEqualTo(64 * MIB);
            assertThat(memory.read(ramdisk, initrdBytes.length)).isEqualTo(initrdBytes);

            List<E820Entry> e820 = map.e820();
            assertThat(memory.readU8(zp + 0x1E8)).isEqualTo(e820.size());
            for (int i = 0; i < e820.size(); i++) {
                long at = zp + 0x2D0 + 20L * i;
                assertThat(new E820Entry(memory.readU64(at), memory.readU64(at + 8),
                        E820Entry.Type.values()[memory.readU32AsInt(at + 16) - 1])).isEqualTo(e820.get(i));
            }
            assertThat(memory.readU64(zp + 0x070)).as("acpi_rsdp_addr").isEqualTo(RSDP);
        }
    }

    @Test
    void initrdStaysBelowInitrdAddrMax() throws Exception {
        MemoryMap map = MemoryMap.forRam(128 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        image.initrdAddrMax = 0x3FF_FFFF; // 64 MiB - 1
        Path initrd = Files.write(dir.resolve("initrd"), TestImages.pattern(5000, 1));
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            BootSetup setup = load(image, map, memory, Optional.of(initrd), "");
            LoadedRegion region = setup.region("initrd").orElseThrow();
            assertThat(region.end()).isLessThanOrEqualTo(0x400_0000).isGreaterThan(0x400_0000 - 8192);
        }
    }

    @Test
    void olderProtocolGetsNoRsdpAndNonRelocatableKernelLoadsAtOneMib() throws Exception {
        MemoryMap map = MemoryMap.forRam(32 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        image.version = 0x020C;
        image.relocatable = false;
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            BootSetup setup = load(image, map, memory, Optional.empty(), "");
            assertThat(setup.entryPoint()).isEqualTo(0x10_0200);
            assertThat(memory.read(0x10_0000, 16)).isEqualTo(java.util.Arrays.copyOf(image.protectedMode, 16));
            assertThat(memory.readU64(ZERO_PAGE + 0x070)).isZero();
            assertThat(memory.readU32(ZERO_PAGE + 0x218)).as("no initrd").isZero();
            assertThat(setup.region("initrd")).isEmpty();
        }
    }

    @Test
    void unbootableHeadersAreRejectedWithTheReason() {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            TestImages.BzImage old = new TestImages.BzImage();
            old.version = 0x020B;
            assertThatThrownBy(() -> load(old, map, memory, Optional.empty(), ""))
                    .isInstanceOf(KernelLoadException.class).hasMessageContaining("2.11 is older than 2.12");

            TestImages.BzImage no64 = new TestImages.BzImage();
            no64.xloadFlags = 0;
            assertThatThrownBy(() -> load(no64, map, memory, Optional.empty(), ""))
                    .hasMessageContaining("no 64-bit entry point (XLF_KERNEL_64");

            TestImages.BzImage low = new TestImages.BzImage();
            low.loadFlags = 0;
            assertThatThrownBy(() -> load(low, map, memory, Optional.empty(), ""))
                    .hasMessageContaining("LOADED_HIGH");

            TestImages.BzImage truncated = new TestImages.BzImage();
            truncated.sysSizeOverride = 0x1000;
            assertThatThrownBy(() -> load(truncated, map, memory, Optional.empty(), ""))
                    .hasMessageContaining("truncated");

            // Found by KernelLoaderFuzzTest: 0x200 bytes of code and init_size 0x200 loaded, and the
            // entry at load + 0x200 lay just past the kernel, in RAM nothing had claimed.
            TestImages.BzImage noEntry = new TestImages.BzImage();
            noEntry.protectedMode = TestImages.pattern(0x200, 3);
            noEntry.initSize = 0x200;
            assertThatThrownBy(() -> load(noEntry, map, memory, Optional.empty(), ""))
                    .hasMessage("bzImage has 512 bytes of protected-mode code, which end before its 64-bit entry "
                            + "point at offset 0x200");

            TestImages.BzImage badAlign = new TestImages.BzImage();
            badAlign.kernelAlignment = 0x30_0000;
            assertThatThrownBy(() -> load(badAlign, map, memory, Optional.empty(), ""))
                    .hasMessageContaining("not a power of two");
        }
    }

    @Test
    void preferredAddressAboveFourGibIsRejected() {
        // Found by KernelLoaderFuzzTest: pref_address 0x100000000 put the kernel into high RAM,
        // outside the identity map the 64-bit entry runs on.
        MemoryMap split = MemoryMap.forRam(PCI_HOLE_START + 16 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        image.prefAddress = HIGH_RAM_START;
        image.initSize = 0xA0_0000;
        try (GuestMemory memory = GuestMemory.create(split.ramLayouts())) {
            assertThatThrownBy(() -> load(image, split, memory, Optional.empty(), ""))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessage("kernel [0x100000000-0x100a00000) reaches above 4 GiB, but a 64-bit entry has only the "
                            + "first 4 GiB identity mapped");
        }
    }

    @Test
    void commandLineLongerThanCmdlineSizeIsRejected() {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        TestImages.BzImage image = new TestImages.BzImage();
        image.cmdlineSize = 10;
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            assertThatThrownBy(() -> load(image, map, memory, Optional.empty(), "console=ttyS0"))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessage("kernel command line of 13 bytes is longer than the kernel's cmdline_size (10 bytes)");
            assertThatThrownBy(() -> load(new TestImages.BzImage(), map, memory, Optional.empty(), "a\0b"))
                    .hasMessageContaining("NUL");
        }
    }

    @Test
    void kernelThatDoesNotFitInRamIsRejected() {
        MemoryMap map = MemoryMap.forRam(16 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            assertThatThrownBy(() -> load(new TestImages.BzImage(), map, memory, Optional.empty(), ""))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessageStartingWith("kernel [0x1000000-0x1800000) does not fit in usable RAM (the guest has 16 MiB");
        }
    }

    @Test
    void initrdTooLargeForRamIsRejectedBeforeReadingIt() throws Exception {
        MemoryMap map = MemoryMap.forRam(256 * MIB);
        Path initrd = dir.resolve("huge-initrd");
        try (RandomAccessFile file = new RandomAccessFile(initrd.toFile(), "rw")) {
            file.setLength(300 * MIB); // sparse: costs no disk
        }
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            assertThatThrownBy(() -> load(new TestImages.BzImage(), map, memory, Optional.of(initrd), ""))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessage("initrd of 300 MiB does not fit below 0x80000000 in 256 MiB of RAM");
        }
    }

    @Test
    void missingInitrdIsNamed() {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            Path missing = dir.resolve("nope.img");
            assertThatThrownBy(() -> load(new TestImages.BzImage(), map, memory, Optional.of(missing), ""))
                    .hasMessage("initrd " + missing + " does not exist or is not a regular file");
        }
    }
}
