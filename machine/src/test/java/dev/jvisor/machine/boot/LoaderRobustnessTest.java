package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Corrupts valid images at random (seeded, so reproducible) and checks that the loaders answer
 * every variant either with a boot setup or with a {@link KernelLoadException}: no other exception
 * may reach the caller, whatever the image says.
 */
class LoaderRobustnessTest {
    private static final MemoryMap MAP = MemoryMap.forRam(32 * MIB);
    private static final int VARIANTS_PER_IMAGE = 400;

    private static List<byte[]> seeds() {
        TestImages.Elf vmlinux = new TestImages.Elf();
        vmlinux.segments.add(TestImages.Segment.at(0x100_0000, TestImages.pattern(256, 1), 0x1000));
        vmlinux.entry = 0x100_0000;
        vmlinux.notes.add(new TestImages.Note("Xen", ElfLoader.XEN_ELFNOTE_PHYS32_ENTRY,
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x100_0010).array()));

        TestImages.Elf multiboot = new TestImages.Elf();
        multiboot.is64 = false;
        multiboot.machine = ElfImage.EM_386;
        multiboot.segments.add(TestImages.Segment.at(0x10_0000,
                TestImages.concat(TestImages.multibootHeader(3, 0, 0, 0, 0, 0), new byte[64]), 0x2000));
        multiboot.entry = 0x10_0000;

        byte[] aout = TestImages.concat(TestImages.multibootHeader(MultibootHeader.FLAG_AOUT_KLUDGE,
                0x20_0000, 0x20_0000, 0, 0x20_4000, 0x20_0000), new byte[128]);

        TestImages.BzImage bz = new TestImages.BzImage();
        bz.protectedMode = TestImages.pattern(512, 3);
        bz.initSize = 0x10_0000;
        return List.of(bz.build(), vmlinux.build(), multiboot.build(), aout);
    }

    @Test
    void corruptedImagesFailOnlyWithKernelLoadException() {
        Random random = new Random(20240601);
        int loaded = 0;
        int rejected = 0;
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            for (byte[] seed : seeds()) {
                for (int variant = 0; variant < VARIANTS_PER_IMAGE; variant++) {
                    byte[] image = seed.clone();
                    int flips = 1 + random.nextInt(8);
                    for (int i = 0; i < flips; i++) {
                        int at = random.nextInt(Math.min(image.length, 0x300));
                        image[at] = (byte) (random.nextBoolean() ? random.nextInt(256) : image[at] ^ (1 << random.nextInt(8)));
                    }
                    try {
                        KernelLoader.load(image, Optional.empty(), "console=ttyS0", memory, MAP, BootOptions.withRsdp(0));
                        loaded++;
                    } catch (KernelLoadException expected) {
                        assertThat(expected.getMessage()).isNotBlank();
                        rejected++;
                    }
                }
            }
        }
        assertThat(loaded + rejected).isEqualTo(4 * VARIANTS_PER_IMAGE);
        assertThat(rejected).as("corruption is noticed").isPositive();
        assertThat(loaded).as("harmless corruption still loads").isPositive();
    }
}
