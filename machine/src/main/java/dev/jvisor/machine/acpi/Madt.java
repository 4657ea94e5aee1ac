package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;

import java.nio.ByteBuffer;

/**
 * The Multiple APIC Description Table (ACPI 6.4 §5.2.12): one enabled local APIC per vCPU (APIC ID
 * = ACPI processor UID = vCPU index), the IOAPIC with GSIs from 0, the two ISA interrupt source
 * overrides a PC needs (PIT on IRQ0 wired to pin 2; the SCI on IRQ9 level/active-high), and NMI on
 * LINT1 of every local APIC. PCAT_COMPAT is set: both back ends have the 8259 pair.
 */
public final class Madt {
    /** MADT revision of ACPI 6.0-6.2. */
    public static final int REVISION = 4;
    /** Offsets and sizes (§5.2.12, Tables 5.43-5.51). */
    public static final int LOCAL_APIC_ADDRESS = 36, FLAGS = 40, FIRST_ENTRY = 44;
    public static final int TYPE_LOCAL_APIC = 0, TYPE_IO_APIC = 1, TYPE_OVERRIDE = 2, TYPE_LAPIC_NMI = 4;
    static final int LOCAL_APIC_SIZE = 8, IO_APIC_SIZE = 12, OVERRIDE_SIZE = 10, LAPIC_NMI_SIZE = 6;
    /** MADT flags: PCAT_COMPAT. */
    public static final int PCAT_COMPAT = 1;
    /** MPS INTI flags (Table 5.50): polarity in bits 0-1 (1 = high), trigger in bits 2-3 (1 = edge, 3 = level). */
    public static final int ACTIVE_HIGH = 0x1, EDGE = 0x4, LEVEL = 0xC;
    /** Processor UID 0xFF means "all processors" in a local APIC NMI entry. */
    static final int ALL_PROCESSORS = 0xFF;

    private Madt() {
    }

    /** Builds the MADT for {@code vcpus} processors (1 to {@link dev.jvisor.machine.PlatformLayout#MAX_VCPUS}). */
    public static byte[] build(int vcpus) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("the board describes 1 to " + MAX_VCPUS + " vCPUs, not " + vcpus);
        }
        int length = FIRST_ENTRY + vcpus * LOCAL_APIC_SIZE + IO_APIC_SIZE + 2 * OVERRIDE_SIZE + LAPIC_NMI_SIZE;
        ByteBuffer b = AcpiTable.start("APIC", length, REVISION);
        b.putInt(LOCAL_APIC_ADDRESS, (int) LAPIC_BASE);
        b.putInt(FLAGS, PCAT_COMPAT);
        b.position(FIRST_ENTRY);
        for (int cpu = 0; cpu < vcpus; cpu++) {
            // Processor Local APIC: UID, APIC ID, flags bit 0 = Enabled.
            b.put((byte) TYPE_LOCAL_APIC).put((byte) LOCAL_APIC_SIZE).put((byte) cpu).put((byte) cpu).putInt(1);
        }
        b.put((byte) TYPE_IO_APIC).put((byte) IO_APIC_SIZE).put((byte) IOAPIC_ID).put((byte) 0)
                .putInt((int) IOAPIC_BASE).putInt(0);
        // Interrupt source overrides: bus 0 (ISA), source IRQ, GSI, flags.
        b.put((byte) TYPE_OVERRIDE).put((byte) OVERRIDE_SIZE).put((byte) 0).put((byte) PIT_IRQ)
                .putInt(PIT_GSI).putShort((short) (ACTIVE_HIGH | EDGE));
        b.put((byte) TYPE_OVERRIDE).put((byte) OVERRIDE_SIZE).put((byte) 0).put((byte) ACPI_SCI_IRQ)
                .putInt(ACPI_SCI_IRQ).putShort((short) (ACTIVE_HIGH | LEVEL));
        // Local APIC NMI: all processors, LINT1, edge/high as the NMI pin is on a PC.
        b.put((byte) TYPE_LAPIC_NMI).put((byte) LAPIC_NMI_SIZE).put((byte) ALL_PROCESSORS)
                .putShort((short) (ACTIVE_HIGH | EDGE)).put((byte) 1);
        return AcpiTable.finish(b);
    }
}
