package dev.jvisor.machine.boot;

import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.machine.PlatformLayout;
import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * Bookkeeping of what a loader has put where in guest RAM. Every range is claimed before it is
 * written: a claim must lie inside one usable e820 entry that is backed by guest memory and must
 * not overlap an earlier claim, so a kernel, initrd or module can never overwrite the boot
 * structures, each other, or firmware tables, whatever addresses the image asks for.
 */
final class GuestPlacement {
    private final GuestMemory memory;
    private final MemoryMap map;
    private final List<LoadedRegion> claims = new ArrayList<>();

    GuestPlacement(GuestMemory memory, MemoryMap map) {
        this.memory = memory;
        this.map = map;
    }

    GuestMemory memory() {
        return memory;
    }

    MemoryMap map() {
        return map;
    }

    /** Everything claimed so far, in claim order. */
    List<LoadedRegion> claims() {
        return List.copyOf(claims);
    }

    /**
     * Claims {@code [address, address+size)} for {@code what}.
     *
     * @throws KernelLoadException if the range is empty, not usable RAM, or already taken
     */
    LoadedRegion claim(String what, long address, long size) throws KernelLoadException {
        if (size <= 0) {
            throw new KernelLoadException(what + " is empty");
        }
        if (address < 0 || address + size < address || !map.isUsable(address, size)
                || !memory.isRam(address, size)) {
            throw new KernelLoadException(String.format(
                    "%s [0x%x-0x%x) does not fit in usable RAM (the guest has %s; usable: %s)",
                    what, address, address + size, MemoryMap.describeSize(map.ramBytes()), usableRanges()));
        }
        for (LoadedRegion other : claims) {
            if (other.overlaps(address, size)) {
                throw new KernelLoadException(String.format("%s [0x%x-0x%x) overlaps the %s",
                        what, address, address + size, other));
            }
        }
        LoadedRegion region = new LoadedRegion(what, address, size);
        claims.add(region);
        return region;
    }

    /**
     * Claims the highest {@code align}-aligned range of {@code size} bytes that ends at or below
     * {@code limit}, lies above the boot structures and overlaps nothing claimed.
     */
    LoadedRegion placeHigh(String what, long size, long align, long limit) throws KernelLoadException {
        checkPlacementArgs(what, size, align);
        List<E820Entry> usable = map.usable();
        for (int i = usable.size() - 1; i >= 0; i--) {
            E820Entry e = usable.get(i);
            long floor = Math.max(e.address(), PlatformLayout.BOOT_AREA_END);
            long end = Math.min(e.end(), limit);
            while (end - floor >= size) {
                long start = (end - size) & -align;
                if (start < floor) {
                    break;
                }
                LoadedRegion blocker = firstOverlap(start, size);
                if (blocker == null && memory.isRam(start, size)) {
                    return claim(what, start, size);
                }
                if (blocker == null) {
                    break;
                }
                end = blocker.address();
            }
        }
        throw new KernelLoadException(String.format("%s of %s does not fit below 0x%x in %s of RAM",
                what, MemoryMap.describeSize(size), limit, MemoryMap.describeSize(map.ramBytes())));
    }

    /**
     * Claims the lowest {@code align}-aligned range of {@code size} bytes at or above {@code floor},
     * ending at or below {@code limit}, that overlaps nothing claimed.
     */
    LoadedRegion placeLow(String what, long size, long align, long floor, long limit) throws KernelLoadException {
        checkPlacementArgs(what, size, align);
        for (E820Entry e : map.usable()) {
            long start = alignUp(Math.max(Math.max(e.address(), floor), PlatformLayout.BOOT_AREA_END), align);
            while (start >= 0 && e.contains(start, size) && start + size <= limit) {
                LoadedRegion blocker = firstOverlap(start, size);
                if (blocker == null && memory.isRam(start, size)) {
                    return claim(what, start, size);
                }
                if (blocker == null) {
                    break;
                }
                start = alignUp(blocker.end(), align);
            }
        }
        throw new KernelLoadException(String.format("%s of %s does not fit between 0x%x and 0x%x in %s of RAM",
                what, MemoryMap.describeSize(size), floor, limit, MemoryMap.describeSize(map.ramBytes())));
    }

    /** Rounds {@code value} up to a multiple of the power of two {@code align}. */
    static long alignUp(long value, long align) {
        return (value + align - 1) & -align;
    }

    private LoadedRegion firstOverlap(long start, long size) {
        LoadedRegion found = null;
        for (LoadedRegion r : claims) {
            if (r.overlaps(start, size) && (found == null || r.address() < found.address())) {
                found = r;
            }
        }
        return found;
    }

    private static void checkPlacementArgs(String what, long size, long align) throws KernelLoadException {
        if (size <= 0) {
            throw new KernelLoadException(what + " is empty");
        }
        if (align <= 0 || Long.bitCount(align) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + align);
        }
    }

    private String usableRanges() {
        StringBuilder sb = new StringBuilder();
        for (E820Entry e : map.usable()) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(String.format("[0x%x-0x%x)", e.address(), e.end()));
        }
        return sb.toString();
    }
}
