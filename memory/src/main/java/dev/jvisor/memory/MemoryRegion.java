package dev.jvisor.memory;

import java.lang.foreign.MemorySegment;

/**
 * One contiguous range of guest physical RAM and the host memory behind it.
 *
 * @param slot       index of the region in its {@link GuestMemory} (also the KVM memory slot number)
 * @param guestBase  first guest physical address
 * @param host       the host memory; its byte size is the region's size
 * @param hostOffset offset of this region inside the guest memory's single host mapping
 */
public record MemoryRegion(int slot, long guestBase, MemorySegment host, long hostOffset) {
    /** Size of the region in bytes. */
    public long size() {
        return host.byteSize();
    }

    /** One past the last guest physical address. */
    public long guestEnd() {
        return guestBase + host.byteSize();
    }

    /** Whether {@code [gpa, gpa+len)} lies wholly inside this region (no wrap-around). */
    public boolean contains(long gpa, long len) {
        return len >= 0 && gpa >= guestBase && gpa - guestBase <= size() - len;
    }
}
