package dev.jvisor.machine.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Firmware ACPI Control Structure (ACPI 6.4 §5.2.10, Table 5.14): 64 bytes, 64-byte aligned,
 * no checksum. jvisor has no S4BIOS and no firmware waking vector, so everything but the signature,
 * length and version is zero; the global lock word starts free.
 */
public final class Facs {
    public static final int LENGTH = 64;
    /** Required alignment of the FACS in memory. */
    public static final int ALIGNMENT = 64;
    /** Version of the structure for ACPI 4.0 and later. */
    public static final int VERSION = 2;
    static final int VERSION_OFFSET = 32;

    private Facs() {
    }

    public static byte[] build() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, AcpiTable.ascii("FACS"));
        b.putInt(4, LENGTH);
        b.put(VERSION_OFFSET, (byte) VERSION);
        return b.array();
    }
}
