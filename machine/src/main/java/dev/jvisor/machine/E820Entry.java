package dev.jvisor.machine;

/**
 * One entry of the BIOS e820 memory map (ACPI 6.4 §15, "System Address Map Interfaces"), as the
 * Linux zero page, the PVH memory map and the Multiboot memory map all carry it.
 *
 * @param address first byte of the range
 * @param size    length in bytes, positive
 * @param type    what the range is
 */
public record E820Entry(long address, long size, Type type) {
    /** Address range types; {@link #code()} is the value stored in the tables (ACPI 6.4 Table 15.312). */
    public enum Type {
        /** Usable RAM. */
        USABLE(1),
        /** Reserved: firmware, MMIO windows; the OS must not use it. */
        RESERVED(2),
        /** ACPI tables; reclaimable by the OS once it has read them. */
        ACPI(3),
        /** ACPI non-volatile storage. */
        NVS(4),
        /** Memory with detected errors. */
        UNUSABLE(5);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        /** The numeric type stored in e820 tables. */
        public int code() {
            return code;
        }
    }

    public E820Entry {
        if (size <= 0) {
            throw new IllegalArgumentException("e820 entry at 0x" + Long.toHexString(address) + " has no size");
        }
        if (address < 0 || address + size < address) {
            throw new IllegalArgumentException("e820 entry at 0x" + Long.toHexString(address) + " wraps");
        }
        java.util.Objects.requireNonNull(type, "type");
    }

    /** One past the last byte. */
    public long end() {
        return address + size;
    }

    /** Whether {@code [start, start+length)} lies inside this entry. */
    public boolean contains(long start, long length) {
        return length >= 0 && start >= address && start - address <= size - length;
    }

    @Override
    public String toString() {
        return String.format("[0x%011x-0x%011x) %s", address, end(), type);
    }
}
