package dev.jvisor.machine.acpi.aml;

import java.util.Arrays;

/** A growable little-endian byte buffer that AML terms and resource descriptors encode into. */
public final class AmlWriter {
    private byte[] bytes = new byte[256];
    private int size;

    /** Appends one byte (the low 8 bits of {@code value}). */
    public AmlWriter u8(int value) {
        ensure(1);
        bytes[size++] = (byte) value;
        return this;
    }

    /** Appends a little-endian 16-bit value. */
    public AmlWriter u16(int value) {
        return u8(value).u8(value >>> 8);
    }

    /** Appends a little-endian 32-bit value. */
    public AmlWriter u32(long value) {
        return u16((int) value).u16((int) (value >>> 16));
    }

    /** Appends a little-endian 64-bit value. */
    public AmlWriter u64(long value) {
        return u32(value).u32(value >>> 32);
    }

    /** Appends raw bytes. */
    public AmlWriter bytes(byte[] data) {
        ensure(data.length);
        System.arraycopy(data, 0, bytes, size, data.length);
        size += data.length;
        return this;
    }

    /** Bytes written so far. */
    public int size() {
        return size;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
