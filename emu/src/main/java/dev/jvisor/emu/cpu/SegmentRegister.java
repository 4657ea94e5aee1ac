package dev.jvisor.emu.cpu;

import dev.jvisor.hypervisor.Segment;

/**
 * A segment register: the visible selector and the hidden descriptor cache (SDM Vol. 3A §3.4.3).
 *
 * <p>The access rights are packed like the VMX "access rights" field: type in bits 0-3, S in bit 4,
 * DPL in bits 5-6, P in bit 7, AVL in bit 12, L in bit 13, D/B in bit 14, G in bit 15 and
 * "unusable" in bit 16. {@link #limit} is always in bytes (granularity already applied).
 */
final class SegmentRegister {
    int selector;
    long base;
    long limit;
    int attr;

    static final int S = 1 << 4, P = 1 << 7, AVL = 1 << 12, L = 1 << 13, DB = 1 << 14, G = 1 << 15,
            UNUSABLE = 1 << 16;

    int type() {
        return attr & 0xf;
    }

    int dpl() {
        return (attr >> 5) & 3;
    }

    boolean present() {
        return (attr & P) != 0;
    }

    boolean l() {
        return (attr & L) != 0;
    }

    boolean db() {
        return (attr & DB) != 0;
    }

    boolean unusable() {
        return (attr & UNUSABLE) != 0;
    }

    void set(int selector, long base, long limit, int attr) {
        this.selector = selector;
        this.base = base;
        this.limit = limit;
        this.attr = attr;
    }

    /** Loads a real-mode / virtual-8086 style segment: base = selector * 16. */
    void setReal(int selector) {
        this.selector = selector & 0xffff;
        this.base = (long) (selector & 0xffff) << 4;
    }

    /**
     * Fills the cache from a raw 8-byte descriptor (SDM Vol. 3A §3.4.5, Figure 3-8).
     *
     * @param upper for 16-byte system descriptors in long mode, bits 32-63 of the base; else 0
     */
    void loadDescriptor(int selector, long desc, long upper) {
        long base = ((desc >>> 16) & 0xffffff) | (((desc >>> 56) & 0xff) << 24) | (upper << 32);
        long limit = (desc & 0xffff) | ((desc >>> 32) & 0xf0000);
        int access = (int) ((desc >>> 40) & 0xff);
        int flags = (int) ((desc >>> 52) & 0xf);
        int a = access | (flags << 12);
        if ((a & G) != 0) {
            limit = (limit << 12) | 0xfff;
        }
        set(selector, base, limit, a);
    }

    Segment toSegment() {
        return new Segment(selector, base, (int) limit, type(), present(), dpl(), db(), (attr & S) != 0, l(),
                (attr & G) != 0, (attr & AVL) != 0, unusable());
    }

    void fromSegment(Segment s) {
        int a = s.type() & 0xf;
        if (s.s()) a |= S;
        a |= (s.dpl() & 3) << 5;
        if (s.present()) a |= P;
        if (s.avl()) a |= AVL;
        if (s.l()) a |= L;
        if (s.db()) a |= DB;
        if (s.g()) a |= G;
        if (s.unusable()) a |= UNUSABLE;
        set(s.selector() & 0xffff, s.base(), s.limit() & 0xffff_ffffL, a);
    }
}
