package dev.jvisor.machine.boot;

/**
 * One range of guest RAM a loader filled: kernel, initrd, module, zero page, command line...
 *
 * @param what    short human-readable name ("kernel", "initrd", "module 1", "zero page")
 * @param address first guest physical byte
 * @param size    length in bytes
 */
public record LoadedRegion(String what, long address, long size) {
    /** One past the last byte. */
    public long end() {
        return address + size;
    }

    /** Whether this region shares a byte with {@code [start, start+length)}. */
    public boolean overlaps(long start, long length) {
        return address < start + length && start < address + size;
    }

    @Override
    public String toString() {
        return String.format("%s [0x%x-0x%x)", what, address, end());
    }
}
