package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;
import static dev.jvisor.machine.acpi.aml.Aml.*;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.machine.acpi.aml.AmlTerm;
import dev.jvisor.machine.acpi.aml.AmlWriter;
import dev.jvisor.machine.acpi.aml.ResourceTemplate;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The Differentiated System Description Table (ACPI 6.4 §5.2.11.1): the board's devices in AML.
 *
 * <pre>
 * Name (\_S5, Package () {5, 0, 0, 0})          soft-off SLP_TYP for PM1a_CNT
 * Scope (\_SB) {
 *   Device (Cnnn)  ACPI0007 processor containers, _UID = MADT processor UID
 *   Device (PCI0)  PNP0A08/PNP0A03 root bridge: _SEG, _BBN, _UID, _CRS (buses, I/O, 32/64-bit MMIO), _PRT
 *                  (no _ADR: a device has either _HID or _ADR, ACPI 6.4 §6.1)
 *   Device (MRES)  PNP0C02 motherboard resources: reserves the ECAM window
 *   Device (COM1)  PNP0501 at 0x3F8, IRQ 4
 *   Device (RTC)   PNP0B00 at 0x70, IRQ 8
 *   Device (KBD)   PNP0303 at 0x60/0x64, IRQ 1 (only with an i8042)
 * }
 * </pre>
 */
public final class Dsdt {
    /** Revision 2: AML integers are 64 bits wide (ACPI 6.4 §5.2.11.1). */
    public static final int REVISION = 2;
    /** Device status "present, enabled, shown in UI, functioning" (ACPI 6.4 §6.3.7). */
    static final int STA_PRESENT = 0x0F;

    private Dsdt() {
    }

    /** Builds the DSDT for a board with {@code vcpus} processors and the given memory map. */
    public static byte[] build(MemoryMap map, int vcpus, boolean i8042Present) {
        AmlWriter aml = new AmlWriter();
        for (AmlTerm term : definitions(map, vcpus, i8042Present)) {
            term.encode(aml);
        }
        byte[] body = aml.toByteArray();
        ByteBuffer b = AcpiTable.start("DSDT", AcpiTable.HEADER_SIZE + body.length, REVISION);
        b.put(AcpiTable.HEADER_SIZE, body);
        return AcpiTable.finish(b);
    }

    /** The DSDT's definition blocks as AML terms. */
    public static List<AmlTerm> definitions(MemoryMap map, int vcpus, boolean i8042Present) {
        List<AmlTerm> bus = new ArrayList<>();
        for (int cpu = 0; cpu < vcpus; cpu++) {
            bus.add(device(String.format("C%03X", cpu), name("_HID", string("ACPI0007")), name("_UID", integer(cpu))));
        }
        bus.add(pciRootBridge(map));
        bus.add(device("MRES",
                name("_HID", eisaId("PNP0C02")),
                name("_UID", integer(0)),
                name("_CRS", new ResourceTemplate().memory32Fixed(PCIE_ECAM_BASE, PCIE_ECAM_SIZE).toBuffer())));
        bus.add(legacyDevice("COM1", "PNP0501", 1,
                new ResourceTemplate().io(COM1_PORT, COM1_PORT, 1, 8).irqNoFlags(COM1_IRQ)));
        bus.add(legacyDevice("RTC", "PNP0B00", 0,
                new ResourceTemplate().io(RTC_PORT, RTC_PORT, 1, 2).irqNoFlags(RTC_IRQ)));
        if (i8042Present) {
            bus.add(legacyDevice("KBD", "PNP0303", 0, new ResourceTemplate()
                    .io(I8042_DATA_PORT, I8042_DATA_PORT, 1, 1)
                    .io(I8042_COMMAND_PORT, I8042_COMMAND_PORT, 1, 1)
                    .irqNoFlags(I8042_KEYBOARD_IRQ)));
        }
        return List.of(
                name("\\_S5", pkgOfIntegers(ACPI_S5_SLP_TYP, 0, 0, 0)),
                scope("\\_SB", bus));
    }

    private static AmlTerm legacyDevice(String name, String hid, int uid, ResourceTemplate resources) {
        return device(name,
                name("_HID", eisaId(hid)),
                name("_UID", integer(uid)),
                method("_STA", 0, false, returnValue(integer(STA_PRESENT))),
                name("_CRS", resources.toBuffer()));
    }

    /**
     * The PCI Express root bridge (PCI Firmware Spec 3.2 §4.1.5, ACPI 6.4 §6.2.13 for _PRT). Its
     * I/O windows leave out 0xCF8-0xCFF, the configuration ports the bridge itself decodes.
     */
    private static AmlTerm pciRootBridge(MemoryMap map) {
        long mmio64 = map.pciMmio64Base();
        ResourceTemplate crs = new ResourceTemplate()
                .wordBusNumber(PCIE_BUS_FIRST, PCIE_BUS_LAST)
                .io(PCI_CONFIG_PORT, PCI_CONFIG_PORT, 1, 8)
                .wordIo(0x0000, PCI_CONFIG_PORT - 1)
                .wordIo(0x0D00, 0xFFFF)
                .dwordMemory(PCI_MMIO32_BASE, PCI_MMIO32_BASE + PCI_MMIO32_SIZE - 1)
                .qwordMemory(mmio64, mmio64 + map.pciMmio64Size() - 1);
        return device("PCI0",
                name("_HID", eisaId("PNP0A08")),
                name("_CID", eisaId("PNP0A03")),
                name("_SEG", integer(0)),
                name("_BBN", integer(PCIE_BUS_FIRST)),
                name("_UID", integer(0)),
                name("_CRS", crs.toBuffer()),
                name("_PRT", routingTable()));
    }

    /**
     * {@code _PRT} for slots 1-31 of bus 0: each entry is {address = slot << 16 | 0xFFFF (any
     * function), pin (0 = INTA), source = 0 (a GSI, not a link device), GSI}. With source 0 the
     * interrupt is level-triggered, active-low and shareable (ACPI 6.4 §6.2.13), matching the
     * IOAPIC programming the OS does for GSIs 16-23 (no MADT override touches them).
     */
    static AmlTerm routingTable() {
        List<AmlTerm> entries = new ArrayList<>();
        for (int slot = 1; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                entries.add(pkgOfIntegers(((long) slot << 16) | 0xFFFF, pin, 0, pciIntxGsi(slot, pin)));
            }
        }
        return pkg(entries);
    }
}
