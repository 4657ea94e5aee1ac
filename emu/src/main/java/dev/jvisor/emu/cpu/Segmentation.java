package dev.jvisor.emu.cpu;

/**
 * Segment-register loads and descriptor-table access (SDM Vol. 3A ch. 3 and ch. 5), shared by MOV
 * to Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS, far JMP/CALL/RET, IRET and interrupt delivery.
 */
final class Segmentation {
    /** Descriptor type bits within {@link SegmentRegister#attr}. */
    static final int TYPE_CODE = 8, TYPE_CONFORMING = 4, TYPE_READABLE = 2, TYPE_WRITABLE = 2;

    private Segmentation() {
    }

    /** The linear address of the 8-byte descriptor for {@code selector}, or #GP(selector) if outside its table. */
    static long descriptorAddress(Cpu c, int selector, int errorVector) {
        int idx = selector & ~7;
        if ((selector & 4) != 0) {
            if (c.ldtr.unusable() || idx + 7 > c.ldtr.limit) {
                throw c.fault(errorVector, selector & 0xfffc);
            }
            return c.ldtr.base + idx;
        }
        if (idx + 7 > c.gdtrLimit) {
            throw c.fault(errorVector, selector & 0xfffc);
        }
        return c.gdtrBase + idx;
    }

    static long readDescriptor(Cpu c, int selector) {
        return c.mmu.readSystem(descriptorAddress(c, selector, CpuException.GP), 8);
    }

    /** Sets the accessed bit of a code/data descriptor in memory, as the CPU does on a load. */
    static void setAccessed(Cpu c, int selector, long desc) {
        if ((desc & (1L << 40)) == 0) {
            long addr = descriptorAddress(c, selector, CpuException.GP);
            c.mmu.writeSystem(addr + 5, 1, (desc >>> 40) | 1);
        }
    }

    /**
     * Loads a data segment register (ES, SS, DS, FS, GS) with {@code selector}, with all the
     * protected-mode checks of SDM Vol. 2 "MOV—Move to Segment Register".
     */
    static void loadData(Cpu c, int sreg, int selector) {
        selector &= 0xffff;
        SegmentRegister s = c.seg[sreg];
        if (!c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0) {
            s.setReal(selector);
            if (!c.protectedMode()) {
                // Real mode keeps the cached attributes and limit (which makes "unreal mode" work).
                s.attr &= ~SegmentRegister.UNUSABLE;
                s.attr |= SegmentRegister.P | SegmentRegister.S;
            } else {
                s.set(selector, (long) selector << 4, 0xffff, 0xf3);
            }
            refresh(c, sreg);
            return;
        }
        int rpl = selector & 3;
        if ((selector & ~3) == 0) {
            if (sreg == Cpu.SS && !(c.mode64() && c.cpl != 3 && rpl == c.cpl)) {
                throw c.gp0();
            }
            // Null selector: usable only as "unusable"; the base of FS/GS stays (SDM §3.4.4).
            s.selector = selector;
            s.attr = SegmentRegister.UNUSABLE | (rpl << 5);
            if (sreg != Cpu.FS && sreg != Cpu.GS) {
                s.base = 0;
            }
            refresh(c, sreg);
            return;
        }
        long desc = readDescriptor(c, selector);
        int type = (int) ((desc >>> 40) & 0xf);
        boolean system = (desc & (1L << 44)) == 0;
        int dpl = (int) ((desc >>> 45) & 3);
        boolean present = (desc & (1L << 47)) != 0;
        boolean code = (type & TYPE_CODE) != 0;
        if (sreg == Cpu.SS) {
            if (system || code || (type & TYPE_WRITABLE) == 0 || rpl != c.cpl || dpl != c.cpl) {
                throw c.fault(CpuException.GP, selector & 0xfffc);
            }
            if (!present) {
                throw c.fault(CpuException.SS, selector & 0xfffc);
            }
        } else {
            if (system || (code && (type & TYPE_READABLE) == 0)) {
                throw c.fault(CpuException.GP, selector & 0xfffc);
            }
            boolean conforming = code && (type & TYPE_CONFORMING) != 0;
            if (!conforming && (rpl > dpl || c.cpl > dpl)) {
                throw c.fault(CpuException.GP, selector & 0xfffc);
            }
            if (!present) {
                throw c.fault(CpuException.NP, selector & 0xfffc);
            }
        }
        setAccessed(c, selector, desc);
        s.loadDescriptor(selector, desc | (1L << 40), 0);
        refresh(c, sreg);
    }

    /** Recomputes derived state after segment {@code sreg} changed. */
    static void refresh(Cpu c, int sreg) {
        if (sreg == Cpu.CS || sreg == Cpu.SS) {
            c.updateMode();
        } else if (sreg == Cpu.FS || sreg == Cpu.GS || !c.mode64()) {
            c.segBase[sreg] = c.seg[sreg].base;
        }
    }

    /**
     * Loads CS for a far JMP/CALL/RET or interrupt return to a code segment (no call gates or task
     * switches: Linux and the boot paths never use them; they raise #GP).
     *
     * @param newCpl the privilege level the CPU runs at afterwards
     */
    static void loadCode(Cpu c, int selector, long desc, int newCpl) {
        int type = (int) ((desc >>> 40) & 0xf);
        if ((desc & (1L << 44)) == 0 || (type & TYPE_CODE) == 0) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        if ((desc & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, selector & 0xfffc);
        }
        setAccessed(c, selector, desc);
        c.seg[Cpu.CS].loadDescriptor((selector & ~3) | newCpl, desc | (1L << 40), 0);
        c.setCpl(newCpl);
        c.updateMode();
    }

    /**
     * Far JMP/CALL target check for a code-segment selector (SDM Vol. 2 "JMP": far jumps in
     * protected mode). Returns the descriptor; the CPL stays the same.
     */
    static long checkFarTarget(Cpu c, int selector) {
        if ((selector & ~3) == 0) {
            throw c.gp0();
        }
        long desc = readDescriptor(c, selector);
        int type = (int) ((desc >>> 40) & 0xf);
        if ((desc & (1L << 44)) == 0) {
            // System descriptor: call gates and TSS/task gates are not supported by this emulator.
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        int dpl = (int) ((desc >>> 45) & 3);
        int rpl = selector & 3;
        if ((type & TYPE_CODE) == 0) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        if ((type & TYPE_CONFORMING) != 0) {
            if (dpl > c.cpl) throw c.fault(CpuException.GP, selector & 0xfffc);
        } else if (rpl > c.cpl || dpl != c.cpl) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        return desc;
    }

    /** Far jump to selector:offset (real or protected mode). */
    static void farJump(Cpu c, int selector, long offset) {
        if (!c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0) {
            c.seg[Cpu.CS].setReal(selector);
            c.updateMode();
            c.rip = offset & 0xffff_ffffL;
            return;
        }
        long desc = checkFarTarget(c, selector);
        checkFarOffset(c, desc, offset);
        loadCode(c, selector, desc, c.cpl);
        c.rip = c.mode64() ? offset : offset & 0xffff_ffffL;
    }

    /**
     * #GP(0) before anything changes when a far transfer into 64-bit code (a present code segment
     * with L set, in long mode) has a non-canonical offset; other descriptors fault in
     * {@link #loadCode}.
     */
    static void checkFarOffset(Cpu c, long desc, long offset) {
        boolean code = (desc & (1L << 44)) != 0 && ((desc >>> 40) & TYPE_CODE) != 0;
        if (c.longMode() && code && (desc & (1L << 47)) != 0 && (desc & (1L << 53)) != 0) {
            Branch.checkTarget(c, offset);
        }
    }

    /**
     * Far return (RETF) popping offset and selector of {@code size} bytes each, then {@code release}
     * bytes. Supports returns to the same or an outer privilege level (then SS:RSP are popped too).
     */
    static void farReturn(Cpu c, int size, long release) {
        long oldSp = c.r[4];
        try {
            long offset = c.pop(size);
            int selector = (int) (c.pop(size) & 0xffff);
            if (!c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0) {
                c.seg[Cpu.CS].setReal(selector);
                c.updateMode();
                c.rip = offset & Insn.mask(size);
                c.setRsp(c.rsp() + release);
                return;
            }
            int rpl = selector & 3;
            if (rpl < c.cpl || (selector & ~3) == 0) {
                throw c.fault(CpuException.GP, selector & 0xfffc);
            }
            long desc = readDescriptor(c, selector);
            checkFarOffset(c, desc, offset);
            if (rpl == c.cpl) {
                loadCode(c, selector, desc, c.cpl);
                c.setRsp(c.rsp() + release);
            } else {
                c.setRsp(c.rsp() + release);
                long newSp = c.pop(size);
                int newSs = (int) (c.pop(size) & 0xffff);
                loadCode(c, selector, desc, rpl);
                loadData(c, Cpu.SS, newSs);
                c.setRsp(newSp + release);
                nullifyOuterSegments(c);
            }
            c.rip = c.mode64() ? offset : offset & Insn.mask(size);
        } catch (CpuException e) {
            c.r[4] = oldSp;
            throw e;
        }
    }

    /**
     * After a return to an outer privilege level, data segment registers whose DPL is below the new
     * CPL are made null (SDM Vol. 2 "IRET"/"RET"). Unusable ones are left alone, keeping FS/GS bases.
     */
    static void nullifyOuterSegments(Cpu c) {
        for (int s : new int[]{Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
            SegmentRegister r = c.seg[s];
            if (r.unusable()) {
                continue;
            }
            boolean conformingCode = (r.type() & (TYPE_CODE | TYPE_CONFORMING)) == (TYPE_CODE | TYPE_CONFORMING);
            if (!conformingCode && r.dpl() < c.cpl) {
                r.selector = 0;
                r.attr |= SegmentRegister.UNUSABLE;
            }
        }
    }

    /** Loads the task register (LTR): the selector must name an available TSS in the GDT. */
    static void loadTaskRegister(Cpu c, int selector) {
        if ((selector & ~3) == 0 || (selector & 4) != 0) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        long addr = descriptorAddress(c, selector, CpuException.GP);
        long desc = c.mmu.readSystem(addr, 8);
        int type = (int) ((desc >>> 40) & 0x1f);
        if (type != 0x09 && type != 0x01) { // available 64/32-bit TSS or available 16-bit TSS
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        if ((desc & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, selector & 0xfffc);
        }
        long upper = c.longMode() ? c.mmu.readSystem(addr + 8, 4) : 0;
        c.tr.loadDescriptor(selector, desc, upper);
        // Mark busy in memory and in the cache.
        c.mmu.writeSystem(addr + 5, 1, (desc >>> 40) | 2);
        c.tr.attr |= 2;
    }

    /** Loads LDTR (LLDT): a null selector makes it unusable. */
    static void loadLdt(Cpu c, int selector) {
        if ((selector & ~3) == 0) {
            c.ldtr.set(0, 0, 0, SegmentRegister.UNUSABLE);
            return;
        }
        if ((selector & 4) != 0) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        long addr = descriptorAddress(c, selector, CpuException.GP);
        long desc = c.mmu.readSystem(addr, 8);
        if (((desc >>> 40) & 0x1f) != 0x02) {
            throw c.fault(CpuException.GP, selector & 0xfffc);
        }
        if ((desc & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, selector & 0xfffc);
        }
        long upper = c.longMode() ? c.mmu.readSystem(addr + 8, 4) : 0;
        c.ldtr.loadDescriptor(selector, desc, upper);
    }

    /**
     * The descriptor for LAR/LSL/VERR/VERW, or -1 when the selector is not accessible at the current
     * privilege (those instructions then clear ZF instead of faulting).
     */
    static long probeDescriptor(Cpu c, int selector) {
        if ((selector & ~3) == 0) {
            return -1;
        }
        int idx = selector & ~7;
        long limit = (selector & 4) != 0 ? (c.ldtr.unusable() ? -1 : c.ldtr.limit) : c.gdtrLimit;
        if (idx + 7 > limit) {
            return -1;
        }
        long desc = readDescriptor(c, selector);
        int dpl = (int) ((desc >>> 45) & 3);
        int type = (int) ((desc >>> 40) & 0x1f);
        boolean conformingCode = (type & 0x1c) == 0x1c;
        if (!conformingCode && (c.cpl > dpl || (selector & 3) > dpl)) {
            return -1;
        }
        return desc;
    }
}
