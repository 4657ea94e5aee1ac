package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class ModuleInfoTest {

    @Test
    void readsNameAndDependenciesFromModinfo() throws ImageException {
        ModuleInfo info = ModuleInfo.parse(TestElf.module("virtio_net", "virtio_ring", "virtio", "net_failover"),
                "virtio_net.ko");
        assertThat(info.name()).isEqualTo("virtio_net");
        assertThat(info.depends()).containsExactly("virtio_ring", "virtio", "net_failover");
    }

    @Test
    void anEmptyDependsListMeansNoDependencies() throws ImageException {
        assertThat(ModuleInfo.parse(TestElf.module("virtio_ring"), "virtio_ring.ko").depends()).isEmpty();
    }

    @Test
    void fallsBackToTheFileNameAndCanonicalisesDashes() throws ImageException {
        ModuleInfo info = ModuleInfo.parse(TestElf.module(null, "virtio-ring"), "kernel/drivers/char/virtio-rng.ko");
        assertThat(info.name()).isEqualTo("virtio_rng");
        assertThat(info.depends()).containsExactly("virtio_ring");
        assertThat(ModuleInfo.nameFromFile("kernel/x/foo-bar.ko.xz")).isEqualTo("foo_bar");
    }

    @Test
    void rejectsFilesThatAreNotModules() {
        assertThatThrownBy(() -> ModuleInfo.parse(new byte[100], "zero.ko")).hasMessage("zero.ko is not an ELF file");
        byte[] elf32 = TestElf.module("x");
        elf32[4] = 1;
        assertThatThrownBy(() -> ModuleInfo.parse(elf32, "x.ko")).hasMessageContaining("not a 64-bit little-endian");
        assertThatThrownBy(() -> ModuleInfo.parse(TestElf.elf(new byte[] {1}, ".text"), "nomodinfo.ko"))
                .hasMessage("nomodinfo.ko has no .modinfo section");
    }

    @Test
    void rejectsCorruptSectionTablesWithoutCrashing() {
        byte[] module = TestElf.module("x", "y");
        byte[] truncated = Arrays.copyOf(module, module.length - 70);
        assertThatThrownBy(() -> ModuleInfo.parse(truncated, "t.ko")).isInstanceOf(ImageException.class)
                .hasMessageContaining("outside the file");

        byte[] hugeSection = module.clone();
        ByteBuffer buffer = ByteBuffer.wrap(hugeSection).order(ByteOrder.LITTLE_ENDIAN);
        long table = buffer.getLong(0x28);
        buffer.putLong((int) table + 64 + 0x20, Long.MAX_VALUE);
        assertThatThrownBy(() -> ModuleInfo.parse(hugeSection, "h.ko")).hasMessageContaining("outside the file");

        byte[] badNames = module.clone();
        ByteBuffer.wrap(badNames).order(ByteOrder.LITTLE_ENDIAN).putShort(0x3e, (short) 7);
        assertThatThrownBy(() -> ModuleInfo.parse(badNames, "n.ko")).hasMessageContaining("out of range");

        byte[] tableOutside = module.clone();
        ByteBuffer.wrap(tableOutside).order(ByteOrder.LITTLE_ENDIAN).putLong(0x28, 1L << 40);
        assertThatThrownBy(() -> ModuleInfo.parse(tableOutside, "o.ko")).isInstanceOf(ImageException.class);
    }
}
