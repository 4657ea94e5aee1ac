package dev.jvisor.emu.cpu;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.memory.MemoryRegion;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Linear-to-physical translation and all guest memory accesses of one CPU.
 *
 * <p>A software TLB caches translations per 4 KiB page, with separate tags for read, write and
 * execute permission and two sets (supervisor and user) so the common case is one array compare and
 * one {@link MemorySegment} access. A TLB entry stores an addend turning the linear address into an
 * offset in the guest's host mapping. Entries are never made for MMIO pages, and write entries are
 * never made for pages holding translated code: those accesses take the slow path, which dispatches
 * MMIO and invalidates stale translations (self-modifying code).
 *
 * <p>Paging follows SDM Vol. 3A ch. 4: 32-bit, PAE and 4-level paging, accessed/dirty bits, NX,
 * CR0.WP, global pages (CR4.PGE). 1 GiB pages are not advertised, so PS in a PDPTE is reserved.
 */
final class Mmu {
    static final int READ = 0, WRITE = 1, EXEC = 2;
    static final int MAXPHYADDR = 40;
    private static final long ADDR_MASK = ((1L << MAXPHYADDR) - 1) & ~0xfffL;
    /** Bits 51..MAXPHYADDR of a paging entry are reserved. */
    private static final long RSVD_HIGH = ((1L << 52) - 1) & ~((1L << MAXPHYADDR) - 1);
    private static final long P = 1, RW = 2, US = 4, A = 1 << 5, D = 1 << 6, PS = 1 << 7, G = 1 << 8,
            NX = 1L << 63;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    static final int TLB_BITS = 11;
    static final int TLB_SIZE = 1 << TLB_BITS;
    private static final int TLB_MASK = TLB_SIZE - 1;
    private static final long INVALID = -1L;

    /** One set of TLB entries (supervisor or user). */
    static final class TlbSet {
        final long[] readTag = new long[TLB_SIZE];
        final long[] writeTag = new long[TLB_SIZE];
        final long[] execTag = new long[TLB_SIZE];
        final long[] addend = new long[TLB_SIZE];
        final byte[] flags = new byte[TLB_SIZE];
        final int[] filled = new int[TLB_SIZE];
        int filledCount;

        TlbSet() {
            java.util.Arrays.fill(readTag, INVALID);
            java.util.Arrays.fill(writeTag, INVALID);
            java.util.Arrays.fill(execTag, INVALID);
        }
    }

    /** Entry flags: global page, from a large page, and "index is in the filled list". */
    private static final byte F_GLOBAL = 1, F_LARGE = 2, F_LISTED = 4;

    private final Cpu cpu;
    final MemorySegment ram;
    private final MemoryRegion[] regions;
    /** One byte per host page of guest RAM: non-zero when the page holds translated code. */
    final byte[] codePages;
    CodeCache codeCache;

    final TlbSet supervisor = new TlbSet();
    final TlbSet user = new TlbSet();
    // The set in use for the current CPL; instructions read these directly.
    long[] readTag;
    long[] writeTag;
    long[] execTag;
    long[] addend;
    private TlbSet current;
    /** Watched ranges (debugger watchpoints); pages holding them never get TLB entries. */
    private dev.jvisor.hypervisor.DebugSettings.Watchpoint[] watches = new dev.jvisor.hypervisor.DebugSettings.Watchpoint[0];
    private final TlbSet[] sets = {supervisor, user};
    private boolean largeEntries;

    Mmu(Cpu cpu, GuestMemory memory) {
        this.cpu = cpu;
        this.ram = memory.hostMapping();
        this.regions = memory.regions().toArray(new MemoryRegion[0]);
        this.codePages = new byte[(int) (memory.totalSize() >>> 12)];
        selectPrivilege(false);
    }

    void selectPrivilege(boolean userMode) {
        TlbSet s = userMode ? user : supervisor;
        current = s;
        readTag = s.readTag;
        writeTag = s.writeTag;
        execTag = s.execTag;
        addend = s.addend;
    }

    // --- Physical memory -----------------------------------------------------------------------

    /** Host offset of guest physical address {@code pa}, or -1 if it is not RAM. */
    long hostOffset(long pa) {
        for (MemoryRegion r : regions) {
            long d = pa - r.guestBase();
            if (d >= 0 && d < r.size()) {
                return r.hostOffset() + d;
            }
        }
        return -1;
    }

    long physRead(long pa, int size) {
        long off = hostOffset(pa);
        if (off >= 0 && hostOffset(pa + size - 1) == off + size - 1) {
            return switch (size) {
                case 1 -> ram.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                case 2 -> ram.get(U16, off) & 0xffffL;
                case 4 -> ram.get(U32, off) & 0xffff_ffffL;
                default -> ram.get(U64, off);
            };
        }
        long v = cpu.env.mmioRead(pa, size);
        if (cpu.tracer != null) {
            cpu.tracer.mmio(cpu, false, pa, size, v);
        }
        return v;
    }

    void physWrite(long pa, int size, long v) {
        long off = hostOffset(pa);
        if (off >= 0 && hostOffset(pa + size - 1) == off + size - 1) {
            int page = (int) (off >>> 12);
            if (codePages[page] != 0 || codePages[(int) ((off + size - 1) >>> 12)] != 0) {
                codeWritten(off, size);
            }
            switch (size) {
                case 1 -> ram.set(ValueLayout.JAVA_BYTE, off, (byte) v);
                case 2 -> ram.set(U16, off, (short) v);
                case 4 -> ram.set(U32, off, (int) v);
                default -> ram.set(U64, off, v);
            }
            return;
        }
        if (cpu.tracer != null) {
            cpu.tracer.mmio(cpu, true, pa, size, v);
        }
        cpu.env.mmioWrite(pa, size, v);
    }

    private void codeWritten(long hostOff, int size) {
        CodeCache cc = codeCache;
        if (cc != null) {
            cc.invalidateHostRange(hostOff, size);
        }
        cpu.exitBlock = true;
    }

    // --- Fast linear accesses (data) -------------------------------------------------------------

    int read8(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (readTag[i] == (va & ~0xfffL)) {
            return ram.get(ValueLayout.JAVA_BYTE, va + addend[i]) & 0xff;
        }
        return (int) readSlow(va, 1);
    }

    int read16(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (readTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xffe) {
            return ram.get(U16, va + addend[i]) & 0xffff;
        }
        return (int) readSlow(va, 2);
    }

    long read32(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (readTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xffc) {
            return ram.get(U32, va + addend[i]) & 0xffff_ffffL;
        }
        return readSlow(va, 4);
    }

    long read64(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (readTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xff8) {
            return ram.get(U64, va + addend[i]);
        }
        return readSlow(va, 8);
    }

    /** Reads {@code size} (1, 2, 4 or 8) bytes, zero-extended. */
    long read(long va, int size) {
        return switch (size) {
            case 1 -> read8(va);
            case 2 -> read16(va);
            case 4 -> read32(va);
            default -> read64(va);
        };
    }

    void write8(long va, long v) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL)) {
            ram.set(ValueLayout.JAVA_BYTE, va + addend[i], (byte) v);
            return;
        }
        writeSlow(va, 1, v);
    }

    void write16(long va, long v) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xffe) {
            ram.set(U16, va + addend[i], (short) v);
            return;
        }
        writeSlow(va, 2, v);
    }

    void write32(long va, long v) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xffc) {
            ram.set(U32, va + addend[i], (int) v);
            return;
        }
        writeSlow(va, 4, v);
    }

    void write64(long va, long v) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0xff8) {
            ram.set(U64, va + addend[i], v);
            return;
        }
        writeSlow(va, 8, v);
    }

    void write(long va, int size, long v) {
        switch (size) {
            case 1 -> write8(va, v);
            case 2 -> write16(va, v);
            case 4 -> write32(va, v);
            default -> write64(va, v);
        }
    }

    /**
     * The read of a read-modify-write instruction: the CPU checks write access up front, so a fault
     * here reports a write (#PF error code bit 1), as hardware does.
     */
    long readForWrite(long va, int size) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0x1000 - size) {
            long off = va + addend[i];
            return switch (size) {
                case 1 -> ram.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                case 2 -> ram.get(U16, off) & 0xffffL;
                case 4 -> ram.get(U32, off) & 0xffff_ffffL;
                default -> ram.get(U64, off);
            };
        }
        probeWrite(va, size);
        return read(va, size);
    }

    /**
     * Checks that {@code [va, va+size)} is writable (faulting as a write would) without writing.
     * Used by read-modify-write instructions and multi-part stores that must not fault half way.
     */
    void probeWrite(long va, int size) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL) && (va & 0xfff) <= 0x1000 - size) {
            return;
        }
        translate(va, WRITE, cpu.cpl == 3, true);
        if (((va & 0xfff) + size) > 0x1000) {
            translate((va | 0xfff) + 1, WRITE, cpu.cpl == 3, true);
        }
    }

    // --- Bulk access for string instructions ------------------------------------------------------

    /**
     * Host offset of {@code va} for reading, faulting as a read would; -1 when the page is not RAM
     * (the caller then falls back to element-wise access).
     */
    long hostForRead(long va) {
        if (watches.length != 0 && watchedPage(va)) {
            return -1;
        }
        int i = (int) (va >>> 12) & TLB_MASK;
        if (readTag[i] == (va & ~0xfffL)) {
            return va + addend[i];
        }
        long pa = translate(va, READ, cpu.cpl == 3, true);
        return hostOffset(pa);
    }

    /**
     * Host offset of {@code va} for writing, faulting as a write would; -1 when the page is not RAM
     * or holds translated code (those writes must take the element-wise path).
     */
    long hostForWrite(long va) {
        if (watches.length != 0 && watchedPage(va)) {
            return -1;
        }
        int i = (int) (va >>> 12) & TLB_MASK;
        if (writeTag[i] == (va & ~0xfffL)) {
            return va + addend[i];
        }
        long pa = translate(va, WRITE, cpu.cpl == 3, true);
        long off = hostOffset(pa);
        if (off < 0 || codePages[(int) (off >>> 12)] != 0) {
            return -1;
        }
        return off;
    }

    // --- Instruction fetch -----------------------------------------------------------------------

    /**
     * Translates an instruction-fetch address and returns the host offset of {@code va}, checking
     * execute permission; the decoder then reads bytes up to the end of that page directly.
     */
    long fetchHostOffset(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (execTag[i] == (va & ~0xfffL)) {
            return va + addend[i];
        }
        long pa = translate(va, EXEC, cpu.cpl == 3, true);
        long off = hostOffset(pa);
        if (off < 0) {
            // Executing from MMIO or unbacked space: there is no ROM in this machine.
            throw cpu.fault(CpuException.GP, 0);
        }
        return off;
    }

    // --- Watchpoints ---------------------------------------------------------------------------------

    void setWatchpoints(dev.jvisor.hypervisor.DebugSettings.Watchpoint[] w) {
        watches = w;
        flush(false);
    }

    private boolean watchedPage(long va) {
        for (var w : watches) {
            if (((w.address() ^ va) & ~0xfffL) == 0 || (((w.address() + w.length() - 1) ^ va) & ~0xfffL) == 0) {
                return true;
            }
        }
        return false;
    }

    private void checkWatch(long va, int size, boolean write) {
        for (var w : watches) {
            if (va < w.address() + w.length() && w.address() < va + size && w.kind().matches(write)) {
                cpu.watchHit = w.address();
            }
        }
    }

    // --- Slow paths ------------------------------------------------------------------------------

    long readSlow(long va, int size) {
        if (watches.length != 0) {
            checkWatch(va, size, false);
        }
        if (((va & 0xfff) + size) > 0x1000) {
            // Split across a page boundary: both halves checked before combining.
            int first = (int) (0x1000 - (va & 0xfff));
            long lo = readBytes(va, first);
            long hi = readBytes(va + first, size - first);
            return lo | (hi << (first * 8));
        }
        long pa = translate(va, READ, cpu.cpl == 3, true);
        return physRead(pa, size);
    }

    private long readBytes(long va, int n) {
        long pa = translate(va, READ, cpu.cpl == 3, true);
        if (n == 1 || n == 2 || n == 4 || n == 8) {
            return physRead(pa, n);
        }
        long v = 0;
        for (int k = 0; k < n; k++) {
            v |= physRead(pa + k, 1) << (8 * k);
        }
        return v;
    }

    void writeSlow(long va, int size, long v) {
        if (watches.length != 0) {
            checkWatch(va, size, true);
        }
        if (((va & 0xfff) + size) > 0x1000) {
            int first = (int) (0x1000 - (va & 0xfff));
            long pa1 = translate(va, WRITE, cpu.cpl == 3, true);
            long pa2 = translate(va + first, WRITE, cpu.cpl == 3, true);
            for (int k = 0; k < size; k++) {
                long pa = k < first ? pa1 + k : pa2 + (k - first);
                physWrite(pa, 1, v >>> (8 * k));
            }
            return;
        }
        long pa = translate(va, WRITE, cpu.cpl == 3, true);
        physWrite(pa, size, v);
    }

    /** Reads with supervisor privilege whatever the CPL (descriptor tables, TSS: SDM §4.6.1). */
    long readSystem(long va, int size) {
        if (((va & 0xfff) + size) > 0x1000) {
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= physRead(translate(va + k, READ, false, false), 1) << (8 * k);
            }
            return v;
        }
        return physRead(translate(va, READ, false, false), size);
    }

    void writeSystem(long va, int size, long v) {
        for (int k = 0; k < size; k++) {
            physWrite(translate(va + k, WRITE, false, false), 1, v >>> (8 * k));
        }
    }

    // --- Translation -------------------------------------------------------------------------------

    /**
     * Translates a linear address, filling the TLB when {@code fill} is set and the page is RAM.
     *
     * @throws CpuException #PF (with CR2 set) or #GP for non-canonical addresses
     */
    long translate(long va, int access, boolean userMode, boolean fill) {
        if (!cpu.paging()) {
            long pa = cpu.longMode() ? va : va & 0xffff_ffffL;
            if (fill) {
                fillEntry(va, pa, true, true, false, false);
            }
            return pa;
        }
        if (cpu.longMode()) {
            if (((va << 16) >> 16) != va) {
                cpu.nonCanonicalFault = true; // #SS instead when the access uses the stack segment
                throw cpu.fault(CpuException.GP, 0);
            }
            return walk4(va, access, userMode, fill);
        }
        if ((cpu.cr4 & (1 << 5)) != 0) {
            return walkPae(va & 0xffff_ffffL, access, userMode, fill);
        }
        return walk32(va & 0xffff_ffffL, access, userMode, fill);
    }

    private long reservedMask() {
        return (cpu.efer & Msrs.EFER_NXE) != 0 ? RSVD_HIGH : RSVD_HIGH | NX;
    }

    private long walk4(long va, int access, boolean userMode, boolean fill) {
        long rsvd = reservedMask();
        long pml4eAddr = (cpu.cr3 & ADDR_MASK) | ((va >>> 36) & 0xff8);
        long pml4e = physRead(pml4eAddr, 8);
        if ((pml4e & P) == 0) throw pageFault(va, access, userMode, false, false);
        if ((pml4e & (rsvd | PS)) != 0) throw pageFault(va, access, userMode, true, true);
        long pdpteAddr = (pml4e & ADDR_MASK) | ((va >>> 27) & 0xff8);
        long pdpte = physRead(pdpteAddr, 8);
        if ((pdpte & P) == 0) throw pageFault(va, access, userMode, false, false);
        if ((pdpte & (rsvd | PS)) != 0) throw pageFault(va, access, userMode, true, true);
        long pdeAddr = (pdpte & ADDR_MASK) | ((va >>> 18) & 0xff8);
        long pde = physRead(pdeAddr, 8);
        if ((pde & P) == 0) throw pageFault(va, access, userMode, false, false);
        long combined = pml4e & pdpte & pde;
        long nx = (pml4e | pdpte | pde) & NX;
        long leaf;
        long leafAddr;
        long pa;
        boolean large;
        if ((pde & PS) != 0) {
            if ((pde & (rsvd | 0x1fe000L)) != 0) throw pageFault(va, access, userMode, true, true);
            leaf = pde;
            leafAddr = pdeAddr;
            pa = (pde & ADDR_MASK & ~0x1fffffL) | (va & 0x1fffffL);
            large = true;
        } else {
            long pteAddr = (pde & ADDR_MASK) | ((va >>> 9) & 0xff8);
            long pte = physRead(pteAddr, 8);
            if ((pte & P) == 0) throw pageFault(va, access, userMode, false, false);
            if ((pte & rsvd) != 0) throw pageFault(va, access, userMode, true, true);
            combined &= pte;
            nx |= pte & NX;
            leaf = pte;
            leafAddr = pteAddr;
            pa = (pte & ADDR_MASK) | (va & 0xfff);
            large = false;
        }
        boolean nxe = (cpu.efer & Msrs.EFER_NXE) != 0;
        checkAccess(va, access, userMode, combined, nxe && nx != 0);
        setAccessed(pml4eAddr, pml4e);
        setAccessed(pdpteAddr, pdpte);
        if (leafAddr != pdeAddr) {
            setAccessed(pdeAddr, pde);
        }
        boolean dirty = (leaf & D) != 0;
        if (access == WRITE && !dirty) {
            leaf |= D | A;
            physWrite(leafAddr, 8, leaf);
            dirty = true;
        } else {
            setAccessed(leafAddr, leaf);
        }
        if (fill) {
            fillFromWalk(va, pa, userMode, combined, nxe && nx != 0, dirty,
                    (leaf & G) != 0 && (cpu.cr4 & (1 << 7)) != 0, large);
        }
        return pa;
    }

    private long walkPae(long va, int access, boolean userMode, boolean fill) {
        long rsvd = reservedMask();
        // PDPTEs are loaded from CR3 (bits 31:5) and have no R/W, U/S or NX at that level.
        long pdpteAddr = (cpu.cr3 & 0xffff_ffe0L) | ((va >>> 27) & 0x18);
        long pdpte = physRead(pdpteAddr, 8);
        if ((pdpte & P) == 0) throw pageFault(va, access, userMode, false, false);
        long pdeAddr = (pdpte & ADDR_MASK) | ((va >>> 18) & 0xff8);
        long pde = physRead(pdeAddr, 8);
        if ((pde & P) == 0) throw pageFault(va, access, userMode, false, false);
        if ((pde & rsvd) != 0) throw pageFault(va, access, userMode, true, true);
        long combined = pde;
        long nx = pde & NX;
        long leaf, leafAddr, pa;
        boolean large;
        if ((pde & PS) != 0) {
            leaf = pde;
            leafAddr = pdeAddr;
            pa = (pde & ADDR_MASK & ~0x1fffffL) | (va & 0x1fffffL);
            large = true;
        } else {
            long pteAddr = (pde & ADDR_MASK) | ((va >>> 9) & 0xff8);
            long pte = physRead(pteAddr, 8);
            if ((pte & P) == 0) throw pageFault(va, access, userMode, false, false);
            if ((pte & rsvd) != 0) throw pageFault(va, access, userMode, true, true);
            combined &= pte;
            nx |= pte & NX;
            leaf = pte;
            leafAddr = pteAddr;
            pa = (pte & ADDR_MASK) | (va & 0xfff);
            large = false;
            setAccessed(pdeAddr, pde);
        }
        boolean nxe = (cpu.efer & Msrs.EFER_NXE) != 0;
        checkAccess(va, access, userMode, combined, nxe && nx != 0);
        boolean dirty = (leaf & D) != 0;
        if (access == WRITE && !dirty) {
            physWrite(leafAddr, 8, leaf | D | A);
            dirty = true;
        } else {
            setAccessed(leafAddr, leaf);
        }
        if (fill) {
            fillFromWalk(va, pa, userMode, combined, nxe && nx != 0, dirty,
                    (leaf & G) != 0 && (cpu.cr4 & (1 << 7)) != 0, large);
        }
        return pa;
    }

    private long walk32(long va, int access, boolean userMode, boolean fill) {
        long pdeAddr = (cpu.cr3 & 0xffff_f000L) | ((va >>> 20) & 0xffc);
        long pde = physRead(pdeAddr, 4);
        if ((pde & P) == 0) throw pageFault(va, access, userMode, false, false);
        long combined = pde;
        long leaf, leafAddr, pa;
        boolean large;
        if ((pde & PS) != 0 && (cpu.cr4 & (1 << 4)) != 0) {
            leaf = pde;
            leafAddr = pdeAddr;
            // 4 MiB page; bits 20:13 hold physical address bits 39:32 (PSE-36).
            pa = (pde & 0xffc0_0000L) | ((pde & 0x1fe000L) << 19) | (va & 0x3fffffL);
            large = true;
        } else {
            long pteAddr = (pde & 0xffff_f000L) | ((va >>> 10) & 0xffc);
            long pte = physRead(pteAddr, 4);
            if ((pte & P) == 0) throw pageFault(va, access, userMode, false, false);
            combined &= pte;
            leaf = pte;
            leafAddr = pteAddr;
            pa = (pte & 0xffff_f000L) | (va & 0xfff);
            large = false;
            setAccessed32(pdeAddr, pde);
        }
        checkAccess(va, access, userMode, combined, false);
        boolean dirty = (leaf & D) != 0;
        if (access == WRITE && !dirty) {
            physWrite(leafAddr, 4, leaf | D | A);
            dirty = true;
        } else if ((leaf & A) == 0) {
            physWrite(leafAddr, 4, leaf | A);
        }
        if (fill) {
            fillFromWalk(va, pa, userMode, combined, false, dirty,
                    (leaf & G) != 0 && (cpu.cr4 & (1 << 7)) != 0, large);
        }
        return pa;
    }

    private void checkAccess(long va, int access, boolean userMode, long combined, boolean noExec) {
        boolean us = (combined & US) != 0;
        boolean rw = (combined & RW) != 0;
        if (userMode && !us) {
            throw pageFault(va, access, userMode, true, false);
        }
        if (access == WRITE && !rw && (userMode || (cpu.cr0 & (1L << 16)) != 0)) {
            throw pageFault(va, access, userMode, true, false);
        }
        if (access == EXEC && noExec) {
            throw pageFault(va, access, userMode, true, false);
        }
    }

    private void setAccessed(long addr, long entry) {
        if ((entry & A) == 0) {
            physWrite(addr, 8, entry | A);
        }
    }

    private void setAccessed32(long addr, long entry) {
        if ((entry & A) == 0) {
            physWrite(addr, 4, entry | A);
        }
    }

    /** Builds the #PF exception and sets CR2 (SDM Vol. 3A §4.7 for the error code). */
    private CpuException pageFault(long va, int access, boolean userMode, boolean present, boolean rsvd) {
        int ec = (present ? 1 : 0) | (access == WRITE ? 2 : 0) | (userMode ? 4 : 0) | (rsvd ? 8 : 0);
        if (access == EXEC && (cpu.efer & Msrs.EFER_NXE) != 0) {
            ec |= 16;
        }
        cpu.cr2 = va;
        return cpu.fault(CpuException.PF, ec);
    }

    // --- TLB maintenance ---------------------------------------------------------------------------

    private void fillFromWalk(long va, long pa, boolean userMode, long combined, boolean noExec, boolean dirty,
                              boolean global, boolean large) {
        boolean rw = (combined & RW) != 0;
        boolean canWrite = dirty && (rw || (!userMode && (cpu.cr0 & (1L << 16)) == 0));
        if (userMode && (combined & US) == 0) {
            return;
        }
        fillEntry(va, pa, canWrite, !noExec, global, large);
    }

    private void fillEntry(long va, long pa, boolean canWrite, boolean canExec, boolean global, boolean large) {
        long off = hostOffset(pa & ~0xfffL);
        if (off < 0) {
            return; // MMIO: always the slow path
        }
        if (watches.length != 0 && watchedPage(va)) {
            return; // every access to a watched page takes the slow path, which checks the ranges
        }
        long page = va & ~0xfffL;
        int i = (int) (va >>> 12) & TLB_MASK;
        TlbSet s = current;
        if ((s.flags[i] & F_LISTED) == 0) {
            s.filled[s.filledCount++] = i;
        }
        s.readTag[i] = page;
        s.writeTag[i] = canWrite && codePages[(int) (off >>> 12)] == 0 ? page : INVALID;
        if (s.writeTag[i] != INVALID) {
            // Another vCPU may be translating code on this page right now: it sets the code flag,
            // fences, then clears write entries (CodeCache.addToPage). Fencing here and looking at
            // the flag again means one of the two sees the other, so no write entry survives.
            java.lang.invoke.VarHandle.fullFence();
            if (codePages[(int) (off >>> 12)] != 0) {
                s.writeTag[i] = INVALID;
            }
        }
        s.execTag[i] = canExec ? page : INVALID;
        s.addend[i] = off - page;
        s.flags[i] = (byte) ((global ? F_GLOBAL : 0) | (large ? F_LARGE : 0) | F_LISTED);
        if (large) {
            largeEntries = true;
        }
    }

    /** Drops every entry, or every non-global one (CR3 writes with CR4.PGE set). */
    void flush(boolean keepGlobal) {
        flushSet(supervisor, keepGlobal);
        flushSet(user, keepGlobal);
        if (!keepGlobal) {
            largeEntries = false;
        }
    }

    private static void flushSet(TlbSet s, boolean keepGlobal) {
        int kept = 0;
        for (int k = 0; k < s.filledCount; k++) {
            int i = s.filled[k];
            if (keepGlobal && (s.flags[i] & F_GLOBAL) != 0 && s.readTag[i] != INVALID) {
                s.filled[kept++] = i;
                continue;
            }
            s.readTag[i] = INVALID;
            s.writeTag[i] = INVALID;
            s.execTag[i] = INVALID;
            s.flags[i] = 0; // also drops F_LISTED: the index leaves the list
        }
        s.filledCount = kept;
    }

    /** INVLPG: drops the translation of one page (and any large-page entries covering it). */
    void flushPage(long va) {
        long page = va & ~0xfffL;
        int i = (int) (va >>> 12) & TLB_MASK;
        for (TlbSet s : sets) {
            if (s.readTag[i] == page || s.execTag[i] == page) {
                s.readTag[i] = INVALID;
                s.writeTag[i] = INVALID;
                s.execTag[i] = INVALID;
            }
        }
        if (largeEntries) {
            long region = va & ~0x3f_ffffL; // covers 2 MiB and 4 MiB pages
            for (TlbSet s : sets) {
                for (int k = 0; k < s.filledCount; k++) {
                    int j = s.filled[k];
                    if ((s.flags[j] & F_LARGE) != 0 && (s.readTag[j] & ~0x3f_ffffL) == region) {
                        s.readTag[j] = INVALID;
                        s.writeTag[j] = INVALID;
                        s.execTag[j] = INVALID;
                    }
                }
            }
        }
    }

    /** A page now holds translated code: its write entries must go so stores reach the slow path. */
    void protectCodePage(long hostOffset) {
        long hostPage = hostOffset & ~0xfffL;
        for (TlbSet s : sets) {
            for (int k = 0; k < s.filledCount; k++) {
                int j = s.filled[k];
                if (s.writeTag[j] != INVALID && ((s.writeTag[j] + s.addend[j]) & ~0xfffL) == hostPage) {
                    s.writeTag[j] = INVALID;
                }
            }
        }
    }

    List<MemoryRegion> regions() {
        return List.of(regions);
    }
}
