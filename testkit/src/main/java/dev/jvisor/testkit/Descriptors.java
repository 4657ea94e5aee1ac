package dev.jvisor.testkit;

import dev.jvisor.memory.GuestMemory;

/**
 * Encoders for the x86 system structures a tiny guest needs: segment descriptors (Intel SDM Vol. 3A
 * §3.4.5), gate descriptors (§6.11 and §6.14.1), the TSS fields used here (§7.2.1, §8.7) and
 * 4-level page tables with 2 MiB pages (§4.5).
 */
final class Descriptors {
    /** Access bytes (P, DPL, S, type with the accessed bit set, matching a loaded segment cache). */
    static final int CODE_DPL0 = 0x9b, DATA_DPL0 = 0x93, CODE_DPL3 = 0xfb, DATA_DPL3 = 0xf3;
    /** TSS access bytes: available (type 9) or busy (type 0xB) TSS, present, DPL0. */
    static final int TSS_AVAILABLE = 0x89, TSS_BUSY = 0x8b;
    /** Flag nibbles: G (4 KiB granularity) with D (32-bit) or L (64-bit code). */
    static final int FLAGS_32 = 0xc, FLAGS_64 = 0xa, FLAGS_16 = 0x0;

    /** Page-table entry bits (§4.5, Tables 4-15 to 4-18): present, writable, user, page size. */
    static final long PTE_P = 1, PTE_W = 2, PTE_U = 4, PTE_PS = 0x80;

    private Descriptors() {
    }

    /** An 8-byte code or data segment descriptor; {@code limit} is the 20-bit raw field. */
    static long segment(long base, int limit, int access, int flags) {
        return (limit & 0xffffL)
                | (base & 0xff_ffffL) << 16
                | (long) (access & 0xff) << 40
                | (long) (limit >>> 16 & 0xf) << 48
                | (long) (flags & 0xf) << 52
                | (base >>> 24 & 0xff) << 56;
    }

    /** The low 8 bytes of a TSS descriptor (byte-granular limit); the 64-bit form adds base[63:32]. */
    static long tss(long base, int limit, int access) {
        return segment(base, limit, access, 0);
    }

    /** A 16-byte 64-bit interrupt gate (type 0xE) to {@code handler} through code selector {@code cs}. */
    static void gate64(GuestMemory mem, long at, long handler, int cs, int dpl) {
        mem.writeU64(at, gateLow(handler, cs, dpl));
        mem.writeU64(at + 8, handler >>> 32);
    }

    /** An 8-byte 32-bit interrupt gate (type 0xE). */
    static void gate32(GuestMemory mem, long at, long handler, int cs, int dpl) {
        if (handler >>> 32 != 0) {
            throw new IllegalArgumentException(String.format("handler 0x%x is beyond 4 GiB", handler));
        }
        mem.writeU64(at, gateLow(handler, cs, dpl));
    }

    private static long gateLow(long handler, int cs, int dpl) {
        int typeAttr = 0x8e | (dpl & 3) << 5;
        return (handler & 0xffff) | (long) (cs & 0xffff) << 16 | (long) typeAttr << 40 | (handler >>> 16 & 0xffff) << 48;
    }

    /** A real-mode interrupt vector (segment:offset) reaching linear address {@code handler}. */
    static void realModeVector(GuestMemory mem, long at, long handler) {
        if (handler < 0 || handler >= 0x10_0000) {
            throw new IllegalArgumentException(String.format("real-mode handler 0x%x is beyond 1 MiB", handler));
        }
        mem.writeU16(at, (int) (handler & 0xffff));
        mem.writeU16(at + 2, (int) (handler >>> 16 << 12));
    }

    /**
     * Identity-maps {@code [0, gib GiB)} with 2 MiB pages: one PML4 entry, one PDPT with
     * {@code gib} entries, and {@code gib} page directories placed one after another from
     * {@code pd}. 1 GiB pages would need fewer tables but some KVM hosts refuse them.
     */
    static void identityMap(GuestMemory mem, long pml4, long pdpt, long pd, int gib, boolean user) {
        long flags = PTE_P | PTE_W | (user ? PTE_U : 0);
        mem.fill(pml4, 4096, (byte) 0);
        mem.fill(pdpt, 4096, (byte) 0);
        mem.writeU64(pml4, pdpt | flags);
        for (int g = 0; g < gib; g++) {
            long table = pd + g * 4096L;
            mem.writeU64(pdpt + g * 8L, table | flags);
            for (int e = 0; e < 512; e++) {
                long frame = ((long) g << 30) + ((long) e << 21);
                mem.writeU64(table + e * 8L, frame | flags | PTE_PS);
            }
        }
    }
}
