package dev.jvisor.devices.pci;

/**
 * The configuration space of one PCI function: 256 bytes (conventional PCI) or 4 KiB (PCI Express
 * extended configuration space), plus per-bit masks that say what the guest may change.
 *
 * <p>The device side uses the setters, which ignore the masks; the guest side goes through
 * {@link #guestWrite}, where each bit is either read-only, read/write (in the writable mask) or
 * write-1-to-clear (in the W1C mask, as the error bits of the status register). Everything is
 * little-endian. Not thread-safe: {@link PciDevice} serialises access.
 */
public final class PciConfigSpace {
    public static final int CONVENTIONAL_SIZE = 256;
    public static final int EXTENDED_SIZE = 4096;

    // Type 0 header registers (PCI Local Bus Specification 3.0, section 6.1).
    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION_ID = 0x08;
    public static final int CLASS_CODE = 0x09; // 3 bytes: programming interface, sub-class, base class
    public static final int CACHE_LINE_SIZE = 0x0C;
    public static final int LATENCY_TIMER = 0x0D;
    public static final int HEADER_TYPE = 0x0E;
    public static final int BAR0 = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2C;
    public static final int SUBSYSTEM_ID = 0x2E;
    public static final int EXPANSION_ROM = 0x30;
    public static final int CAPABILITIES_POINTER = 0x34;
    public static final int INTERRUPT_LINE = 0x3C;
    public static final int INTERRUPT_PIN = 0x3D;

    // Command register bits (section 6.2.2).
    public static final int COMMAND_IO = 0x0001;
    public static final int COMMAND_MEMORY = 0x0002;
    public static final int COMMAND_BUS_MASTER = 0x0004;
    public static final int COMMAND_PARITY_ERROR_RESPONSE = 0x0040;
    public static final int COMMAND_SERR = 0x0100;
    public static final int COMMAND_INTX_DISABLE = 0x0400;

    // Status register bits (section 6.2.3).
    public static final int STATUS_INTERRUPT = 0x0008;
    public static final int STATUS_CAPABILITIES = 0x0010;
    /** The error bits, all write-1-to-clear: parity, target/master aborts, SERR. */
    public static final int STATUS_ERRORS = 0xF900;

    public static final int HEADER_MULTI_FUNCTION = 0x80;

    private final byte[] data;
    private final byte[] writable;
    private final byte[] writeOneToClear;

    /** An all-zero space of {@link #CONVENTIONAL_SIZE} or {@link #EXTENDED_SIZE} bytes, all read-only. */
    public PciConfigSpace(int size) {
        if (size != CONVENTIONAL_SIZE && size != EXTENDED_SIZE) {
            throw new IllegalArgumentException("configuration space is 256 or 4096 bytes, not " + size);
        }
        data = new byte[size];
        writable = new byte[size];
        writeOneToClear = new byte[size];
    }

    public int size() {
        return data.length;
    }

    /** Reads {@code size} (1-4, 8) bytes at {@code offset}, little-endian. */
    public long read(int offset, int size) {
        check(offset, size);
        long value = 0;
        for (int i = 0; i < size; i++) {
            value |= (long) (data[offset + i] & 0xFF) << (8 * i);
        }
        return value;
    }

    public int readByte(int offset) {
        return (int) read(offset, 1);
    }

    public int readWord(int offset) {
        return (int) read(offset, 2);
    }

    public int readDword(int offset) {
        return (int) read(offset, 4);
    }

    /** Device-side write of {@code size} bytes, ignoring the masks. */
    public void set(int offset, int size, long value) {
        check(offset, size);
        for (int i = 0; i < size; i++) {
            data[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    public void setByte(int offset, int value) {
        set(offset, 1, value);
    }

    public void setWord(int offset, int value) {
        set(offset, 2, value);
    }

    public void setDword(int offset, int value) {
        set(offset, 4, value & 0xFFFF_FFFFL);
    }

    /** Makes the bits of {@code mask} in the {@code size} bytes at {@code offset} guest-writable (others read-only). */
    public void setWritableMask(int offset, int size, long mask) {
        putMask(writable, offset, size, mask);
    }

    /** Makes the bits of {@code mask} at {@code offset} write-1-to-clear for the guest. */
    public void setWriteOneToClearMask(int offset, int size, long mask) {
        putMask(writeOneToClear, offset, size, mask);
    }

    /** The guest-writable mask of the {@code size} bytes at {@code offset}. */
    public long writableMask(int offset, int size) {
        check(offset, size);
        long value = 0;
        for (int i = 0; i < size; i++) {
            value |= (long) (writable[offset + i] & 0xFF) << (8 * i);
        }
        return value;
    }

    /**
     * A guest write: writable bits take the new value, W1C bits written as 1 are cleared, the rest
     * keep their value.
     */
    public void guestWrite(int offset, int size, long value) {
        check(offset, size);
        for (int i = 0; i < size; i++) {
            int v = (int) (value >>> (8 * i)) & 0xFF;
            int at = offset + i;
            int w = writable[at];
            int old = data[at];
            int updated = (old & ~w) | (v & w);
            updated &= ~(v & writeOneToClear[at]);
            data[at] = (byte) updated;
        }
    }

    private void putMask(byte[] masks, int offset, int size, long mask) {
        check(offset, size);
        for (int i = 0; i < size; i++) {
            masks[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    private void check(int offset, int size) {
        if (size < 1 || size > 8 || offset < 0 || offset > data.length - size) {
            throw new IllegalArgumentException(String.format(
                    "config space access of %d bytes at 0x%x is outside the %d-byte space", size, offset, data.length));
        }
    }
}
