package dev.jvisor.machine;

import static dev.jvisor.machine.PlatformLayout.*;

import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a given amount of guest RAM goes on the board, and the e820 map that tells the guest.
 *
 * <p>RAM fills low memory up to the 3 GiB PCI hole; whatever is left goes at 4 GiB. The e820 map
 * marks the legacy EBDA/BIOS area (0x9FC00-0x100000) reserved, with the ACPI tables area in it as
 * ACPI memory, and the PCIe ECAM window reserved (Linux checks that MMCONFIG is reserved before
 * it trusts the MCFG table). The 32-bit PCI window is left out of the map, a gap Linux hands to
 * PCI; the 64-bit window starts above all RAM.
 *
 * @param ramBytes   total guest RAM
 * @param ramLayouts the guest memory regions to create ({@link GuestMemory#create(List)})
 * @param e820       the address map, sorted by address, non-overlapping
 */
public record MemoryMap(long ramBytes, List<GuestMemory.Layout> ramLayouts, List<E820Entry> e820) {
    /** Smallest RAM size accepted: room for the boot structures, a kernel and its working space. */
    public static final long MIN_RAM = 16 * MIB;
    /**
     * Largest RAM size accepted, so that RAM plus the 64-bit PCI window stays below 1 TiB
     * (40 physical address bits, which every x86-64 CPU jvisor targets has).
     */
    public static final long MAX_RAM = 512 * GIB;

    public MemoryMap {
        ramLayouts = List.copyOf(ramLayouts);
        e820 = List.copyOf(e820);
    }

    /**
     * Lays out {@code bytes} of RAM.
     *
     * @throws IllegalArgumentException if the size is below {@link #MIN_RAM}, above
     *                                  {@link #MAX_RAM} or not a multiple of 4 KiB
     */
    public static MemoryMap forRam(long bytes) {
        if (bytes < MIN_RAM) {
            throw new IllegalArgumentException(String.format(
                    "guest RAM of %s is below the minimum of %s", describeSize(bytes), describeSize(MIN_RAM)));
        }
        if (bytes > MAX_RAM) {
            throw new IllegalArgumentException(String.format(
                    "guest RAM of %s is above the maximum of %s", describeSize(bytes), describeSize(MAX_RAM)));
        }
        if (bytes % (4 * KIB) != 0) {
            throw new IllegalArgumentException("guest RAM of " + bytes + " bytes is not a multiple of 4 KiB");
        }
        long low = Math.min(bytes, PCI_HOLE_START);
        long high = bytes - low;
        List<GuestMemory.Layout> layouts = new ArrayList<>();
        layouts.add(new GuestMemory.Layout(0, low));
        if (high > 0) {
            layouts.add(new GuestMemory.Layout(HIGH_RAM_START, high));
        }

        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, EBDA_START, E820Entry.Type.USABLE));
        map.add(new E820Entry(EBDA_START, ACPI_TABLES_BASE - EBDA_START, E820Entry.Type.RESERVED));
        map.add(new E820Entry(ACPI_TABLES_BASE, ACPI_TABLES_SIZE, E820Entry.Type.ACPI));
        map.add(new E820Entry(MP_TABLE_BASE, MP_TABLE_SIZE, E820Entry.Type.RESERVED));
        map.add(new E820Entry(HIGH_MEMORY_START, low - HIGH_MEMORY_START, E820Entry.Type.USABLE));
        map.add(new E820Entry(PCIE_ECAM_BASE, PCIE_ECAM_SIZE, E820Entry.Type.RESERVED));
        if (high > 0) {
            map.add(new E820Entry(HIGH_RAM_START, high, E820Entry.Type.USABLE));
        }
        return new MemoryMap(bytes, layouts, map);
    }

    /** One past the last byte of RAM below the PCI hole. */
    public long lowRamEnd() {
        return Math.min(ramBytes, PCI_HOLE_START);
    }

    /** One past the highest RAM address (4 GiB + the high part when RAM exceeds 3 GiB). */
    public long ramEnd() {
        return ramBytes > PCI_HOLE_START ? HIGH_RAM_START + (ramBytes - PCI_HOLE_START) : ramBytes;
    }

    /** Base of the 64-bit PCI MMIO window: the first 1 GiB boundary at or above max(4 GiB, RAM end). */
    public long pciMmio64Base() {
        long start = Math.max(HIGH_RAM_START, ramEnd());
        return (start + PCI_MMIO64_ALIGN - 1) & -PCI_MMIO64_ALIGN;
    }

    /** Size of the 64-bit PCI MMIO window. */
    public long pciMmio64Size() {
        return PCI_MMIO64_SIZE;
    }

    /** The usable-RAM entries of the e820 map, in address order. */
    public List<E820Entry> usable() {
        return e820.stream().filter(e -> e.type() == E820Entry.Type.USABLE).toList();
    }

    /** Whether {@code [address, address+length)} lies inside one usable e820 entry. */
    public boolean isUsable(long address, long length) {
        for (E820Entry e : e820) {
            if (e.type() == E820Entry.Type.USABLE && e.contains(address, length)) {
                return true;
            }
        }
        return false;
    }

    /** "256 MiB", "1.5 GiB", "4096 bytes": sizes in messages. */
    public static String describeSize(long bytes) {
        if (bytes >= GIB && bytes % (GIB / 4) == 0) {
            return (bytes % GIB == 0 ? Long.toString(bytes / GIB) : Double.toString(bytes / (double) GIB)) + " GiB";
        }
        if (bytes >= MIB) {
            return bytes % MIB == 0 ? bytes / MIB + " MiB" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
        }
        if (bytes >= KIB && bytes % KIB == 0) {
            return bytes / KIB + " KiB";
        }
        return bytes + " bytes";
    }
}
