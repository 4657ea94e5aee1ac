package dev.jvisor.machine.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The root of the ACPI tables: the RSDP (ACPI 6.4 §5.2.5.3), which points to both an XSDT (64-bit
 * entries, §5.2.8) and an RSDT (32-bit entries, §5.2.7, for ACPI 1.0 operating systems).
 */
public final class RootTables {
    /** RSDP revision 2 (ACPI 2.0+): 36 bytes with the XSDT address and an extended checksum. */
    public static final int RSDP_LENGTH = 36, RSDP_REVISION = 2;
    /** RSDP field offsets. */
    public static final int RSDP_CHECKSUM = 8, RSDP_OEM_ID = 9, RSDP_REVISION_OFFSET = 15, RSDP_RSDT = 16,
            RSDP_LENGTH_OFFSET = 20, RSDP_XSDT = 24, RSDP_EXTENDED_CHECKSUM = 32;
    /** The first 20 bytes (the ACPI 1.0 part) have their own checksum. */
    public static final int RSDP_V1_LENGTH = 20;
    public static final int XSDT_REVISION = 1, RSDT_REVISION = 1;

    private RootTables() {
    }

    /** An XSDT listing {@code tables} (guest addresses). */
    public static byte[] xsdt(List<Long> tables) {
        ByteBuffer b = AcpiTable.start("XSDT", AcpiTable.HEADER_SIZE + 8 * tables.size(), XSDT_REVISION);
        b.position(AcpiTable.HEADER_SIZE);
        tables.forEach(b::putLong);
        return AcpiTable.finish(b);
    }

    /** An RSDT listing {@code tables}, which must all lie below 4 GiB. */
    public static byte[] rsdt(List<Long> tables) {
        ByteBuffer b = AcpiTable.start("RSDT", AcpiTable.HEADER_SIZE + 4 * tables.size(), RSDT_REVISION);
        b.position(AcpiTable.HEADER_SIZE);
        for (long table : tables) {
            if (table >>> 32 != 0) {
                throw new IllegalArgumentException("an RSDT entry must lie below 4 GiB: 0x" + Long.toHexString(table));
            }
            b.putInt((int) table);
        }
        return AcpiTable.finish(b);
    }

    /** The RSDP pointing to both root tables. */
    public static byte[] rsdp(long rsdt, long xsdt) {
        ByteBuffer b = ByteBuffer.allocate(RSDP_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, AcpiTable.ascii("RSD PTR "));
        b.put(RSDP_OEM_ID, AcpiTable.ascii(AcpiTable.OEM_ID_VALUE));
        b.put(RSDP_REVISION_OFFSET, (byte) RSDP_REVISION);
        b.putInt(RSDP_RSDT, (int) rsdt);
        b.putInt(RSDP_LENGTH_OFFSET, RSDP_LENGTH);
        b.putLong(RSDP_XSDT, xsdt);
        byte[] bytes = b.array();
        bytes[RSDP_CHECKSUM] = AcpiTable.checksum(bytes, 0, RSDP_V1_LENGTH);
        bytes[RSDP_EXTENDED_CHECKSUM] = AcpiTable.checksum(bytes, 0, RSDP_LENGTH);
        return bytes;
    }
}
