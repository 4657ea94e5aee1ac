package dev.jvisor.devices;

/**
 * A device (or one register block of a device) that answers port or MMIO accesses on a {@link Bus}.
 *
 * <p>A device knows only offsets: {@code offset} is relative to the base address it was registered
 * at, and the {@link Bus} guarantees {@code 0 <= offset < length}. Values are little-endian and
 * zero-extended to 64 bits; written values arrive already masked to {@code size} bytes. Accesses are
 * routed by their first byte, so an access may extend past the end of the registered range (a dword
 * read of a 1-byte register); devices whose registers are narrower than the sizes they accept must
 * treat the bytes beyond their end as unimplemented.
 *
 * <p>The {@link Bus} only delivers sizes listed in {@link #accessSizes()}; others never reach the
 * device (reads see all ones, writes are dropped, and the bus counts them).
 *
 * <p>Implementations are called concurrently from several vCPU threads and must be thread-safe.
 */
public interface BusDevice {
    /** Reads {@code size} bytes at {@code offset}; the result is zero-extended. */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);

    /**
     * The access sizes this device accepts, as an OR of {@link AccessSizes} constants. Read once,
     * when the device is registered.
     */
    default int accessSizes() {
        return AccessSizes.ANY;
    }
}
