package dev.jvisor.devices.pci;

import dev.jvisor.devices.BusDevice;
import java.util.Objects;

/**
 * A base address register a {@link PciDevice} declares: which register ({@code index} 0-5), the
 * kind of space, the size of the region (a power of two) and the {@link BusDevice} that answers
 * accesses to it, at offsets relative to wherever the guest places the BAR.
 *
 * <p>Limits (PCI Local Bus Specification 3.0, section 6.2.5.1): memory BARs are at least 16 bytes,
 * 32-bit ones at most 2 GiB; I/O BARs are 4 to 256 bytes; a 64-bit BAR takes two registers and so
 * cannot be register 5; only memory BARs can be prefetchable.
 */
public record PciBar(int index, PciBarType type, long size, boolean prefetchable, BusDevice device) {
    public PciBar {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(device, "device");
        int lastIndex = type == PciBarType.MEMORY_64 ? 4 : 5;
        if (index < 0 || index > lastIndex) {
            throw new IllegalArgumentException(String.format("%s BAR index must be 0-%d, got %d", type, lastIndex, index));
        }
        if (size <= 0 || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("BAR size must be a power of two, got " + size);
        }
        switch (type) {
            case MEMORY_32 -> requireRange(size, 16, 1L << 31, type);
            case MEMORY_64 -> requireRange(size, 16, 1L << 62, type);
            case IO -> requireRange(size, 4, 256, type);
        }
        if (prefetchable && type == PciBarType.IO) {
            throw new IllegalArgumentException("an I/O BAR cannot be prefetchable");
        }
    }

    /** A 32-bit memory BAR. */
    public static PciBar memory32(int index, long size, BusDevice device) {
        return new PciBar(index, PciBarType.MEMORY_32, size, false, device);
    }

    /** A 64-bit memory BAR (uses registers {@code index} and {@code index + 1}). */
    public static PciBar memory64(int index, long size, boolean prefetchable, BusDevice device) {
        return new PciBar(index, PciBarType.MEMORY_64, size, prefetchable, device);
    }

    /** An I/O BAR. */
    public static PciBar io(int index, long size, BusDevice device) {
        return new PciBar(index, PciBarType.IO, size, false, device);
    }

    /** How many BAR registers this BAR occupies. */
    public int registers() {
        return type == PciBarType.MEMORY_64 ? 2 : 1;
    }

    private static void requireRange(long size, long min, long max, PciBarType type) {
        if (size < min || size > max) {
            throw new IllegalArgumentException(String.format(
                    "%s BAR size must be between %d and %d bytes, got %d", type, min, max, size));
        }
    }
}
