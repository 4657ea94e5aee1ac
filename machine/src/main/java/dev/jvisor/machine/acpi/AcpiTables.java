package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The board's complete set of ACPI tables, laid out in the ACPI area of low memory
 * ({@link dev.jvisor.machine.PlatformLayout#ACPI_TABLES_BASE}, which the e820 map marks as ACPI):
 * the RSDP first (inside 0xE0000-0xFFFFF, where a legacy scan for "RSD PTR " looks), then FACS,
 * DSDT, FADT, MADT, MCFG, XSDT and RSDT, each 16-byte aligned (the FACS 64-byte aligned).
 *
 * <p>The bytes depend only on the memory map, the vCPU count and the i8042 flag, so two boards
 * built the same way have identical tables.
 *
 * @param tables every table with its guest address, RSDP first
 */
public record AcpiTables(List<Table> tables) {
    /** One table and where it goes. */
    public record Table(String signature, long address, byte[] bytes) {
        public Table {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    public AcpiTables {
        tables = List.copyOf(tables);
    }

    /**
     * Builds the tables for a board.
     *
     * @param map          the memory map (for the 64-bit PCI window above RAM)
     * @param vcpus        number of processors, 1 to {@link dev.jvisor.machine.PlatformLayout#MAX_VCPUS}
     * @param i8042Present whether an i8042 keyboard controller answers at 0x60/0x64
     */
    public static AcpiTables build(MemoryMap map, int vcpus, boolean i8042Present) {
        Layout layout = new Layout();
        long rsdpAt = layout.reserve(RootTables.RSDP_LENGTH, 16);
        List<Table> tables = new ArrayList<>();

        byte[] facs = Facs.build();
        long facsAt = layout.add(tables, "FACS", facs, Facs.ALIGNMENT);
        long dsdtAt = layout.add(tables, "DSDT", Dsdt.build(map, vcpus, i8042Present), 16);
        long fadtAt = layout.add(tables, "FACP", Fadt.build(facsAt, dsdtAt, i8042Present), 16);
        long madtAt = layout.add(tables, "APIC", Madt.build(vcpus), 16);
        long mcfgAt = layout.add(tables, "MCFG", Mcfg.build(), 16);
        List<Long> described = List.of(fadtAt, madtAt, mcfgAt);
        long xsdtAt = layout.add(tables, "XSDT", RootTables.xsdt(described), 16);
        long rsdtAt = layout.add(tables, "RSDT", RootTables.rsdt(described), 16);
        tables.addFirst(new Table("RSD PTR ", rsdpAt, RootTables.rsdp(rsdtAt, xsdtAt)));
        return new AcpiTables(tables);
    }

    /** Guest address of the RSDP, for the zero page's acpi_rsdp_addr and PVH's rsdp_paddr. */
    public long rsdpAddress() {
        return tables.getFirst().address();
    }

    /** The table with this signature ("FACP" for the FADT, "APIC" for the MADT, "RSD PTR "). */
    public Optional<Table> table(String signature) {
        return tables.stream().filter(t -> t.signature().equals(signature)).findFirst();
    }

    /** Writes every table into guest RAM. */
    public void writeTo(GuestMemory memory) {
        for (Table t : tables) {
            memory.write(t.address(), t.bytes());
        }
    }

    /** Sequential placement inside the ACPI area. */
    private static final class Layout {
        private long next = ACPI_TABLES_BASE;

        long reserve(int size, int alignment) {
            long at = (next + alignment - 1) & -(long) alignment;
            if (at + size > ACPI_TABLES_BASE + ACPI_TABLES_SIZE) {
                throw new IllegalStateException("ACPI tables exceed their " + ACPI_TABLES_SIZE + "-byte area");
            }
            next = at + size;
            return at;
        }

        long add(List<Table> tables, String signature, byte[] bytes, int alignment) {
            long at = reserve(bytes.length, alignment);
            tables.add(new Table(signature, at, bytes));
            return at;
        }
    }
}
