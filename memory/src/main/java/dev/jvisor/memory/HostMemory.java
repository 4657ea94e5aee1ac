package dev.jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Anonymous host mappings for guest RAM, made with {@code mmap(2)} through {@code java.lang.foreign}.
 *
 * <p>Why mmap rather than {@link Arena#allocate}: guest RAM must be page aligned (KVM user memory
 * slots), lazily backed (a 4 GiB guest that touches 100 MiB costs 100 MiB of host RSS, not 4 GiB) and
 * returned to the host at once on VM destruction ({@code munmap}). An arena allocation zeroes, and so
 * touches, every page up front.
 *
 * <p>This is one of the few places with native downcalls; each is commented with why it is safe.
 */
public final class HostMemory {
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final long MAP_FAILED = -1L;
    private static final int MADV_DONTNEED = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle MMAP = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            CAPTURE_ERRNO);
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(
            LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
            CAPTURE_ERRNO);
    private static final MethodHandle MADVISE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("madvise").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT),
            CAPTURE_ERRNO);

    /** Host page size assumed by the mappings (x86-64 Linux). */
    public static final long PAGE_SIZE = 4096;

    private HostMemory() {
    }

    /**
     * Maps {@code size} bytes of zeroed, lazily allocated anonymous memory.
     *
     * @param arena the arena whose closing unmaps the memory; it must outlive every user of the
     *              returned segment (the vCPUs and the KVM memory slots)
     * @throws IllegalArgumentException if size is not a positive multiple of the page size
     * @throws OutOfMemoryError if the host refuses the mapping
     */
    public static MemorySegment mapAnonymous(long size, Arena arena) {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("mapping size must be a positive multiple of 4096: " + size);
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment state = scratch.allocate(CAPTURE_LAYOUT);
            // Safe: a fresh anonymous private mapping at an address the kernel chooses; no existing
            // memory is touched and the result is checked for MAP_FAILED before use.
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (addr.address() == MAP_FAILED) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new OutOfMemoryError("mmap of " + size + " bytes for guest memory failed: errno " + errno);
            }
            long base = addr.address();
            // Safe: the segment covers exactly the mapping just made; the cleanup unmaps it once,
            // when the arena closes, after which the segment is inaccessible by the arena's rules.
            return addr.reinterpret(size, arena, segment -> unmap(base, size));
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap downcall failed", t);
        }
    }

    /**
     * Gives the pages of a range back to the host; they read as zero afterwards (used on guest
     * reset and by balloon-style reclaim).
     */
    public static void discard(MemorySegment range) {
        if (range.address() % PAGE_SIZE != 0 || range.byteSize() % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("discard needs a page-aligned range");
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment state = scratch.allocate(CAPTURE_LAYOUT);
            // Safe: the range lies inside a live private anonymous mapping (the caller's segment).
            int rc = (int) MADVISE.invokeExact(state, range, range.byteSize(), MADV_DONTNEED);
            if (rc != 0) {
                throw new IllegalStateException("madvise(MADV_DONTNEED) failed: errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("madvise downcall failed", t);
        }
    }

    private static void unmap(long base, long size) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment state = scratch.allocate(CAPTURE_LAYOUT);
            // Safe: called exactly once by the arena, for the mapping made in mapAnonymous.
            int rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(base), size);
            if (rc != 0) {
                throw new IllegalStateException("munmap failed: errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap downcall failed", t);
        }
    }
}
