package dev.jvisor.machine.acpi;

import java.nio.ByteBuffer;

/**
 * A Generic Address Structure (ACPI 6.4 §5.2.3.2): where a register lives and how to access it.
 *
 * @param spaceId    0 = system memory, 1 = system I/O
 * @param bitWidth   register width in bits
 * @param bitOffset  offset of the register in the address, in bits
 * @param accessSize 0 = undefined, 1 = byte, 2 = word, 3 = dword, 4 = qword
 * @param address    the address in that space
 */
public record GenericAddress(int spaceId, int bitWidth, int bitOffset, int accessSize, long address) {
    /** Size of the structure. */
    public static final int SIZE = 12;
    public static final int SYSTEM_MEMORY = 0, SYSTEM_IO = 1;
    public static final int ACCESS_BYTE = 1, ACCESS_WORD = 2, ACCESS_DWORD = 3;
    /** An all-zero GAS: "not present". */
    public static final GenericAddress NONE = new GenericAddress(0, 0, 0, 0, 0);

    /** A register in I/O space. */
    public static GenericAddress io(int port, int bitWidth, int accessSize) {
        return new GenericAddress(SYSTEM_IO, bitWidth, 0, accessSize, port);
    }

    /** Writes the 12 bytes at {@code offset}. */
    public void writeTo(ByteBuffer b, int offset) {
        b.put(offset, (byte) spaceId).put(offset + 1, (byte) bitWidth).put(offset + 2, (byte) bitOffset)
                .put(offset + 3, (byte) accessSize).putLong(offset + 4, address);
    }

    /** Reads 12 bytes at {@code offset}. */
    public static GenericAddress readFrom(ByteBuffer b, int offset) {
        return new GenericAddress(b.get(offset) & 0xFF, b.get(offset + 1) & 0xFF, b.get(offset + 2) & 0xFF,
                b.get(offset + 3) & 0xFF, b.getLong(offset + 4));
    }
}
