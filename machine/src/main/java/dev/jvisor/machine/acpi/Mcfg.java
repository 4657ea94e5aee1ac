package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;

import java.nio.ByteBuffer;

/**
 * The PCI Express memory-mapped configuration table (PCI Firmware Specification 3.2 §4.1.2): one
 * allocation for segment 0 covering the board's ECAM window and bus range.
 */
public final class Mcfg {
    public static final int REVISION = 1;
    /** 8 reserved bytes follow the header; each allocation is 16 bytes. */
    public static final int FIRST_ALLOCATION = 44, ALLOCATION_SIZE = 16;
    public static final int LENGTH = FIRST_ALLOCATION + ALLOCATION_SIZE;

    private Mcfg() {
    }

    public static byte[] build() {
        ByteBuffer b = AcpiTable.start("MCFG", LENGTH, REVISION);
        b.putLong(FIRST_ALLOCATION, PCIE_ECAM_BASE);
        b.putShort(FIRST_ALLOCATION + 8, (short) 0);
        b.put(FIRST_ALLOCATION + 10, (byte) PCIE_BUS_FIRST);
        b.put(FIRST_ALLOCATION + 11, (byte) PCIE_BUS_LAST);
        return AcpiTable.finish(b);
    }
}
