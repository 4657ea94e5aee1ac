package dev.jvisor.machine.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The 36-byte System Description Table header every ACPI table but the RSDP and FACS starts with
 * (ACPI 6.4 §5.2.6), and byte checksums (§5.2.5.3, §5.2.6: all bytes of the table sum to zero).
 */
public final class AcpiTable {
    /** Header length. */
    public static final int HEADER_SIZE = 36;
    /** Offsets within the header. */
    public static final int LENGTH = 4, REVISION = 8, CHECKSUM = 9, OEM_ID = 10, OEM_TABLE_ID = 16,
            OEM_REVISION = 24, CREATOR_ID = 28, CREATOR_REVISION = 32;
    /** The OEM ID jvisor's tables carry (6 characters). */
    public static final String OEM_ID_VALUE = "JVISOR";
    /** Creator ID (4 characters) and revisions: fixed, so the tables are byte-for-byte reproducible. */
    static final String CREATOR_ID_VALUE = "JVSR";
    static final int OEM_REVISION_VALUE = 1, CREATOR_REVISION_VALUE = 1;

    private AcpiTable() {
    }

    /**
     * A little-endian buffer of {@code length} bytes with the header filled in; the caller writes
     * the body after {@link #HEADER_SIZE} and then calls {@link #finish}.
     */
    public static ByteBuffer start(String signature, int length, int revision) {
        if (signature.length() != 4) {
            throw new IllegalArgumentException("ACPI signature must have 4 characters: " + signature);
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ascii(signature));
        b.putInt(LENGTH, length);
        b.put(REVISION, (byte) revision);
        b.put(OEM_ID, ascii(OEM_ID_VALUE));
        // OEM table ID: "JVISOR" plus the first two letters of the signature keeps it unique per
        // table and stable across builds.
        b.put(OEM_TABLE_ID, ascii(OEM_ID_VALUE + signature.substring(0, 2)));
        b.putInt(OEM_REVISION, OEM_REVISION_VALUE);
        b.put(CREATOR_ID, ascii(CREATOR_ID_VALUE));
        b.putInt(CREATOR_REVISION, CREATOR_REVISION_VALUE);
        return b;
    }

    /** Sets the checksum so the whole table sums to zero, and returns the bytes. */
    public static byte[] finish(ByteBuffer table) {
        byte[] bytes = table.array();
        bytes[CHECKSUM] = 0;
        bytes[CHECKSUM] = checksum(bytes, 0, bytes.length);
        return bytes;
    }

    /** The byte that makes {@code [offset, offset+length)} sum to zero, given its current sum. */
    public static byte checksum(byte[] bytes, int offset, int length) {
        return (byte) -sum(bytes, offset, length);
    }

    /** The 8-bit sum of {@code [offset, offset+length)}. */
    public static int sum(byte[] bytes, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum += bytes[i];
        }
        return sum & 0xFF;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
