package dev.jvisor.machine.acpi.aml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Descriptor layouts from ACPI 6.4 §6.4.2 (small) and §6.4.3 (large). */
class ResourceTemplateTest {
    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    @Test
    void smallDescriptorsAndEndTag() {
        byte[] bytes = new ResourceTemplate().io(0x3F8, 0x3F8, 1, 8).irqNoFlags(4).toBytes();
        assertThat(bytes).isEqualTo(hex("47 01 F803 F803 01 08  22 1000  79 00"));
    }

    @Test
    void irqMaskHasOneBitPerIrq() {
        assertThat(new ResourceTemplate().irqNoFlags(1, 8).toBytes()).startsWith(hex("22 0201"));
        assertThatThrownBy(() -> new ResourceTemplate().irqNoFlags(16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wordDescriptorsCarryRangeAndLength() {
        byte[] bus = new ResourceTemplate().wordBusNumber(0, 255).toBytes();
        assertThat(bus).isEqualTo(hex("88 0D00 02 0C 00 0000 0000 FF00 0000 0001 79 00"));
        byte[] io = new ResourceTemplate().wordIo(0x0D00, 0xFFFF).toBytes();
        assertThat(io).isEqualTo(hex("88 0D00 01 0C 03 0000 000D FFFF 0000 00F3 79 00"));
        assertThatThrownBy(() -> new ResourceTemplate().wordIo(0, 0xFFFF)).hasMessageContaining("16-bit length");
    }

    @Test
    void dwordAndQwordMemory() {
        byte[] d = new ResourceTemplate().dwordMemory(0xC000_0000L, 0xDFFF_FFFFL).toBytes();
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(d).hasSize(26 + 2);
        assertThat(d[0] & 0xFF).isEqualTo(0x87);
        assertThat(b.getShort(1)).isEqualTo((short) 23);
        assertThat(d[3]).isEqualTo((byte) 0);
        assertThat(d[5]).isEqualTo((byte) 1);
        assertThat(b.getInt(10)).isEqualTo(0xC000_0000);
        assertThat(b.getInt(14)).isEqualTo(0xDFFF_FFFF);
        assertThat(b.getInt(22)).isEqualTo(0x2000_0000);

        byte[] q = new ResourceTemplate().qwordMemory(0x1_0000_0000L, 0x10_FFFF_FFFFL).toBytes();
        b = ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(q).hasSize(46 + 2);
        assertThat(q[0] & 0xFF).isEqualTo(0x8A);
        assertThat(b.getShort(1)).isEqualTo((short) 43);
        assertThat(b.getLong(14)).isEqualTo(0x1_0000_0000L);
        assertThat(b.getLong(22)).isEqualTo(0x10_FFFF_FFFFL);
        assertThat(b.getLong(38)).isEqualTo(0x10_0000_0000L);
    }

    @Test
    void memory32Fixed() {
        assertThat(new ResourceTemplate().memory32Fixed(0xE000_0000L, 0x1000_0000L).toBytes())
                .isEqualTo(hex("86 0900 01 000000E0 00000010 79 00"));
    }

    @Test
    void templateBecomesABuffer() {
        byte[] aml = new ResourceTemplate().irqNoFlags(4).toBuffer().toBytes();
        assertThat(aml).isEqualTo(hex("11 08 0A 05 22 1000 79 00"));
    }
}
