package dev.jvisor.machine;

import dev.jvisor.machine.acpi.AcpiTables;
import dev.jvisor.machine.mptable.MpTable;
import dev.jvisor.memory.GuestMemory;

/**
 * Writes the firmware tables that describe the board to the guest: ACPI (RSDP, XSDT/RSDT, FADT,
 * FACS, MADT, MCFG, DSDT) and the MP table. Call once per boot, before loading the kernel, with
 * the memory created from {@code map.ramLayouts()}.
 */
public final class PlatformTables {
    private PlatformTables() {
    }

    /**
     * Writes both table sets.
     *
     * @return the guest address of the ACPI RSDP, for {@link dev.jvisor.machine.boot.BootOptions}
     */
    public static long install(GuestMemory memory, MemoryMap map, int vcpus, boolean i8042Present) {
        AcpiTables acpi = AcpiTables.build(map, vcpus, i8042Present);
        acpi.writeTo(memory);
        MpTable.writeTo(memory, vcpus);
        return acpi.rsdpAddress();
    }
}
