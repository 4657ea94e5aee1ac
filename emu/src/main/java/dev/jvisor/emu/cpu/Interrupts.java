package dev.jvisor.emu.cpu;

/**
 * Exception and interrupt delivery through the IVT/IDT and the return path (IRET), SDM Vol. 3A
 * ch. 6 ("Interrupt and Exception Handling"), §6.12 (protected mode), §6.14 (64-bit mode, IST),
 * §6.15 (double-fault conditions, Table 6-5) and Vol. 3B §20.1.4 (real mode).
 */
final class Interrupts {
    /** How the event arose; decides privilege checks, the EXT bit of error codes and RIP. */
    static final int EXTERNAL = 0, SOFTWARE = 1, EXCEPTION = 2;

    /** Thrown when delivery fails with a double fault already in progress. */
    static final class TripleFault extends RuntimeException {
        final int vector;

        TripleFault(int vector) {
            super("triple fault while delivering vector " + vector, null, false, false);
            this.vector = vector;
        }
    }

    private Interrupts() {
    }

    private static boolean contributory(int v) {
        return v == CpuException.DE || (v >= CpuException.TS && v <= CpuException.GP);
    }

    /**
     * Delivers an exception raised by the instruction at {@code c.rip}, escalating to #DF or a
     * triple fault per Table 6-5 when delivery itself faults.
     */
    static void deliverException(Cpu c, int vector, boolean hasError, int error) {
        long rip = c.rip;
        if (c.tracer != null) {
            c.tracer.exception(c, vector, hasError ? error : -1, rip, c.cr2);
        }
        try {
            deliver(c, vector, EXCEPTION, hasError, error, rip);
        } catch (CpuException second) {
            int v2 = second.vector;
            boolean hasErr2 = second.hasErrorCode;
            int err2 = second.errorCode;
            if (vector == CpuException.DF) {
                throw new TripleFault(v2);
            }
            boolean escalate = (vector == CpuException.PF && (v2 == CpuException.PF || contributory(v2)))
                    || (contributory(vector) && contributory(v2));
            try {
                if (escalate) {
                    deliver(c, CpuException.DF, EXCEPTION, true, 0, rip);
                } else {
                    deliver(c, v2, EXCEPTION, hasErr2, err2, rip);
                }
            } catch (CpuException third) {
                if (escalate) {
                    throw new TripleFault(third.vector);
                }
                // The second (benign) exception's own delivery failed: that is a double fault.
                try {
                    deliver(c, CpuException.DF, EXCEPTION, true, 0, rip);
                } catch (CpuException fourth) {
                    throw new TripleFault(fourth.vector);
                }
            }
        }
    }

    /** Delivers an external (maskable or NMI) interrupt before the instruction at {@code c.rip}. */
    static void deliverExternal(Cpu c, int vector) {
        try {
            deliver(c, vector, EXTERNAL, false, 0, c.rip);
        } catch (CpuException e) {
            deliverException(c, e.vector, e.hasErrorCode, e.errorCode);
        }
    }

    /**
     * Delivers vector {@code vector}; {@code returnRip} is pushed (the faulting instruction for
     * faults, the next one for traps and software interrupts).
     */
    static void deliver(Cpu c, int vector, int kind, boolean hasError, int error, long returnRip) {
        int ext = kind == EXTERNAL ? 1 : 0;
        if (!c.protectedMode()) {
            deliverReal(c, vector, returnRip);
        } else if (c.longMode()) {
            deliverLong(c, vector, kind, hasError, error, returnRip, ext);
        } else {
            deliverProtected(c, vector, kind, hasError, error, returnRip, ext);
        }
    }

    private static void deliverReal(Cpu c, int vector, long returnRip) {
        if (vector * 4L + 3 > c.idtrLimit) {
            throw c.fault(CpuException.GP, 0);
        }
        long entry = c.mmu.read32(c.idtrBase + vector * 4L);
        c.push(2, c.rflags());
        c.push(2, c.seg[Cpu.CS].selector);
        c.push(2, returnRip);
        c.rflagsRest &= ~(Cpu.IF | Cpu.TF | Cpu.AC);
        c.seg[Cpu.CS].setReal((int) (entry >>> 16));
        c.updateMode();
        c.rip = entry & 0xffff;
    }

    private static void deliverLong(Cpu c, int vector, int kind, boolean hasError, int error, long returnRip,
                                    int ext) {
        int idtErr = vector * 8 + 2 + ext;
        if (vector * 16L + 15 > c.idtrLimit) {
            throw c.fault(CpuException.GP, idtErr);
        }
        long lo = c.mmu.readSystem(c.idtrBase + vector * 16L, 8);
        long hi = c.mmu.readSystem(c.idtrBase + vector * 16L + 8, 8);
        int type = (int) ((lo >>> 40) & 0x1f);
        int gateDpl = (int) ((lo >>> 45) & 3);
        if (type != 0x0e && type != 0x0f) {
            throw c.fault(CpuException.GP, idtErr);
        }
        if (kind == SOFTWARE && gateDpl < c.cpl) {
            throw c.fault(CpuException.GP, idtErr);
        }
        if ((lo & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, idtErr);
        }
        int selector = (int) ((lo >>> 16) & 0xffff);
        long offset = (lo & 0xffff) | (((lo >>> 48) & 0xffff) << 16) | ((hi & 0xffff_ffffL) << 32);
        int ist = (int) ((lo >>> 32) & 7);
        if ((selector & ~3) == 0) {
            throw c.fault(CpuException.GP, ext);
        }
        long csDesc = Segmentation.readDescriptor(c, selector);
        int csType = (int) ((csDesc >>> 40) & 0xf);
        int csDpl = (int) ((csDesc >>> 45) & 3);
        if ((csDesc & (1L << 44)) == 0 || (csType & Segmentation.TYPE_CODE) == 0
                || (csDesc & (1L << 53)) == 0 || csDpl > c.cpl) {
            throw c.fault(CpuException.GP, (selector & 0xfffc) + ext);
        }
        if ((csDesc & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, (selector & 0xfffc) + ext);
        }
        if (Branch.nonCanonical(offset)) {
            throw c.fault(CpuException.GP, ext); // before anything is pushed (SDM Vol. 2 "INT n", IA-32e mode)
        }
        int newCpl = (csType & Segmentation.TYPE_CONFORMING) != 0 ? c.cpl : csDpl;
        int oldCpl = c.cpl;
        long oldSs = c.seg[Cpu.SS].selector;
        long oldRsp = c.r[4];
        long oldFlags = c.rflags();
        long oldCs = c.seg[Cpu.CS].selector;
        long rsp = oldRsp;
        if (newCpl < oldCpl) {
            rsp = c.mmu.readSystem(c.tr.base + 4 + newCpl * 8L, 8);
        }
        if (ist != 0) {
            rsp = c.mmu.readSystem(c.tr.base + 0x24 + (ist - 1) * 8L, 8);
        }
        rsp &= ~0xfL;
        // Push the frame with the new privilege level's access rights; undo on a fault.
        c.setCpl(newCpl);
        try {
            c.mmu.write64(rsp - 8, oldSs);
            c.mmu.write64(rsp - 16, oldRsp);
            c.mmu.write64(rsp - 24, oldFlags);
            c.mmu.write64(rsp - 32, oldCs);
            c.mmu.write64(rsp - 40, returnRip);
            rsp -= 40;
            if (hasError) {
                c.mmu.write64(rsp - 8, error & 0xffff_ffffL);
                rsp -= 8;
            }
        } catch (CpuException e) {
            c.setCpl(oldCpl);
            throw e;
        }
        if (newCpl < oldCpl) {
            // 64-bit mode loads SS with a null selector whose RPL is the new CPL (§6.14.4).
            c.seg[Cpu.SS].set(newCpl, 0, 0, SegmentRegister.UNUSABLE | (newCpl << 5));
        }
        Segmentation.setAccessed(c, selector, csDesc);
        c.seg[Cpu.CS].loadDescriptor((selector & ~3) | newCpl, csDesc | (1L << 40), 0);
        c.r[4] = rsp;
        clearFlagsOnEntry(c, type == 0x0e);
        c.updateMode();
        c.rip = offset;
    }

    private static void deliverProtected(Cpu c, int vector, int kind, boolean hasError, int error, long returnRip,
                                         int ext) {
        int idtErr = vector * 8 + 2 + ext;
        if (vector * 8L + 7 > c.idtrLimit) {
            throw c.fault(CpuException.GP, idtErr);
        }
        long gate = c.mmu.readSystem(c.idtrBase + vector * 8L, 8);
        int type = (int) ((gate >>> 40) & 0x1f);
        int gateDpl = (int) ((gate >>> 45) & 3);
        boolean is32 = type == 0x0e || type == 0x0f;
        boolean is16 = type == 0x06 || type == 0x07;
        if (!is32 && !is16) {
            // Task gates (type 5) are not supported: no task switching in this emulator.
            throw c.fault(CpuException.GP, idtErr);
        }
        if (kind == SOFTWARE && gateDpl < c.cpl) {
            throw c.fault(CpuException.GP, idtErr);
        }
        if ((gate & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, idtErr);
        }
        int selector = (int) ((gate >>> 16) & 0xffff);
        long offset = (gate & 0xffff) | (is32 ? ((gate >>> 48) & 0xffff) << 16 : 0);
        if ((selector & ~3) == 0) {
            throw c.fault(CpuException.GP, ext);
        }
        long csDesc = Segmentation.readDescriptor(c, selector);
        int csType = (int) ((csDesc >>> 40) & 0xf);
        int csDpl = (int) ((csDesc >>> 45) & 3);
        if ((csDesc & (1L << 44)) == 0 || (csType & Segmentation.TYPE_CODE) == 0 || csDpl > c.cpl) {
            throw c.fault(CpuException.GP, (selector & 0xfffc) + ext);
        }
        if ((csDesc & (1L << 47)) == 0) {
            throw c.fault(CpuException.NP, (selector & 0xfffc) + ext);
        }
        int newCpl = (csType & Segmentation.TYPE_CONFORMING) != 0 ? c.cpl : csDpl;
        int size = is32 ? 4 : 2;
        long oldFlags = c.rflags();
        int oldCs = c.seg[Cpu.CS].selector;
        int oldCpl = c.cpl;
        if (newCpl < oldCpl) {
            // Inner-privilege stack from the 32-bit TSS: ESPn at 4+8n, SSn at 8+8n.
            long newEsp = c.mmu.readSystem(c.tr.base + 4 + newCpl * 8L, 4);
            int newSs = (int) c.mmu.readSystem(c.tr.base + 8 + newCpl * 8L, 2);
            int oldSs = c.seg[Cpu.SS].selector;
            long oldEsp = c.r[4] & c.stackMask;
            c.setCpl(newCpl);
            try {
                Segmentation.loadData(c, Cpu.SS, newSs);
            } catch (CpuException e) {
                c.setCpl(oldCpl);
                throw c.fault(CpuException.TS, newSs & 0xfffc);
            }
            c.setRsp(newEsp);
            c.push(size, oldSs);
            c.push(size, oldEsp);
        }
        c.push(size, oldFlags);
        c.push(size, oldCs);
        c.push(size, returnRip);
        if (hasError) {
            c.push(size, error);
        }
        Segmentation.setAccessed(c, selector, csDesc);
        c.seg[Cpu.CS].loadDescriptor((selector & ~3) | newCpl, csDesc | (1L << 40), 0);
        c.setCpl(newCpl);
        clearFlagsOnEntry(c, type == 0x0e || type == 0x06);
        c.updateMode();
        c.rip = offset;
    }

    private static void clearFlagsOnEntry(Cpu c, boolean interruptGate) {
        c.rflagsRest &= ~(Cpu.TF | Cpu.NT | Cpu.RF | Cpu.VM);
        if (interruptGate) {
            c.rflagsRest &= ~Cpu.IF;
        }
    }

    /** IRET/IRETD/IRETQ with operand size {@code size} (SDM Vol. 2 "IRET/IRETD/IRETQ"). */
    static void iret(Cpu c, int size) {
        if (!c.protectedMode()) {
            long ip = c.pop(size);
            int cs = (int) c.pop(size);
            long flags = c.pop(size);
            c.seg[Cpu.CS].setReal(cs & 0xffff);
            c.updateMode();
            c.setRflags(Stack.mergeFlags(c, c.rflags(), flags, size) | (c.rflags() & Cpu.VM));
            c.rip = ip & Insn.mask(size);
            return;
        }
        if ((c.rflagsRest & Cpu.NT) != 0 && !c.longMode()) {
            throw c.gp0(); // task return: no task switching
        }
        long oldSp = c.r[4];
        int oldCpl = c.cpl;
        long oldFlags = c.rflags();
        SegmentRegister cs0 = c.seg[Cpu.CS], ss0 = c.seg[Cpu.SS];
        int csSel = cs0.selector, ssSel = ss0.selector, csAttr = cs0.attr, ssAttr = ss0.attr;
        long csBase = cs0.base, ssBase = ss0.base, csLimit = cs0.limit, ssLimit = ss0.limit;
        try {
            long newRip = c.pop(size);
            int cs = (int) (c.pop(size) & 0xffff);
            long flags = c.pop(size);
            int rpl = cs & 3;
            if ((cs & ~3) == 0 || rpl < c.cpl) {
                throw c.fault(CpuException.GP, cs & 0xfffc);
            }
            long desc = Segmentation.readDescriptor(c, cs);
            int type = (int) ((desc >>> 40) & 0xf);
            int dpl = (int) ((desc >>> 45) & 3);
            if ((desc & (1L << 44)) == 0 || (type & Segmentation.TYPE_CODE) == 0) {
                throw c.fault(CpuException.GP, cs & 0xfffc);
            }
            if ((type & Segmentation.TYPE_CONFORMING) != 0 ? dpl > rpl : dpl != rpl) {
                throw c.fault(CpuException.GP, cs & 0xfffc);
            }
            boolean popStack = c.longMode() && c.mode64() || rpl > c.cpl;
            long newSp = 0;
            int newSs = 0;
            if (popStack) {
                newSp = c.pop(size);
                newSs = (int) (c.pop(size) & 0xffff);
            }
            long merged = Stack.mergeFlags(c, c.rflags(), flags, size);
            if (c.cpl == 0 && size == 4 && !c.longMode()) {
                merged = (merged & ~(Cpu.VM | Cpu.VIF | Cpu.VIP)) | (flags & (Cpu.VIF | Cpu.VIP));
            }
            merged = (merged & ~Cpu.RF) | (flags & Cpu.RF);
            Segmentation.loadCode(c, cs, desc, rpl);
            c.setRflags(merged);
            if (popStack) {
                if (rpl != oldCpl || (newSs & ~3) != 0 || !c.mode64()) {
                    Segmentation.loadData(c, Cpu.SS, newSs);
                } else {
                    c.seg[Cpu.SS].set(newSs, 0, 0, SegmentRegister.UNUSABLE | (rpl << 5));
                    c.updateMode();
                }
                if (c.mode64() || size == 8) {
                    c.r[4] = newSp;
                } else {
                    c.setRsp(newSp);
                }
            }
            if (rpl > oldCpl) {
                Segmentation.nullifyOuterSegments(c);
            }
            if (c.mode64()) {
                Branch.checkTarget(c, newRip);
            }
            c.rip = c.mode64() ? newRip : newRip & Insn.mask(size);
        } catch (CpuException e) {
            // Nothing of a faulting IRET is visible: restore what it may have loaded.
            cs0.set(csSel, csBase, csLimit, csAttr);
            ss0.set(ssSel, ssBase, ssLimit, ssAttr);
            c.setRflags(oldFlags);
            c.setCpl(oldCpl);
            c.updateMode();
            c.r[4] = oldSp;
            throw e;
        }
    }
}
