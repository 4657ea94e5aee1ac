package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format detection and the file-level errors of the public entry point. */
class KernelLoaderTest {
    private static final MemoryMap MAP = MemoryMap.forRam(64 * MIB);

    @TempDir
    Path dir;

    private BootSetup loadFile(Path kernel, BootOptions options) throws KernelLoadException {
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            return KernelLoader.load(kernel, Optional.empty(), "", memory, MAP, options);
        }
    }

    @Test
    void detectsEachFormatFromTheFile() throws Exception {
        Path bz = Files.write(dir.resolve("bzImage"), new TestImages.BzImage().build());
        TestImages.Elf vmlinux = new TestImages.Elf();
        vmlinux.segments.add(TestImages.Segment.at(0x100_0000, new byte[64], 64));
        vmlinux.entry = 0x100_0000;
        Path elf = Files.write(dir.resolve("vmlinux"), vmlinux.build());
        Path multiboot = Files.write(dir.resolve("mb"), TestImages.multibootHeader(
                MultibootHeader.FLAG_AOUT_KLUDGE, 0x20_0000, 0x20_0000, 0, 0, 0x20_0000));

        assertThat(loadFile(bz, BootOptions.withRsdp(0)).format()).isEqualTo(KernelFormat.BZIMAGE);
        assertThat(loadFile(elf, BootOptions.withRsdp(0)).format()).isEqualTo(KernelFormat.ELF_LINUX64);
        assertThat(loadFile(multiboot, BootOptions.withRsdp(0)).format()).isEqualTo(KernelFormat.MULTIBOOT_AOUT);
    }

    @Test
    void unknownMissingEmptyAndOversizedKernelsAreRejected() throws Exception {
        Path garbage = Files.write(dir.resolve("garbage"), TestImages.pattern(10_000, 1));
        assertThatThrownBy(() -> loadFile(garbage, BootOptions.withRsdp(0)))
                .isInstanceOf(KernelLoadException.class)
                .hasMessage("not a Linux bzImage, ELF or Multiboot kernel");

        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> loadFile(missing, BootOptions.withRsdp(0)))
                .hasMessage("kernel " + missing + " does not exist or is not a regular file");
        assertThatThrownBy(() -> loadFile(dir, BootOptions.withRsdp(0)))
                .hasMessageContaining("is not a regular file");

        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertThatThrownBy(() -> loadFile(empty, BootOptions.withRsdp(0))).hasMessage("kernel " + empty + " is empty");

        Path huge = dir.resolve("huge");
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(65 * MIB);
        }
        assertThatThrownBy(() -> loadFile(huge, BootOptions.withRsdp(0)))
                .hasMessage("kernel " + huge + " of 65 MiB is larger than the 64 MiB of guest RAM");

        byte[] tinyElf = {0x7F, 'E', 'L', 'F', 2, 1, 1};
        Path shortElf = Files.write(dir.resolve("short.elf"), tinyElf);
        assertThatThrownBy(() -> loadFile(shortElf, BootOptions.withRsdp(0))).hasMessageContaining("too short");
    }

    @Test
    void extraModulesNeedAMultibootKernel() throws Exception {
        Path bz = Files.write(dir.resolve("bzImage"), new TestImages.BzImage().build());
        Path module = Files.write(dir.resolve("mod"), new byte[8]);
        BootOptions options = new BootOptions(0, List.of(new BootModule(module, "")));
        assertThatThrownBy(() -> loadFile(bz, options))
                .hasMessage("boot modules besides the initrd need a Multiboot kernel; this is a Linux bzImage");
    }

    @Test
    void bootStructuresAreListedAmongTheLoadedRegions() throws Exception {
        Path bz = Files.write(dir.resolve("bzImage"), new TestImages.BzImage().build());
        BootSetup setup = loadFile(bz, BootOptions.withRsdp(0));
        assertThat(setup.regions()).extracting(LoadedRegion::what).containsExactly(
                "boot GDT", "boot stack", "boot page tables", "zero page", "command line", "kernel");
        assertThat(setup.region("zero page").orElseThrow().address()).isEqualTo(ZERO_PAGE);
    }
}
