package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfLoaderTest {
    private static final MemoryMap MAP = MemoryMap.forRam(64 * MIB);
    private static final long RSDP = 0xE0000;
    private static final long VIRTUAL_BASE = 0xFFFF_FFFF_8000_0000L;

    @TempDir
    Path dir;

    /** A vmlinux-like image: text at 16 MiB, data + bss after it, virtual addresses in the top 2 GiB. */
    private static TestImages.Elf vmlinux() {
        TestImages.Elf elf = new TestImages.Elf();
        elf.segments.add(new TestImages.Segment(VIRTUAL_BASE + 0x100_0000, 0x100_0000, TestImages.pattern(0x2000, 1), 0x2000));
        elf.segments.add(new TestImages.Segment(VIRTUAL_BASE + 0x120_0000, 0x120_0000, TestImages.pattern(0x800, 2), 0x5000));
        elf.entry = 0x100_0040; // physical, as Linux's ENTRY(phys_startup_64)
        return elf;
    }

    private BootSetup load(byte[] image, GuestMemory memory, Optional<Path> initrd, String cmdline)
            throws KernelLoadException {
        return KernelLoader.load(image, initrd, cmdline, memory, MAP, BootOptions.withRsdp(RSDP));
    }

    @Test
    void vmlinuxWithoutPvhNoteIsEnteredInLongModeWithAZeroPage() throws Exception {
        TestImages.Elf elf = vmlinux();
        Path initrd = Files.write(dir.resolve("initrd"), TestImages.pattern(3000, 5));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            memory.fill(0x120_0000, 0x5000, (byte) 0xAA); // stale bytes where the bss goes
            BootSetup setup = load(elf.build(), memory, Optional.of(initrd), "root=/dev/vda");

            assertThat(setup.format()).isEqualTo(KernelFormat.ELF_LINUX64);
            BootAssertions.assertLongModeEntry(setup, memory, 0x100_0040);
            assertThat(memory.read(0x100_0000, 0x2000)).isEqualTo(elf.segments.get(0).data());
            assertThat(memory.read(0x120_0000, 0x800)).isEqualTo(elf.segments.get(1).data());
            assertThat(memory.read(0x120_0800, 0x4800)).as("bss zeroed").isEqualTo(new byte[0x4800]);

            assertThat(memory.readU32AsInt(ZERO_PAGE + BzImageHeader.MAGIC)).isEqualTo(BzImageHeader.HDRS_MAGIC);
            assertThat(memory.readU16(ZERO_PAGE + BzImageHeader.BOOT_FLAG)).isEqualTo(0xAA55);
            assertThat(memory.readU32(ZERO_PAGE + BzImageHeader.CMD_LINE_PTR)).isEqualTo(CMDLINE);
            assertThat(new String(memory.read(CMDLINE, 13), StandardCharsets.US_ASCII)).isEqualTo("root=/dev/vda");
            long ramdisk = memory.readU32(ZERO_PAGE + BzImageHeader.RAMDISK_IMAGE);
            assertThat(memory.read(ramdisk, 3000)).isEqualTo(TestImages.pattern(3000, 5));
            assertThat(memory.readU64(ZERO_PAGE + 0x070)).isEqualTo(RSDP);
            assertThat(memory.readU8(ZERO_PAGE + 0x1E8)).isEqualTo(MAP.e820().size());
        }
    }

    @Test
    void virtualEntryPointIsTranslatedThroughItsSegment() throws Exception {
        TestImages.Elf elf = vmlinux();
        elf.entry = VIRTUAL_BASE + 0x100_0100;
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            assertThat(load(elf.build(), memory, Optional.empty(), "").entryPoint()).isEqualTo(0x100_0100);
        }
    }

    private static byte[] le32(long value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array();
    }

    private static byte[] le64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    @Test
    void pvhNoteSelectsThe32BitEntryWithAStartInfo() throws Exception {
        TestImages.Elf elf = vmlinux();
        elf.notes.add(new TestImages.Note("GNU", 3, new byte[20]));
        elf.notes.add(new TestImages.Note("Xen", ElfLoader.XEN_ELFNOTE_PHYS32_ENTRY, le64(0x100_0800)));
        byte[] initrdBytes = TestImages.pattern(5000, 4);
        Path initrd = Files.write(dir.resolve("initrd"), initrdBytes);
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            BootSetup setup = load(elf.build(), memory, Optional.of(initrd), "console=hvc0");

            assertThat(setup.format()).isEqualTo(KernelFormat.ELF_PVH);
            BootAssertions.assertProtectedModeEntry(setup, memory, 0x100_0800, 0, BOOT_INFO);

            long info = BOOT_INFO;
            assertThat(memory.readU32AsInt(info)).isEqualTo(0x336E_C578);
            assertThat(memory.readU32AsInt(info + 4)).as("version").isEqualTo(1);
            assertThat(memory.readU32AsInt(info + 12)).as("nr_modules").isEqualTo(1);
            long modlist = memory.readU64(info + 16);
            long cmdline = memory.readU64(info + 24);
            assertThat(memory.readU64(info + 32)).as("rsdp_paddr").isEqualTo(RSDP);
            long memmap = memory.readU64(info + 40);
            int entries = memory.readU32AsInt(info + 48);
            assertThat(memory.readU32AsInt(info + 52)).isZero();

            assertThat(new String(memory.read(cmdline, 13), StandardCharsets.US_ASCII)).isEqualTo("console=hvc0\0");
            long module = memory.readU64(modlist);
            assertThat(memory.readU64(modlist + 8)).isEqualTo(initrdBytes.length);
            assertThat(memory.read(module, initrdBytes.length)).isEqualTo(initrdBytes);
            List<E820Entry> e820 = MAP.e820();
            assertThat(entries).isEqualTo(e820.size());
            for (int i = 0; i < entries; i++) {
                long at = memmap + 24L * i;
                assertThat(memory.readU64(at)).isEqualTo(e820.get(i).address());
                assertThat(memory.readU64(at + 8)).isEqualTo(e820.get(i).size());
                assertThat(memory.readU32AsInt(at + 16)).isEqualTo(e820.get(i).type().code());
            }
        }
    }

    @Test
    void pvhEntryMayBeA32BitNoteAndAnElf32Image() throws Exception {
        TestImages.Elf elf = new TestImages.Elf();
        elf.is64 = false;
        elf.machine = ElfImage.EM_386;
        elf.segments.add(TestImages.Segment.at(0x20_0000, TestImages.pattern(0x1000, 6), 0x1000));
        elf.entry = 0x20_0000;
        elf.notes.add(new TestImages.Note("Xen", ElfLoader.XEN_ELFNOTE_PHYS32_ENTRY, le32(0x20_0010)));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            BootSetup setup = load(elf.build(), memory, Optional.empty(), "");
            assertThat(setup.format()).isEqualTo(KernelFormat.ELF_PVH);
            assertThat(setup.entryPoint()).isEqualTo(0x20_0010);
            assertThat(memory.readU32AsInt(BOOT_INFO + 12)).as("no modules").isZero();
            assertThat(memory.readU64(BOOT_INFO + 16)).as("no module list").isZero();
        }
    }

    @Test
    void pvhEntryOutsideTheImageIsRejected() {
        TestImages.Elf elf = vmlinux();
        elf.notes.add(new TestImages.Note("Xen", ElfLoader.XEN_ELFNOTE_PHYS32_ENTRY, le32(0x300_0000)));
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            assertThatThrownBy(() -> load(elf.build(), memory, Optional.empty(), ""))
                    .hasMessage("PVH entry point 0x3000000 is outside the loaded kernel");
        }
    }

    @Test
    void longModeKernelAboveFourGibIsRejected() {
        // Found by KernelLoaderFuzzTest: a segment at p_paddr 0x100000000 loaded into the guest's high
        // RAM, and the 64-bit entry would have run with only the first 4 GiB mapped.
        MemoryMap split = MemoryMap.forRam(PCI_HOLE_START + 16 * MIB);
        TestImages.Elf elf = new TestImages.Elf();
        elf.segments.add(TestImages.Segment.at(HIGH_RAM_START, TestImages.pattern(0x100, 1), 0x1000));
        elf.entry = HIGH_RAM_START;
        try (GuestMemory memory = GuestMemory.create(split.ramLayouts())) {
            assertThatThrownBy(() -> KernelLoader.load(elf.build(), Optional.empty(), "", memory, split,
                    BootOptions.withRsdp(RSDP)))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessage("kernel [0x100000000-0x100001000) reaches above 4 GiB, but a 64-bit entry has only the "
                            + "first 4 GiB identity mapped");
        }
    }

    @Test
    void malformedImagesAreRejectedWithTheReason() {
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            TestImages.Elf elf32 = new TestImages.Elf();
            elf32.is64 = false;
            elf32.machine = ElfImage.EM_386;
            elf32.segments.add(TestImages.Segment.at(0x20_0000, new byte[16], 16));
            elf32.entry = 0x20_0000;
            assertThatThrownBy(() -> load(elf32.build(), memory, Optional.empty(), ""))
                    .hasMessageContaining("32-bit ELF kernel (e_machine 3) has neither a Multiboot header nor a PVH note");

            TestImages.Elf arm = vmlinux();
            arm.machine = 183;
            assertThatThrownBy(() -> load(arm.build(), memory, Optional.empty(), ""))
                    .hasMessageContaining("e_machine 183");

            TestImages.Elf outside = vmlinux();
            outside.segments.add(TestImages.Segment.at(0xD000_0000L, new byte[16], 16));
            assertThatThrownBy(() -> load(outside.build(), memory, Optional.empty(), ""))
                    .hasMessageStartingWith("kernel segment 2 [0xd0000000-0xd0000010) does not fit in usable RAM");

            TestImages.Elf overlapping = vmlinux();
            overlapping.segments.add(TestImages.Segment.at(0x100_1000, new byte[16], 16));
            assertThatThrownBy(() -> load(overlapping.build(), memory, Optional.empty(), ""))
                    .hasMessageContaining("overlaps the kernel segment 0");

            TestImages.Elf lowLoad = vmlinux();
            lowLoad.segments.add(TestImages.Segment.at(0x9000, new byte[16], 16));
            assertThatThrownBy(() -> load(lowLoad.build(), memory, Optional.empty(), ""))
                    .hasMessageContaining("overlaps the zero page");

            TestImages.Elf badEntry = vmlinux();
            badEntry.entry = 0x500_0000;
            assertThatThrownBy(() -> load(badEntry.build(), memory, Optional.empty(), ""))
                    .hasMessage("ELF entry point 0x5000000 is outside every loadable segment");

            byte[] truncated = vmlinux().build();
            ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 32, 1L << 40); // p_filesz
            assertThatThrownBy(() -> load(truncated, memory, Optional.empty(), ""))
                    .hasMessageContaining("lies outside the");

            byte[] bss = vmlinux().build();
            ByteBuffer.wrap(bss).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 40, 1); // p_memsz < p_filesz
            assertThatThrownBy(() -> load(bss, memory, Optional.empty(), ""))
                    .hasMessageContaining("more file bytes");

            byte[] hugeBss = vmlinux().build();
            ByteBuffer.wrap(hugeBss).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 40, -16); // p_memsz >= 2^63
            assertThatThrownBy(() -> load(hugeBss, memory, Optional.empty(), ""))
                    .hasMessageContaining("impossible memory size");

            byte[] bigEndian = vmlinux().build();
            bigEndian[5] = 2;
            assertThatThrownBy(() -> load(bigEndian, memory, Optional.empty(), ""))
                    .hasMessageContaining("not little-endian");

            byte[] badPhdrs = vmlinux().build();
            ByteBuffer.wrap(badPhdrs).order(ByteOrder.LITTLE_ENDIAN).putLong(32, 1L << 33); // e_phoff
            assertThatThrownBy(() -> load(badPhdrs, memory, Optional.empty(), ""))
                    .hasMessageContaining("program headers");
        }
    }
}
