package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Writes the tables into guest RAM and reads them back the way an OS does: RSDP, XSDT, tables. */
class AcpiTablesTest {
    private static final MemoryMap MAP = MemoryMap.forRam(512 * MIB);

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String ascii(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.US_ASCII);
    }

    private static byte[] readTable(GuestMemory memory, long address) {
        int length = memory.readU32AsInt(address + 4);
        assertThat(length).isBetween(AcpiTable.HEADER_SIZE, 0x10000);
        byte[] table = memory.read(address, length);
        assertThat(AcpiTable.sum(table, 0, length)).as("checksum of %s", ascii(table, 0, 4)).isZero();
        return table;
    }

    /** Follows RSDP -> XSDT -> tables, checking every checksum, and returns tables by signature. */
    private static Map<String, byte[]> readAll(GuestMemory memory, long rsdpAddress) {
        byte[] rsdp = memory.read(rsdpAddress, RootTables.RSDP_LENGTH);
        assertThat(ascii(rsdp, 0, 8)).isEqualTo("RSD PTR ");
        assertThat(AcpiTable.sum(rsdp, 0, 20)).isZero();
        assertThat(AcpiTable.sum(rsdp, 0, 36)).isZero();
        assertThat(rsdp[15]).isEqualTo((byte) 2);
        assertThat(le(rsdp).getInt(20)).isEqualTo(36);

        Map<String, byte[]> tables = new LinkedHashMap<>();
        byte[] xsdt = readTable(memory, le(rsdp).getLong(24));
        byte[] rsdt = readTable(memory, le(rsdp).getInt(16) & 0xFFFF_FFFFL);
        assertThat(ascii(xsdt, 0, 4)).isEqualTo("XSDT");
        assertThat(ascii(rsdt, 0, 4)).isEqualTo("RSDT");
        int entries = (xsdt.length - 36) / 8;
        assertThat((rsdt.length - 36) / 4).isEqualTo(entries);
        for (int i = 0; i < entries; i++) {
            long address = le(xsdt).getLong(36 + 8 * i);
            assertThat(le(rsdt).getInt(36 + 4 * i) & 0xFFFF_FFFFL).isEqualTo(address);
            byte[] table = readTable(memory, address);
            tables.put(ascii(table, 0, 4), table);
        }
        byte[] fadt = tables.get("FACP");
        tables.put("DSDT", readTable(memory, le(fadt).getLong(Fadt.X_DSDT)));
        tables.put("FACS", memory.read(le(fadt).getInt(Fadt.FIRMWARE_CTRL) & 0xFFFF_FFFFL, Facs.LENGTH));
        return tables;
    }

    @Test
    void osStyleWalkFindsEveryTableWithValidChecksums() {
        AcpiTables acpi = AcpiTables.build(MAP, 2, true);
        try (GuestMemory memory = GuestMemory.create(MAP.ramLayouts())) {
            acpi.writeTo(memory);
            Map<String, byte[]> tables = readAll(memory, acpi.rsdpAddress());

            assertThat(tables.keySet()).containsExactly("FACP", "APIC", "MCFG", "DSDT", "FACS");
            for (byte[] t : tables.values()) {
                assertThat(ascii(t, 10, 6)).isIn("JVISOR", "\0\0\0\0\0\0");
            }
        }
    }

    @Test
    void rsdpIsInTheLegacyScanAreaAndEverythingIsInsideTheAcpiE820Entry() {
        AcpiTables acpi = AcpiTables.build(MAP, 255, true);
        assertThat(acpi.rsdpAddress()).isBetween(0xE0000L, 0xFFFFFL - 36).matches(a -> a % 16 == 0);
        E820Entry acpiEntry = MAP.e820().stream().filter(e -> e.type() == E820Entry.Type.ACPI).findFirst().orElseThrow();
        for (AcpiTables.Table t : acpi.tables()) {
            assertThat(acpiEntry.contains(t.address(), t.bytes().length)).as(t.signature()).isTrue();
            assertThat(t.address() % 16).isZero();
        }
        assertThat(acpi.table("FACS").orElseThrow().address() % 64).isZero();
    }

    @Test
    void fadtDescribesTheFixedHardwareOfTheBoard() {
        byte[] fadt = AcpiTables.build(MAP, 1, true).table("FACP").orElseThrow().bytes();
        ByteBuffer b = le(fadt);

        assertThat(fadt).hasSize(276);
        assertThat(fadt[8]).isEqualTo((byte) 6);
        assertThat(b.getShort(Fadt.SCI_INT)).isEqualTo((short) 9);
        assertThat(b.getInt(Fadt.SMI_CMD)).isZero();
        assertThat(b.getInt(Fadt.PM1A_EVT_BLK)).isEqualTo(0x600);
        assertThat(b.getInt(Fadt.PM1A_CNT_BLK)).isEqualTo(0x604);
        assertThat(b.getInt(Fadt.PM_TMR_BLK)).isEqualTo(0x608);
        assertThat(fadt[Fadt.PM1_EVT_LEN]).isEqualTo((byte) 4);
        assertThat(fadt[Fadt.PM1_CNT_LEN]).isEqualTo((byte) 2);
        assertThat(fadt[Fadt.PM_TMR_LEN]).isEqualTo((byte) 4);
        assertThat(GenericAddress.readFrom(b, Fadt.X_PM1A_EVT_BLK)).isEqualTo(new GenericAddress(1, 32, 0, 2, 0x600));
        assertThat(GenericAddress.readFrom(b, Fadt.X_PM1A_CNT_BLK)).isEqualTo(new GenericAddress(1, 16, 0, 2, 0x604));
        assertThat(GenericAddress.readFrom(b, Fadt.X_PM_TMR_BLK)).isEqualTo(new GenericAddress(1, 32, 0, 3, 0x608));
        assertThat(GenericAddress.readFrom(b, Fadt.X_PM1B_EVT_BLK)).isEqualTo(GenericAddress.NONE);
        assertThat(GenericAddress.readFrom(b, Fadt.RESET_REG)).isEqualTo(new GenericAddress(1, 8, 0, 1, 0xCF9));
        assertThat(fadt[Fadt.RESET_VALUE]).isEqualTo((byte) 6);
        assertThat(fadt[Fadt.CENTURY]).isEqualTo((byte) 0x32);
        int flags = b.getInt(Fadt.FLAGS);
        assertThat(flags & Fadt.RESET_REG_SUP).isNotZero();
        assertThat(flags & Fadt.TMR_VAL_EXT).isNotZero();
        assertThat(flags & Fadt.HW_REDUCED_ACPI).isZero();
        assertThat(b.getShort(Fadt.IAPC_BOOT_ARCH) & Fadt.BOOT_8042).isNotZero();
        assertThat(b.getInt(Fadt.FIRMWARE_CTRL)).isNotZero();
        assertThat(b.getLong(Fadt.X_FIRMWARE_CTRL)).as("only one FACS pointer may be set").isZero();
        assertThat(b.getLong(Fadt.X_DSDT)).isEqualTo(b.getInt(Fadt.DSDT) & 0xFFFF_FFFFL).isNotZero();

        byte[] no8042 = AcpiTables.build(MAP, 1, false).table("FACP").orElseThrow().bytes();
        assertThat(le(no8042).getShort(Fadt.IAPC_BOOT_ARCH) & Fadt.BOOT_8042).isZero();
    }

    /** A parsed MADT entry: type and raw bytes. */
    private record Entry(int type, byte[] bytes) {
    }

    private static List<Entry> madtEntries(byte[] madt) {
        List<Entry> entries = new ArrayList<>();
        int at = Madt.FIRST_ENTRY;
        while (at < madt.length) {
            int length = madt[at + 1] & 0xFF;
            assertThat(length).isPositive();
            entries.add(new Entry(madt[at] & 0xFF, java.util.Arrays.copyOfRange(madt, at, at + length)));
            at += length;
        }
        assertThat(at).isEqualTo(madt.length);
        return entries;
    }

    @Test
    void madtListsCpusIoapicOverridesAndNmi() {
        byte[] madt = AcpiTables.build(MAP, 3, true).table("APIC").orElseThrow().bytes();
        assertThat(le(madt).getInt(Madt.LOCAL_APIC_ADDRESS)).isEqualTo((int) LAPIC_BASE);
        assertThat(le(madt).getInt(Madt.FLAGS)).isEqualTo(Madt.PCAT_COMPAT);

        List<Entry> entries = madtEntries(madt);
        List<Entry> cpus = entries.stream().filter(e -> e.type() == 0).toList();
        assertThat(cpus).hasSize(3);
        for (int i = 0; i < 3; i++) {
            byte[] e = cpus.get(i).bytes();
            assertThat(e[2]).as("processor UID").isEqualTo((byte) i);
            assertThat(e[3]).as("APIC ID").isEqualTo((byte) i);
            assertThat(le(e).getInt(4)).as("enabled").isEqualTo(1);
        }
        byte[] ioapic = entries.stream().filter(e -> e.type() == 1).findFirst().orElseThrow().bytes();
        assertThat(le(ioapic).getInt(4)).isEqualTo((int) IOAPIC_BASE);
        assertThat(le(ioapic).getInt(8)).as("GSI base").isZero();

        List<byte[]> overrides = entries.stream().filter(e -> e.type() == 2).map(Entry::bytes).toList();
        assertThat(overrides).hasSize(2);
        assertThat(overrides.get(0)[3]).isEqualTo((byte) 0);
        assertThat(le(overrides.get(0)).getInt(4)).isEqualTo(2);
        assertThat(le(overrides.get(0)).getShort(8)).isEqualTo((short) 0x5);
        assertThat(overrides.get(1)[3]).isEqualTo((byte) 9);
        assertThat(le(overrides.get(1)).getInt(4)).isEqualTo(9);
        assertThat(le(overrides.get(1)).getShort(8)).as("level, active high").isEqualTo((short) 0xD);

        byte[] nmi = entries.stream().filter(e -> e.type() == 4).findFirst().orElseThrow().bytes();
        assertThat(nmi[2] & 0xFF).isEqualTo(0xFF);
        assertThat(nmi[5]).as("LINT1").isEqualTo((byte) 1);
    }

    @Test
    void mcfgCoversTheEcamWindow() {
        byte[] mcfg = AcpiTables.build(MAP, 1, true).table("MCFG").orElseThrow().bytes();
        ByteBuffer b = le(mcfg);
        assertThat(mcfg).hasSize(60);
        assertThat(b.getLong(44)).isEqualTo(PCIE_ECAM_BASE);
        assertThat(b.getShort(52)).isZero();
        assertThat(mcfg[54] & 0xFF).isEqualTo(0);
        assertThat(mcfg[55] & 0xFF).isEqualTo(255);
        assertThat(((mcfg[55] & 0xFF) - (mcfg[54] & 0xFF) + 1L) << 20).isEqualTo(PCIE_ECAM_SIZE);
    }

    @Test
    void facsHasSignatureLengthAndVersion() {
        byte[] facs = Facs.build();
        assertThat(ascii(facs, 0, 4)).isEqualTo("FACS");
        assertThat(le(facs).getInt(4)).isEqualTo(64);
        assertThat(facs[32]).isEqualTo((byte) 2);
        assertThat(le(facs).getInt(16)).as("global lock free").isZero();
    }

    @Test
    void dsdtCarriesS5AndTheBoardDevices() {
        byte[] dsdt = AcpiTables.build(MAP, 1, true).table("DSDT").orElseThrow().bytes();
        String text = new String(dsdt, StandardCharsets.ISO_8859_1);
        assertThat(dsdt[8]).isEqualTo((byte) 2);
        assertThat(text).contains("_S5_", "PCI0", "_PRT", "_CRS", "COM1", "RTC_", "KBD_", "MRES", "_SEG", "_BBN");
        // Name (\_S5, Package () {5, 0, 0, 0}) right after the header.
        assertThat(java.util.Arrays.copyOfRange(dsdt, 36, 50)).isEqualTo(new byte[]{
                0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0A, (byte) ACPI_S5_SLP_TYP, 0, 0, 0});
        byte[] withoutKbd = AcpiTables.build(MAP, 1, false).table("DSDT").orElseThrow().bytes();
        assertThat(new String(withoutKbd, StandardCharsets.ISO_8859_1)).doesNotContain("KBD_");
    }

    @Test
    void sameInputsGiveIdenticalBytes() {
        AcpiTables a = AcpiTables.build(MemoryMap.forRam(4 * GIB), 4, true);
        AcpiTables b = AcpiTables.build(MemoryMap.forRam(4 * GIB), 4, true);
        assertThat(a.tables()).hasSameSizeAs(b.tables());
        for (int i = 0; i < a.tables().size(); i++) {
            assertThat(a.tables().get(i).address()).isEqualTo(b.tables().get(i).address());
            assertThat(a.tables().get(i).bytes()).isEqualTo(b.tables().get(i).bytes());
        }
    }

    @Test
    void badCpuCountsAreRejected() {
        assertThatThrownBy(() -> AcpiTables.build(MAP, 0, true)).hasMessageContaining("1 to 255");
        assertThatThrownBy(() -> AcpiTables.build(MAP, 256, true)).hasMessageContaining("1 to 255");
    }
}
