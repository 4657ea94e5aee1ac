package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multiboot Specification 0.6.96: header (§3.1), machine state (§3.2), information (§3.3). */
class MultibootLoaderTest {
    private static final MemoryMap MAP = MemoryMap.forRam(32 * MIB);

    @TempDir
    Path dir;

    /** An ELF32 kernel at 1 MiB whose text starts with a Multiboot header (flags: page align + memory). */
    private static TestImages.Elf multibootElf() {
        byte[] header = TestImages.multibootHeader(MultibootHeader.FLAG_PAGE_ALIGN | MultibootHeader.FLAG_MEMORY_INFO,
                0, 0, 0, 0, 0);
        TestImages.Elf elf = new TestImages.Elf();
        elf.is64 = false;
        elf.machine = ElfImage.EM_386;
        elf.segments.add(TestImages.Segment.at(0x10_0000, TestImages.concat(header, TestImages.pattern(0x1000, 2)), 0x3000));
        elf.entry = 0x10_000C;
        return elf;
    }

    private static String cString(GuestMemory memory, long address) {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = memory.readU8(address + sb.length())) != 0; ) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    @Test
    void elfKernelWithModulesGetsAFullInformationStructure() throws Exception {
        byte[] initrdBytes = TestImages.pattern(5000, 1);
        byte[] fontBytes = TestImages.pattern(100, 2);
        byte[] dataBytes = TestImages.pattern(9000, 3);
        Path initrd = Files.write(dir.resolve("initrd.img"), initrdBytes);
        Path font = Files.write(dir.resolve("font.bin"), fontBytes);
        Path data = Files.write(dir.resolve("data.bin"), dataBytes);
        BootOptions options = new BootOptions(0xE0000,
                List.of(new BootModule(font, "font size=16"), new BootModule(data, "")));
        TestImages.Elf elf = multibootElf();
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            memory.fill(0x10_1000, 0x2000, (byte) 0x55);
            BootSetup setup = KernelLoader.load(elf.build(), Optional.of(initrd), "kernel --verbose", memory, MAP, options);

            assertThat(setup.format()).isEqualTo(KernelFormat.MULTIBOOT_ELF);
            BootAssertions.assertProtectedModeEntry(setup, memory, 0x10_000C, 0x2BAD_B002L, BOOT_INFO);
            assertThat(memory.read(0x10_000C, 16)).isEqualTo(java.util.Arrays.copyOf(TestImages.pattern(0x1000, 2), 16));
            assertThat(memory.read(0x10_100C, 0x2000 - 0xC)).as("bss zeroed").isEqualTo(new byte[0x2000 - 0xC]);

            long info = BOOT_INFO;
            int flags = memory.readU32AsInt(info);
            assertThat(flags).isEqualTo(1 | 4 | 8 | 64 | 512);
            assertThat(memory.readU32(info + 4)).as("mem_lower KiB").isEqualTo(639);
            assertThat(memory.readU32(info + 8)).as("mem_upper KiB").isEqualTo((32 * MIB - MIB) / KIB);
            assertThat(cString(memory, memory.readU32(info + 16))).isEqualTo("kernel --verbose");
            assertThat(cString(memory, memory.readU32(info + 64))).isEqualTo("jvisor");

            assertThat(memory.readU32(info + 20)).as("mods_count").isEqualTo(3);
            long mods = memory.readU32(info + 24);
            byte[][] contents = {initrdBytes, fontBytes, dataBytes};
            String[] strings = {"initrd.img", "font size=16", ""};
            long previousEnd = 0x10_3000;
            for (int i = 0; i < 3; i++) {
                long start = memory.readU32(mods + 16L * i);
                long end = memory.readU32(mods + 16L * i + 4);
                assertThat(start % 4096).as("module %d page aligned", i).isZero();
                assertThat(start).as("module %d above the kernel and the previous module", i)
                        .isGreaterThanOrEqualTo(previousEnd);
                assertThat(end - start).isEqualTo(contents[i].length);
                assertThat(memory.read(start, contents[i].length)).isEqualTo(contents[i]);
                assertThat(cString(memory, memory.readU32(mods + 16L * i + 8))).isEqualTo(strings[i]);
                previousEnd = end;
            }

            List<E820Entry> e820 = MAP.e820();
            assertThat(memory.readU32(info + 44)).as("mmap_length").isEqualTo(24L * e820.size());
            long mmap = memory.readU32(info + 48);
            for (int i = 0; i < e820.size(); i++) {
                long at = mmap + 24L * i;
                assertThat(memory.readU32(at)).as("entry size field").isEqualTo(20);
                assertThat(memory.readU64(at + 4)).isEqualTo(e820.get(i).address());
                assertThat(memory.readU64(at + 12)).isEqualTo(e820.get(i).size());
                assertThat(memory.readU32AsInt(at + 20)).isEqualTo(e820.get(i).type().code());
            }
        }
    }

    @Test
    void aoutKludgeLoadsByTheHeaderAddresses() throws Exception {
        // A flat binary: 64 bytes of code, the header at offset 64, more code; loaded at 2 MiB.
        long load = 0x20_0000;
        byte[] header = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE | MultibootHeader.FLAG_MEMORY_INFO,
                load + 64, load, 0, load + 0x5000, load + 0x80);
        byte[] image = TestImages.concat(TestImages.pattern(64, 4), header, TestImages.pattern(0x1000, 5));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            memory.fill(load, 0x5000, (byte) 0x77);
            BootSetup setup = KernelLoader.load(image, Optional.empty(), "", memory, MAP, BootOptions.withRsdp(0));

            assertThat(setup.format()).isEqualTo(KernelFormat.MULTIBOOT_AOUT);
            BootAssertions.assertProtectedModeEntry(setup, memory, load + 0x80, 0x2BAD_B002L, BOOT_INFO);
            assertThat(memory.read(load, image.length)).isEqualTo(image);
            assertThat(memory.read(load + image.length, 0x5000 - image.length)).as("bss zeroed")
                    .isEqualTo(new byte[0x5000 - image.length]);
            assertThat(memory.readU32AsInt(BOOT_INFO) & 8).as("no modules flag").isZero();
            assertThat(setup.region("kernel").orElseThrow()).isEqualTo(new LoadedRegion("kernel", load, 0x5000));
        }
    }

    @Test
    void aoutKludgeWithLoadEndLoadsOnlyThatMuch() throws Exception {
        long load = 0x20_0000;
        byte[] header = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load, load, load + 0x100, 0, load);
        byte[] image = TestImages.concat(header, TestImages.pattern(0x1000, 6));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            KernelLoader.load(image, Optional.empty(), "", memory, MAP, BootOptions.withRsdp(0));
            assertThat(memory.read(load, 0x100)).isEqualTo(java.util.Arrays.copyOf(image, 0x100));
            assertThat(memory.readU8(load + 0x100)).as("nothing past load_end_addr").isZero();
        }
    }

    @Test
    void badHeadersAreRejectedWithTheReason() {
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            long load = 0x20_0000;
            byte[] badChecksum = TestImages.multibootHeader(0, 0, 0, 0, 0, 0);
            badChecksum[8]++;
            assertThatThrownBy(() -> KernelLoader.load(TestImages.concat(new byte[32], badChecksum), Optional.empty(), "",
                    memory, MAP, BootOptions.withRsdp(0))).hasMessage("Multiboot header at offset 32 has a bad checksum");

            byte[] unsupported = TestImages.multibootHeader(1 << 3, 0, 0, 0, 0, 0);
            assertThatThrownBy(() -> KernelLoader.load(unsupported, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("does not provide (flags 0x8)");

            byte[] headerBeforeLoad = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load - 16, load, 0, 0, load);
            assertThatThrownBy(() -> KernelLoader.load(headerBeforeLoad, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("is below load_addr");

            byte[] beforeFile = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load + 64, load, 0, 0, load);
            assertThatThrownBy(() -> KernelLoader.load(beforeFile, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("lies before the start of the file");

            byte[] entryOutside = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load, load, 0, 0, load + 0x9000);
            assertThatThrownBy(() -> KernelLoader.load(entryOutside, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("entry_addr 0x209000 is outside the loaded image");

            byte[] loadEndPastFile = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load, load, load + 0x9000, 0, load);
            assertThatThrownBy(() -> KernelLoader.load(loadEndPastFile, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("does not match the 32 bytes the file has");

            byte[] bssBelowEnd = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, load, load, load + 32, load + 16, load);
            assertThatThrownBy(() -> KernelLoader.load(bssBelowEnd, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("bss_end_addr");

            byte[] overBootArea = TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE, 0xA000, 0xA000, 0, 0, 0xA000);
            assertThatThrownBy(() -> KernelLoader.load(overBootArea, Optional.empty(), "", memory, MAP,
                    BootOptions.withRsdp(0))).hasMessageContaining("overlaps the multiboot info");

            byte[] flat = TestImages.concat(TestImages.multibootHeader(0, 0, 0, 0, 0, 0), new byte[64]);
            assertThatThrownBy(() -> KernelLoader.load(flat, Optional.empty(), "", memory, MAP, BootOptions.withRsdp(0)))
                    .hasMessage("Multiboot kernel is not ELF and its header has no address fields (flag 16 clear)");
        }
    }

    @Test
    void headerPastTheFirst8KiBIsNotSeen() {
        byte[] image = TestImages.concat(new byte[8192], TestImages.multibootHeader(0, 0, 0, 0, 0, 0));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            assertThatThrownBy(() -> KernelLoader.load(image, Optional.empty(), "", memory, MAP, BootOptions.withRsdp(0)))
                    .hasMessage("not a Linux bzImage, ELF or Multiboot kernel");
        }
    }

    @Test
    void tooManyModuleStringsForTheInformationAreaAreRejected() throws Exception {
        Path module = Files.write(dir.resolve("m"), new byte[16]);
        String longString = "x".repeat(50_000);
        BootOptions options = new BootOptions(0, List.of(new BootModule(module, longString), new BootModule(module, longString)));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            assertThatThrownBy(() -> KernelLoader.load(multibootElf().build(), Optional.empty(), "", memory, MAP, options))
                    .hasMessageContaining("exceeds the").hasMessageContaining("boot information area");
        }
    }
}
