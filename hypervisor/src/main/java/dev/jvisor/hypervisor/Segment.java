package dev.jvisor.hypervisor;

/**
 * A segment register with its hidden descriptor cache (the layout of KVM's {@code kvm_segment}).
 *
 * @param type    the 4-bit descriptor type field (e.g. 0xB = execute/read, accessed code)
 * @param s       1 for code/data, 0 for system segments
 * @param db      default operand size (1 = 32-bit) for code, B bit for stacks
 * @param l       64-bit code segment
 * @param g       granularity (limit in 4 KiB units); {@code limit} here is always in bytes
 * @param unusable the segment register holds a null selector (Intel "unusable")
 */
public record Segment(int selector, long base, int limit, int type, boolean present, int dpl,
                      boolean db, boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    /** A flat 64-bit code segment at the given selector and privilege level. */
    public static Segment code64(int selector, int dpl) {
        return new Segment(selector, 0, 0xffff_ffff, 0xb, true, dpl, false, true, true, true, false, false);
    }

    /** A flat 32-bit code segment. */
    public static Segment code32(int selector) {
        return new Segment(selector, 0, 0xffff_ffff, 0xb, true, 0, true, true, false, true, false, false);
    }

    /** A flat read/write data segment (4 GiB limit, 32-bit). */
    public static Segment data(int selector, int dpl) {
        return new Segment(selector, 0, 0xffff_ffff, 0x3, true, dpl, true, true, false, true, false, false);
    }

    /** A real-mode segment: base = selector * 16, 64 KiB limit. */
    public static Segment real(int selector, boolean code) {
        return new Segment(selector, (long) selector << 4, 0xffff, code ? 0xb : 0x3, true, 0,
                false, true, false, false, false, false);
    }

    /** A 64-bit TSS (busy) for the task register. */
    public static Segment tss64(int selector, long base, int limit) {
        return new Segment(selector, base, limit, 0xb, true, 0, false, false, false, false, false, false);
    }

    /** An unusable (null) segment, e.g. an empty LDT. */
    public static Segment nullSegment() {
        return new Segment(0, 0, 0, 0, false, 0, false, false, false, false, false, true);
    }
}
