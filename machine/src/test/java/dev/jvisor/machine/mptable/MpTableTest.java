package dev.jvisor.machine.mptable;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parses the tables back the way an OS's MP-spec code does (MP Spec 1.4 §4, Appendix D.3). */
class MpTableTest {
    private record IoInterrupt(int type, int flags, int bus, int busIrq, int apicId, int pin) {
    }

    private record Parsed(List<int[]> processors, List<String> buses, List<IoInterrupt> ioInterrupts,
                          List<int[]> localInterrupts, int ioapicId, long ioapicAddress) {
    }

    private static int sum(byte[] bytes, int offset, int length) {
        int s = 0;
        for (int i = offset; i < offset + length; i++) {
            s += bytes[i];
        }
        return s & 0xFF;
    }

    /** Scans 0xF0000-0xFFFFF in 16-byte steps for "_MP_" as the spec says and parses what it finds. */
    private static Parsed scanAndParse(GuestMemory memory) {
        byte[] bios = memory.read(0xF0000, 0x10000);
        int found = -1;
        for (int at = 0; at < bios.length; at += 16) {
            if (new String(bios, at, 4, StandardCharsets.US_ASCII).equals("_MP_") && sum(bios, at, 16) == 0) {
                found = at;
                break;
            }
        }
        assertThat(found).as("floating pointer found").isNotNegative();
        ByteBuffer fp = ByteBuffer.wrap(bios, found, 16).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bios[found + 8]).as("length in paragraphs").isEqualTo((byte) 1);
        assertThat(bios[found + 9]).as("spec revision").isEqualTo((byte) 4);
        assertThat(bios[found + 11]).as("feature byte 1: table present").isZero();
        long tableAddress = fp.getInt(found + 4) & 0xFFFF_FFFFL;

        int length = memory.readU16(tableAddress + 4);
        byte[] table = memory.read(tableAddress, length);
        ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(table, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("PCMP");
        assertThat(sum(table, 0, length)).as("table checksum").isZero();
        assertThat(table[6]).isEqualTo((byte) 4);
        assertThat(b.getInt(36)).isEqualTo((int) LAPIC_BASE);
        int count = b.getShort(34) & 0xFFFF;

        List<int[]> processors = new ArrayList<>();
        List<String> buses = new ArrayList<>();
        List<IoInterrupt> io = new ArrayList<>();
        List<int[]> local = new ArrayList<>();
        int ioapicId = -1;
        long ioapicAddress = 0;
        int at = 44;
        for (int i = 0; i < count; i++) {
            int type = table[at];
            switch (type) {
                case 0 -> {
                    processors.add(new int[]{table[at + 1] & 0xFF, table[at + 2] & 0xFF, table[at + 3] & 0xFF});
                    at += 20;
                }
                case 1 -> {
                    buses.add((table[at + 1] & 0xFF) + ":" + new String(table, at + 2, 6, StandardCharsets.US_ASCII).trim());
                    at += 8;
                }
                case 2 -> {
                    ioapicId = table[at + 1] & 0xFF;
                    assertThat(table[at + 3] & 1).as("IOAPIC enabled").isEqualTo(1);
                    ioapicAddress = b.getInt(at + 4) & 0xFFFF_FFFFL;
                    at += 8;
                }
                case 3 -> {
                    io.add(new IoInterrupt(table[at + 1], b.getShort(at + 2), table[at + 4], table[at + 5] & 0xFF,
                            table[at + 6] & 0xFF, table[at + 7] & 0xFF));
                    at += 8;
                }
                case 4 -> {
                    local.add(new int[]{table[at + 1], table[at + 6] & 0xFF, table[at + 7]});
                    at += 8;
                }
                default -> throw new AssertionError("unknown MP entry type " + type + " at " + at);
            }
        }
        assertThat(at).as("entries fill the table exactly").isEqualTo(length);
        return new Parsed(processors, buses, io, local, ioapicId, ioapicAddress);
    }

    @Test
    void scanFindsProcessorsBusesIoapicAndInterrupts() {
        MemoryMap map = MemoryMap.forRam(64 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            MpTable.writeTo(memory, 4);
            Parsed p = scanAndParse(memory);

            assertThat(p.processors()).hasSize(4);
            for (int i = 0; i < 4; i++) {
                int[] cpu = p.processors().get(i);
                assertThat(cpu[0]).as("APIC ID").isEqualTo(i);
                assertThat(cpu[1]).as("APIC version").isEqualTo(LAPIC_VERSION);
                assertThat(cpu[2]).as("flags").isEqualTo(i == 0 ? 3 : 1);
            }
            assertThat(p.buses()).containsExactly("0:ISA", "1:PCI");
            assertThat(p.ioapicId()).isEqualTo(IOAPIC_ID);
            assertThat(p.ioapicAddress()).isEqualTo(IOAPIC_BASE);
            assertThat(p.localInterrupts()).extracting(l -> l[0] + "->LINT" + l[2] + "@" + l[1])
                    .containsExactly("3->LINT0@255", "1->LINT1@255");
        }
    }

    @Test
    void isaIrqsMapToTheirPinsWithThePitOnPin2AndALevelSci() {
        MemoryMap map = MemoryMap.forRam(16 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            MpTable.writeTo(memory, 1);
            List<IoInterrupt> isa = scanAndParse(memory).ioInterrupts().stream().filter(i -> i.bus() == 0).toList();

            assertThat(isa).contains(new IoInterrupt(MpTable.EXT_INT, 0, 0, 0, IOAPIC_ID, 0));
            List<IoInterrupt> ints = isa.stream().filter(i -> i.type() == MpTable.INT).toList();
            assertThat(ints).extracting(IoInterrupt::busIrq)
                    .containsExactly(0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            for (IoInterrupt i : ints) {
                int expectedPin = i.busIrq() == 0 ? 2 : i.busIrq();
                assertThat(i.pin()).as("IRQ %d", i.busIrq()).isEqualTo(expectedPin);
                assertThat(i.flags()).as("IRQ %d", i.busIrq()).isEqualTo(i.busIrq() == 9 ? 0xD : 0);
            }
        }
    }

    @Test
    void pciInterruptsFollowTheBoardRouting() {
        MemoryMap map = MemoryMap.forRam(16 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            MpTable.writeTo(memory, 1);
            List<IoInterrupt> pci = scanAndParse(memory).ioInterrupts().stream().filter(i -> i.bus() == 1).toList();
            assertThat(pci).hasSize(31 * 4);
            for (IoInterrupt i : pci) {
                int slot = i.busIrq() >> 2;
                int pin = i.busIrq() & 3;
                assertThat(i.pin()).isEqualTo(pciIntxGsi(slot, pin));
                assertThat(i.flags()).as("level, active low").isEqualTo(0xF);
            }
        }
    }

    @Test
    void maximumCpuCountFitsTheArea() {
        byte[] bytes = MpTable.build(MP_TABLE_BASE, MAX_VCPUS);
        assertThat(bytes.length).isLessThanOrEqualTo((int) MP_TABLE_SIZE);
        assertThat(sum(bytes, 0, 16)).isZero();
        assertThat(sum(bytes, 16, bytes.length - 16)).isZero();
        assertThatThrownBy(() -> MpTable.build(MP_TABLE_BASE, MAX_VCPUS + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MpTable.build(MP_TABLE_BASE + 4, 1)).hasMessageContaining("16-byte aligned");
    }

    @Test
    void bytesAreDeterministic() {
        assertThat(MpTable.build(MP_TABLE_BASE, 8)).isEqualTo(MpTable.build(MP_TABLE_BASE, 8));
    }
}
