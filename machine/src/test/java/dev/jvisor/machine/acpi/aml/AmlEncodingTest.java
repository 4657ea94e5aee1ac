package dev.jvisor.machine.acpi.aml;

import static dev.jvisor.machine.acpi.aml.Aml.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Expected bytes are worked out by hand from ACPI 6.4 §20.2. */
class AmlEncodingTest {
    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    private static byte[] pkgLength(int body) {
        AmlWriter out = new AmlWriter();
        AmlEncoding.pkgLength(out, body);
        return out.toByteArray();
    }

    private static byte[] integerBytes(long value) {
        AmlWriter out = new AmlWriter();
        AmlEncoding.integer(out, value);
        return out.toByteArray();
    }

    @Test
    void nameStringsPadSegmentsAndUsePrefixes() {
        assertThat(AmlEncoding.nameString("_S5")).isEqualTo(hex("5F53355F"));
        assertThat(AmlEncoding.nameString("\\_SB")).isEqualTo(hex("5C 5F53425F"));
        assertThat(AmlEncoding.nameString("\\_SB.PCI0")).isEqualTo(hex("5C 2E 5F53425F 50434930"));
        assertThat(AmlEncoding.nameString("\\_SB.PCI0.COM1")).isEqualTo(hex("5C 2F 03 5F53425F 50434930 434F4D31"));
        assertThat(AmlEncoding.nameString("^^RTC")).isEqualTo(hex("5E 5E 5254435F"));
        assertThat(AmlEncoding.nameString("\\")).isEqualTo(hex("5C 00"));
    }

    @Test
    void badNameSegmentsAreRejected() {
        assertThatThrownBy(() -> AmlEncoding.nameString("TOOLONG")).hasMessageContaining("1-4 characters");
        assertThatThrownBy(() -> AmlEncoding.nameString("1ABC")).hasMessageContaining("A-Z");
        assertThatThrownBy(() -> AmlEncoding.nameString("com1")).hasMessageContaining("A-Z");
        assertThatThrownBy(() -> AmlEncoding.nameString("\\_SB..X")).hasMessageContaining("1-4 characters");
    }

    @Test
    void pkgLengthCountsItselfAndGrowsAtTheSpecBoundaries() {
        assertThat(pkgLength(0)).isEqualTo(hex("01"));
        assertThat(pkgLength(62)).isEqualTo(hex("3F"));
        // 63 + 2 = 65 = 0x41: low nibble 1 in the lead byte, 0x04 in the next.
        assertThat(pkgLength(63)).isEqualTo(hex("41 04"));
        assertThat(pkgLength(4093)).isEqualTo(hex("4F FF"));
        // 4094 + 3 = 0x1001.
        assertThat(pkgLength(4094)).isEqualTo(hex("81 00 01"));
        // 0xFFFFC + 3 = 0xFFFFF is the largest 3-byte length.
        assertThat(pkgLength(0xFFFFC)).isEqualTo(hex("8F FF FF"));
        // 0xFFFFD + 4 = 0x100001 needs 4 bytes.
        assertThat(pkgLength(0xFFFFD)).isEqualTo(hex("C1 00 00 01"));
        assertThatThrownBy(() -> pkgLength(1 << 28)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integersUseTheShortestEncoding() {
        assertThat(integerBytes(0)).isEqualTo(hex("00"));
        assertThat(integerBytes(1)).isEqualTo(hex("01"));
        assertThat(integerBytes(-1)).isEqualTo(hex("FF"));
        assertThat(integerBytes(5)).isEqualTo(hex("0A 05"));
        assertThat(integerBytes(0xFF)).isEqualTo(hex("0A FF"));
        assertThat(integerBytes(0x100)).isEqualTo(hex("0B 00 01"));
        assertThat(integerBytes(0x1_0000)).isEqualTo(hex("0C 00 00 01 00"));
        assertThat(integerBytes(0xFFFF_FFFFL)).isEqualTo(hex("0C FF FF FF FF"));
        assertThat(integerBytes(0x1_0000_0000L)).isEqualTo(hex("0E 00 00 00 00 01 00 00 00"));
    }

    @Test
    void eisaIdsCompressLikeTheAslMacro() {
        assertThat(AmlEncoding.eisaId("PNP0A03")).isEqualTo(0x030A_D041L);
        assertThat(AmlEncoding.eisaId("PNP0A08")).isEqualTo(0x080A_D041L);
        assertThat(AmlEncoding.eisaId("PNP0501")).isEqualTo(0x0105_D041L);
        assertThatThrownBy(() -> AmlEncoding.eisaId("PNP0a03")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AmlEncoding.eisaId("pNP0A03")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AmlEncoding.eisaId("PNP0A0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void termsEncodeAsTheirAslEquivalents() {
        // Name (_S5, Package () {5, 0, 0, 0})
        assertThat(name("_S5", pkgOfIntegers(5, 0, 0, 0)).toBytes())
                .isEqualTo(hex("08 5F53355F 12 07 04 0A05 00 00 00"));
        // Method (_STA, 0, NotSerialized) { Return (0x0F) }
        assertThat(method("_STA", 0, false, returnValue(integer(0x0F))).toBytes())
                .isEqualTo(hex("14 09 5F535441 00 A4 0A0F"));
        // Method (FOO, 2, Serialized) {}
        assertThat(method("FOO", 2, true).toBytes()).isEqualTo(hex("14 06 464F4F5F 0A"));
        // Device (COM1) {}
        assertThat(device("COM1").toBytes()).isEqualTo(hex("5B82 05 434F4D31"));
        // Scope (\_SB) { Name (_UID, One) }
        assertThat(scope("\\_SB", name("_UID", integer(1))).toBytes())
                .isEqualTo(hex("10 0C 5C5F53425F 08 5F554944 01"));
        // Buffer () {1, 2, 3}
        assertThat(buffer(new byte[]{1, 2, 3}).toBytes()).isEqualTo(hex("11 06 0A03 010203"));
        // "ACPI0007"
        assertThat(string("ACPI0007").toBytes()).isEqualTo(hex("0D 4143504930303037 00"));
        // A reference inside a package: Package () {\_SB.PCI0}
        assertThat(pkg(nameRef("\\_SB.PCI0")).toBytes()).isEqualTo(hex("12 0C 01 5C2E5F53425F50434930"));
    }

    @Test
    void largeBodiesGetMultiByteLengths() {
        byte[] data = new byte[100];
        byte[] encoded = buffer(data).toBytes();
        // body = 0A 64 + 100 bytes = 102; PkgLength 104 = 0x68 -> 48 06.
        assertThat(encoded).startsWith(hex("11 48 06 0A 64"));
        assertThat(encoded).hasSize(1 + 2 + 2 + 100);
    }

    @Test
    void invalidTermsAreRejected() {
        assertThatThrownBy(() -> string("caf\u00e9")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> method("_XYZ", 8, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pkg(java.util.Collections.nCopies(256, integer(0))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
