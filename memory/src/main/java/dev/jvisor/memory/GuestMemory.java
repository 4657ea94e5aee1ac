package dev.jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Guest physical RAM: a few regions, all carved from one anonymous host mapping.
 *
 * <p>This type is the only way to touch guest RAM. Its public accessors check every guest-supplied
 * address and length and throw {@link GuestMemoryException} when any byte falls outside RAM; they
 * never crash the host. Back ends that need raw speed (the emulator's TLB, KVM's memory slots) use
 * {@link #regions()} and {@link #hostMapping()}, whose segments are themselves bounds-checked by the
 * JVM.
 *
 * <p>All multi-byte values are little-endian, as on x86.
 */
public final class GuestMemory implements AutoCloseable {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** A requested region: where it sits in guest physical space and how big it is. */
    public record Layout(long guestBase, long size) {
        public Layout {
            if (size <= 0 || size % HostMemory.PAGE_SIZE != 0 || guestBase % HostMemory.PAGE_SIZE != 0) {
                throw new IllegalArgumentException(String.format(
                        "memory region base 0x%x and size 0x%x must be page aligned and non-empty", guestBase, size));
            }
        }
    }

    /**
     * Told about every write that reaches guest RAM outside a CPU (device DMA, the loader, a
     * debugger): the emulator uses it to drop decoded code those bytes replace.
     */
    @FunctionalInterface
    public interface WriteObserver {
        void written(long gpa, long length);
    }

    private final Arena arena;
    private volatile WriteObserver writeObserver;
    private final MemorySegment mapping;
    private final MemoryRegion[] regions;
    private final DirtyBitmap[] dirty;
    private volatile boolean dirtyTracking;

    private GuestMemory(Arena arena, MemorySegment mapping, MemoryRegion[] regions) {
        this.arena = arena;
        this.mapping = mapping;
        this.regions = regions;
        this.dirty = new DirtyBitmap[regions.length];
        for (int i = 0; i < regions.length; i++) {
            dirty[i] = new DirtyBitmap(regions[i].size());
        }
    }

    /**
     * Maps guest RAM for the given regions (sorted and checked for overlap here).
     *
     * @throws IllegalArgumentException if regions overlap or the list is empty
     */
    public static GuestMemory create(List<Layout> layouts) {
        if (layouts.isEmpty()) {
            throw new IllegalArgumentException("guest memory needs at least one region");
        }
        List<Layout> sorted = new ArrayList<>(layouts);
        sorted.sort(Comparator.comparingLong(Layout::guestBase));
        long total = 0;
        for (int i = 0; i < sorted.size(); i++) {
            Layout l = sorted.get(i);
            if (l.guestBase() + l.size() < l.guestBase()) {
                throw new IllegalArgumentException("memory region wraps the address space");
            }
            if (i > 0) {
                Layout prev = sorted.get(i - 1);
                if (prev.guestBase() + prev.size() > l.guestBase()) {
                    throw new IllegalArgumentException(String.format(
                            "memory regions overlap at 0x%x", l.guestBase()));
                }
            }
            total = Math.addExact(total, l.size());
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = HostMemory.mapAnonymous(total, arena);
            MemoryRegion[] regions = new MemoryRegion[sorted.size()];
            long offset = 0;
            for (int i = 0; i < regions.length; i++) {
                Layout l = sorted.get(i);
                regions[i] = new MemoryRegion(i, l.guestBase(), mapping.asSlice(offset, l.size()), offset);
                offset += l.size();
            }
            return new GuestMemory(arena, mapping, regions);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Convenience: one region of {@code size} bytes at guest physical 0. */
    public static GuestMemory flat(long size) {
        return create(List.of(new Layout(0, size)));
    }

    /** The regions, sorted by guest address. */
    public List<MemoryRegion> regions() {
        return List.of(regions);
    }

    /** The single host mapping behind all regions (regions are slices of it, in order). */
    public MemorySegment hostMapping() {
        return mapping;
    }

    /** Total bytes of RAM. */
    public long totalSize() {
        return mapping.byteSize();
    }

    /** The region containing {@code gpa}, or null. */
    public MemoryRegion regionAt(long gpa) {
        for (MemoryRegion r : regions) {
            if (gpa >= r.guestBase() && gpa - r.guestBase() < r.size()) {
                return r;
            }
        }
        return null;
    }

    /** Whether every byte of {@code [gpa, gpa+len)} is RAM inside one region. */
    public boolean isRam(long gpa, long len) {
        MemoryRegion r = regionAt(gpa);
        return r != null && r.contains(gpa, len);
    }

    /**
     * Offset into {@link #hostMapping()} of guest range {@code [gpa, gpa+len)}, which must lie in
     * one region.
     */
    public long hostOffset(long gpa, long len) {
        MemoryRegion r = regionAt(gpa);
        if (r == null || !r.contains(gpa, len)) {
            throw new GuestMemoryException(gpa, len, "access");
        }
        return r.hostOffset() + (gpa - r.guestBase());
    }

    /** A view of guest range {@code [gpa, gpa+len)}; it must lie in one region. */
    public MemorySegment slice(long gpa, long len) {
        return mapping.asSlice(hostOffset(gpa, len), len);
    }

    public int readU8(long gpa) {
        return mapping.get(ValueLayout.JAVA_BYTE, hostOffset(gpa, 1)) & 0xff;
    }

    public int readU16(long gpa) {
        return mapping.get(U16, hostOffset(gpa, 2)) & 0xffff;
    }

    public int readU32AsInt(long gpa) {
        return mapping.get(U32, hostOffset(gpa, 4));
    }

    public long readU32(long gpa) {
        return readU32AsInt(gpa) & 0xffff_ffffL;
    }

    public long readU64(long gpa) {
        return mapping.get(U64, hostOffset(gpa, 8));
    }

    public void writeU8(long gpa, int value) {
        long off = hostOffset(gpa, 1);
        mapping.set(ValueLayout.JAVA_BYTE, off, (byte) value);
        noteWrite(gpa, 1);
    }

    public void writeU16(long gpa, int value) {
        long off = hostOffset(gpa, 2);
        mapping.set(U16, off, (short) value);
        noteWrite(gpa, 2);
    }

    public void writeU32(long gpa, int value) {
        long off = hostOffset(gpa, 4);
        mapping.set(U32, off, value);
        noteWrite(gpa, 4);
    }

    public void writeU64(long gpa, long value) {
        long off = hostOffset(gpa, 8);
        mapping.set(U64, off, value);
        noteWrite(gpa, 8);
    }

    /** Copies guest bytes into {@code dst}; the range may span regions only if they are adjacent RAM. */
    public void read(long gpa, byte[] dst, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        while (len > 0) {
            MemoryRegion r = regionAt(gpa);
            if (r == null) {
                throw new GuestMemoryException(gpa, len, "read");
            }
            int chunk = (int) Math.min(len, r.guestEnd() - gpa);
            MemorySegment.copy(mapping, ValueLayout.JAVA_BYTE, r.hostOffset() + (gpa - r.guestBase()), dst, off, chunk);
            gpa += chunk;
            off += chunk;
            len -= chunk;
        }
    }

    /** Reads {@code len} guest bytes into a new array. */
    public byte[] read(long gpa, int len) {
        byte[] out = new byte[len];
        read(gpa, out, 0, len);
        return out;
    }

    /** Copies {@code src} into guest memory. */
    public void write(long gpa, byte[] src, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        while (len > 0) {
            MemoryRegion r = regionAt(gpa);
            if (r == null) {
                throw new GuestMemoryException(gpa, len, "write");
            }
            int chunk = (int) Math.min(len, r.guestEnd() - gpa);
            MemorySegment.copy(src, off, mapping, ValueLayout.JAVA_BYTE, r.hostOffset() + (gpa - r.guestBase()), chunk);
            noteWrite(gpa, chunk);
            gpa += chunk;
            off += chunk;
            len -= chunk;
        }
    }

    /** Copies all of {@code src} into guest memory at {@code gpa}. */
    public void write(long gpa, byte[] src) {
        write(gpa, src, 0, src.length);
    }

    /** Fills {@code [gpa, gpa+len)} with {@code value}. */
    public void fill(long gpa, long len, byte value) {
        slice(gpa, len).fill(value);
        noteWrite(gpa, len);
    }

    /** Turns software dirty tracking on or off (off clears nothing; see {@link #drainDirty}). */
    public void setDirtyTracking(boolean on) {
        dirtyTracking = on;
    }

    public boolean dirtyTracking() {
        return dirtyTracking;
    }

    /**
     * Records a write made outside these accessors (by a device through a {@link #slice}): tells
     * the write observer, and marks the pages dirty when dirty tracking is on. Every writer of guest
     * RAM other than a vCPU must call it (the accessors of this class do).
     */
    public void noteWrite(long gpa, long len) {
        WriteObserver observer = writeObserver;
        if (observer != null) {
            observer.written(gpa, len);
        }
        if (!dirtyTracking) {
            return;
        }
        for (int i = 0; i < regions.length; i++) {
            MemoryRegion r = regions[i];
            if (gpa >= r.guestBase() && gpa < r.guestEnd()) {
                dirty[i].mark(gpa - r.guestBase(), Math.min(len, r.guestEnd() - gpa));
                return;
            }
        }
    }

    /** Installs the observer of writes made through {@link #noteWrite} (null removes it). */
    public void setWriteObserver(WriteObserver observer) {
        this.writeObserver = observer;
    }

    /** The software dirty bitmap of region {@code slot}. */
    public DirtyBitmap dirtyBitmap(int slot) {
        return dirty[slot];
    }

    /** Unmaps guest RAM. Every user (vCPUs, KVM slots) must be gone first. */
    @Override
    public void close() {
        arena.close();
    }
}
