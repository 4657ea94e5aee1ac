package dev.jvisor.machine.mptable;

import static dev.jvisor.machine.PlatformLayout.*;

import dev.jvisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The Intel MultiProcessor Specification 1.4 tables (Chapter 4) for operating systems that boot
 * without ACPI: a floating pointer structure at {@link dev.jvisor.machine.PlatformLayout#MP_TABLE_BASE}
 * (16-byte aligned, inside 0xF0000-0xFFFFF where the spec's search looks) and, right after it, the
 * configuration table:
 *
 * <ul>
 *   <li>one processor entry per vCPU (APIC ID = index, vCPU 0 is the bootstrap processor);</li>
 *   <li>bus 0 "ISA" and bus 1 "PCI" (PCI bus 0);</li>
 *   <li>the IOAPIC;</li>
 *   <li>I/O interrupt assignments: the 8259's ExtINT on pin 0, ISA IRQs 0-15 except the cascade
 *       IRQ2 (IRQ0 on pin 2, the rest on their own pin, IRQ9 level/active-high as the SCI), and
 *       INTA-INTD of PCI slots 1-31 on GSIs 16-23 as {@link dev.jvisor.machine.PlatformLayout#pciIntxGsi};</li>
 *   <li>local interrupt assignments: ExtINT on LINT0, NMI on LINT1 of every local APIC.</li>
 * </ul>
 */
public final class MpTable {
    /** Floating pointer structure: 16 bytes, "_MP_". */
    public static final int FLOATING_SIZE = 16;
    /** Configuration table header: 44 bytes, "PCMP". */
    public static final int HEADER_SIZE = 44;
    /** Spec revision 1.4. */
    public static final int SPEC_REVISION = 4;
    /** Entry types and sizes (§4.3). */
    public static final int PROCESSOR = 0, BUS = 1, IO_APIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
    public static final int PROCESSOR_SIZE = 20, OTHER_ENTRY_SIZE = 8;
    /** Interrupt types (Table 4-8). */
    public static final int INT = 0, NMI = 1, EXT_INT = 3;
    /** Interrupt flags: polarity bits 0-1, trigger bits 2-3 (Table 4-9). 0 = conforms to the bus. */
    public static final int CONFORMS = 0, ACTIVE_HIGH_LEVEL = 0x1 | 0xC, ACTIVE_LOW_LEVEL = 0x3 | 0xC;
    /** Bus IDs in the table. */
    public static final int ISA_BUS = 0, PCI_BUS = 1;
    /** CPU flags: EN (usable) and BP (bootstrap processor). */
    static final int CPU_ENABLED = 1, CPU_BOOTSTRAP = 2;
    /**
     * CPU signature (family 6, model 0, stepping 0) and feature flags (FPU, APIC) in processor
     * entries: fixed values, since the OS reads the real ones with CPUID and the table must not
     * depend on the host.
     */
    static final int CPU_SIGNATURE = 0x600, CPU_FEATURES = 1 | (1 << 9);
    /** Destination "all local APICs" in local interrupt entries. */
    static final int ALL_LOCAL_APICS = 0xFF;
    static final int PCI_SLOTS = 31;
    static final int ISA_IRQS = 16;

    private MpTable() {
    }

    /** Number of configuration table entries for {@code vcpus} processors. */
    public static int entryCount(int vcpus) {
        int ioInterrupts = 1 + (ISA_IRQS - 1) + PCI_SLOTS * 4;
        return vcpus + 2 + 1 + ioInterrupts + 2;
    }

    /**
     * Builds the floating pointer followed by the configuration table, as they must appear at
     * {@code base} (16-byte aligned).
     */
    public static byte[] build(long base, int vcpus) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("the board describes 1 to " + MAX_VCPUS + " vCPUs, not " + vcpus);
        }
        if (base % 16 != 0 || base >>> 32 != 0) {
            throw new IllegalArgumentException("MP floating pointer must be 16-byte aligned below 4 GiB");
        }
        int tableLength = HEADER_SIZE + vcpus * PROCESSOR_SIZE + (entryCount(vcpus) - vcpus) * OTHER_ENTRY_SIZE;
        ByteBuffer b = ByteBuffer.allocate(FLOATING_SIZE + tableLength).order(ByteOrder.LITTLE_ENDIAN);
        long tableAddress = base + FLOATING_SIZE;

        // Floating pointer (§4.1): signature, table address, length in 16-byte units, revision,
        // checksum, feature byte 1 = 0 (a configuration table is present), byte 2 bit 7 = 0
        // (virtual wire mode, no IMCR).
        b.put(ascii("_MP_")).putInt((int) tableAddress).put((byte) 1).put((byte) SPEC_REVISION);
        b.put(new byte[6]);
        b.put(10, checksum(b.array(), 0, FLOATING_SIZE));

        // Configuration table header (§4.2).
        int t = FLOATING_SIZE;
        b.position(t);
        b.put(ascii("PCMP")).putShort((short) tableLength).put((byte) SPEC_REVISION).put((byte) 0);
        b.put(ascii("JVISOR  ")).put(ascii("JVISOR BOARD"));
        b.putInt(0).putShort((short) 0).putShort((short) entryCount(vcpus)).putInt((int) LAPIC_BASE);
        b.putShort((short) 0).put((byte) 0).put((byte) 0);

        for (int cpu = 0; cpu < vcpus; cpu++) {
            int flags = CPU_ENABLED | (cpu == 0 ? CPU_BOOTSTRAP : 0);
            b.put((byte) PROCESSOR).put((byte) cpu).put((byte) LAPIC_VERSION).put((byte) flags)
                    .putInt(CPU_SIGNATURE).putInt(CPU_FEATURES).putLong(0);
        }
        b.put((byte) BUS).put((byte) ISA_BUS).put(ascii("ISA   "));
        b.put((byte) BUS).put((byte) PCI_BUS).put(ascii("PCI   "));
        b.put((byte) IO_APIC).put((byte) IOAPIC_ID).put((byte) IOAPIC_VERSION).put((byte) 1).putInt((int) IOAPIC_BASE);

        ioInterrupt(b, EXT_INT, CONFORMS, ISA_BUS, 0, 0);
        for (int irq = 0; irq < ISA_IRQS; irq++) {
            if (irq == 2) {
                continue; // the cascade from the slave 8259 never reaches the IOAPIC
            }
            int pin = irq == PIT_IRQ ? PIT_GSI : irq;
            int flags = irq == ACPI_SCI_IRQ ? ACTIVE_HIGH_LEVEL : CONFORMS;
            ioInterrupt(b, INT, flags, ISA_BUS, irq, pin);
        }
        for (int slot = 1; slot <= PCI_SLOTS; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                // PCI source bus IRQ (§D.3): bits 0-1 the pin (INTA = 0), bits 2-6 the device.
                ioInterrupt(b, INT, ACTIVE_LOW_LEVEL, PCI_BUS, (slot << 2) | pin, pciIntxGsi(slot, pin));
            }
        }
        localInterrupt(b, EXT_INT, 0);
        localInterrupt(b, NMI, 1);

        b.put(FLOATING_SIZE + 7, checksum(b.array(), FLOATING_SIZE, tableLength));
        return b.array();
    }

    /** Builds the tables for {@code vcpus} processors and writes them at {@link dev.jvisor.machine.PlatformLayout#MP_TABLE_BASE}. */
    public static void writeTo(GuestMemory memory, int vcpus) {
        byte[] bytes = build(MP_TABLE_BASE, vcpus);
        if (bytes.length > MP_TABLE_SIZE) {
            throw new IllegalStateException("MP table of " + bytes.length + " bytes exceeds its area");
        }
        memory.write(MP_TABLE_BASE, bytes);
    }

    private static void ioInterrupt(ByteBuffer b, int type, int flags, int bus, int busIrq, int pin) {
        b.put((byte) IO_INTERRUPT).put((byte) type).putShort((short) flags).put((byte) bus).put((byte) busIrq)
                .put((byte) IOAPIC_ID).put((byte) pin);
    }

    private static void localInterrupt(ByteBuffer b, int type, int lint) {
        b.put((byte) LOCAL_INTERRUPT).put((byte) type).putShort((short) CONFORMS).put((byte) ISA_BUS).put((byte) 0)
                .put((byte) ALL_LOCAL_APICS).put((byte) lint);
    }

    private static byte checksum(byte[] bytes, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
