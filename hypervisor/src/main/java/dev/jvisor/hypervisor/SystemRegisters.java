package dev.jvisor.hypervisor;

/**
 * Segment, descriptor-table and control registers (the layout of KVM's {@code kvm_sregs}, without the
 * interrupt bitmap).
 */
public record SystemRegisters(Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss,
                              Segment tr, Segment ldt, DescriptorTable gdt, DescriptorTable idt,
                              long cr0, long cr2, long cr3, long cr4, long cr8, long efer, long apicBase) {

    /** CR0 bits. Intel SDM Vol. 3A §2.5. */
    public static final long CR0_PE = 1L, CR0_MP = 1L << 1, CR0_EM = 1L << 2, CR0_TS = 1L << 3,
            CR0_ET = 1L << 4, CR0_NE = 1L << 5, CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29,
            CR0_CD = 1L << 30, CR0_PG = 1L << 31;
    /** CR4 bits used by the loaders. */
    public static final long CR4_PSE = 1L << 4, CR4_PAE = 1L << 5, CR4_PGE = 1L << 7, CR4_OSFXSR = 1L << 9,
            CR4_OSXMMEXCPT = 1L << 10;
    /** EFER bits. */
    public static final long EFER_SCE = 1L, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;

    /** The state of a CPU after reset (real mode at F000:FFF0), as the SDM's Table 9-1 gives it. */
    public static SystemRegisters reset() {
        Segment cs = new Segment(0xf000, 0xffff0000L, 0xffff, 0xb, true, 0, false, true, false, false, false, false);
        Segment data = Segment.real(0, false);
        Segment tr = new Segment(0, 0, 0xffff, 0xb, true, 0, false, false, false, false, false, false);
        Segment ldt = new Segment(0, 0, 0xffff, 0x2, true, 0, false, false, false, false, false, false);
        return new SystemRegisters(cs, data, data, data, data, data, tr, ldt,
                new DescriptorTable(0, 0xffff), new DescriptorTable(0, 0xffff),
                CR0_ET | CR0_CD | CR0_NW, 0, 0, 0, 0, 0, 0xfee00000L | (1L << 11) | (1L << 8));
    }

    public SystemRegisters withCr(long newCr0, long newCr3, long newCr4, long newEfer) {
        return new SystemRegisters(cs, ds, es, fs, gs, ss, tr, ldt, gdt, idt, newCr0, cr2, newCr3, newCr4, cr8,
                newEfer, apicBase);
    }

    public SystemRegisters withSegments(Segment newCs, Segment data, Segment newTr) {
        return new SystemRegisters(newCs, data, data, data, data, data, newTr, ldt, gdt, idt, cr0, cr2, cr3, cr4,
                cr8, efer, apicBase);
    }

    public SystemRegisters withTables(DescriptorTable newGdt, DescriptorTable newIdt) {
        return new SystemRegisters(cs, ds, es, fs, gs, ss, tr, ldt, newGdt, newIdt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase);
    }
}
