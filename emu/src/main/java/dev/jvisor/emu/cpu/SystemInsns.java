package dev.jvisor.emu.cpu;

/**
 * System instructions (SDM Vol. 2 and Vol. 3A ch. 2.8, 5): control/debug register moves, descriptor
 * tables, task register, MSRs, SYSCALL/SYSRET, SWAPGS, HLT, CLI/STI, INVLPG, segment loads, far
 * transfers and IRET. All end their block, since they may change mode, privilege or translation.
 */
final class SystemInsns {
    static final int HLT = 0, CLI = 1, STI = 2, MOV_TO_CR = 3, MOV_FROM_CR = 4, MOV_TO_DR = 5, MOV_FROM_DR = 6,
            LGDT = 7, LIDT = 8, SGDT = 9, SIDT = 10, LLDT = 11, SLDT = 12, LTR = 13, STR = 14, LMSW = 15, SMSW = 16,
            INVLPG = 17, SWAPGS = 18, CLTS = 19, WBINVD = 20, RDMSR = 21, WRMSR = 22, SYSCALL = 23, SYSRET = 24,
            MOV_TO_SREG = 25, MOV_FROM_SREG = 26, POP_SREG = 27, PUSH_SREG = 28, LOAD_FAR_POINTER = 29,
            JMP_FAR = 30, CALL_FAR = 31, JMP_FAR_MEM = 32, CALL_FAR_MEM = 33, RETF = 34, IRET = 35, LAR = 36,
            LSL = 37, VERR = 38, VERW = 39, RDPMC = 40;

    private SystemInsns() {
    }

    static final class Sys extends Insn {
        /** Segment register operand (MOV/PUSH/POP Sreg, LxS) or CR/DR number. */
        int sreg;
        /** For far pointers in the instruction (EA/9A): the selector. */
        int farSelector;
        /** STI/MOV SS/POP SS that is the last instruction of its block: keep the interrupt shadow. */
        boolean shadowAtEnd;

        @Override
        boolean endsBlock() {
            return op != STI && op != CLI && op != PUSH_SREG && op != SMSW && op != SGDT && op != SIDT && op != SLDT
                    && op != STR && op != MOV_FROM_CR && op != MOV_FROM_DR && op != RDMSR && op != LAR && op != LSL
                    && op != VERR && op != VERW && op != MOV_FROM_SREG && !(op == MOV_TO_SREG && sreg != Cpu.SS)
                    && !(op == POP_SREG && sreg != Cpu.SS) && !(op == LOAD_FAR_POINTER && sreg != Cpu.SS);
        }

        private void cpl0(Cpu c) {
            if (c.cpl != 0 || (c.rflagsRest & Cpu.VM) != 0 && c.protectedMode()) {
                throw c.gp0();
            }
        }

        @Override
        void exec(Cpu c) {
            switch (op) {
                case HLT -> {
                    cpl0(c);
                    c.halted = true;
                }
                case CLI -> {
                    checkIopl(c);
                    c.rflagsRest &= ~Cpu.IF;
                }
                case STI -> {
                    checkIopl(c);
                    if ((c.rflagsRest & Cpu.IF) == 0 && shadowAtEnd) {
                        c.interruptShadow = true;
                    }
                    c.rflagsRest |= Cpu.IF;
                }
                case MOV_TO_CR -> {
                    cpl0(c);
                    long v = c.r[rm];
                    switch (sreg) {
                        case 0 -> ControlRegisters.writeCr0(c, v);
                        case 2 -> c.cr2 = v;
                        case 3 -> ControlRegisters.writeCr3(c, v);
                        case 4 -> ControlRegisters.writeCr4(c, v);
                        case 8 -> c.env.mmioWrite(apicPage(c) + 0x80, 4, (v & 0xf) << 4);
                        default -> throw c.ud();
                    }
                }
                case MOV_FROM_CR -> {
                    cpl0(c);
                    long v = switch (sreg) {
                        case 0 -> c.cr0;
                        case 2 -> c.cr2;
                        case 3 -> c.cr3;
                        case 4 -> c.cr4;
                        case 8 -> (c.env.mmioRead(apicPage(c) + 0x80, 4) >>> 4) & 0xf;
                        default -> throw c.ud();
                    };
                    c.r[rm] = c.mode64() ? v : v & 0xffff_ffffL;
                }
                case MOV_TO_DR -> {
                    cpl0(c);
                    int n = sreg == 4 ? 6 : sreg == 5 ? 7 : sreg;
                    if (n > 7) throw c.ud();
                    c.dr[n] = c.r[rm];
                }
                case MOV_FROM_DR -> {
                    cpl0(c);
                    int n = sreg == 4 ? 6 : sreg == 5 ? 7 : sreg;
                    if (n > 7) throw c.ud();
                    long v = c.dr[n];
                    if (n == 6) v |= 0xffff0ff0L;
                    if (n == 7) v |= 0x400;
                    c.r[rm] = v;
                }
                case LGDT, LIDT -> {
                    cpl0(c);
                    long addr = ea(c);
                    int limit = c.mmu.read16(addr);
                    long base = c.mode64() ? c.mmu.read64(addr + 2)
                            : c.mmu.read32(addr + 2) & (size == 2 ? 0xff_ffffL : 0xffff_ffffL);
                    if (op == LGDT) {
                        c.gdtrBase = base;
                        c.gdtrLimit = limit;
                    } else {
                        c.idtrBase = base;
                        c.idtrLimit = limit;
                    }
                }
                case SGDT, SIDT -> {
                    // UMIP is not advertised: SGDT/SIDT work at any CPL.
                    long addr = ea(c);
                    long base = op == SGDT ? c.gdtrBase : c.idtrBase;
                    int limit = op == SGDT ? c.gdtrLimit : c.idtrLimit;
                    c.mmu.probeWrite(addr, c.mode64() ? 10 : 6);
                    c.mmu.write16(addr, limit);
                    if (c.mode64()) {
                        c.mmu.write64(addr + 2, base);
                    } else {
                        c.mmu.write32(addr + 2, base);
                    }
                }
                case LLDT -> {
                    cpl0(c);
                    requireProtected(c);
                    Segmentation.loadLdt(c, (int) (readRm(c) & 0xffff));
                }
                case LTR -> {
                    cpl0(c);
                    requireProtected(c);
                    Segmentation.loadTaskRegister(c, (int) (readRm(c) & 0xffff));
                }
                case SLDT, STR -> {
                    requireProtected(c);
                    int sel = op == SLDT ? c.ldtr.selector : c.tr.selector;
                    if (rm >= 0) {
                        setReg(c, rm, false, size, sel);
                    } else {
                        c.mmu.write16(ea(c), sel);
                    }
                }
                case LMSW -> {
                    cpl0(c);
                    long v = readRm(c) & 0xf;
                    // LMSW can set PE but never clear it.
                    long cr0 = (c.cr0 & ~0xeL) | v | (c.cr0 & 1);
                    ControlRegisters.writeCr0(c, cr0);
                }
                case SMSW -> {
                    if (rm >= 0) {
                        setReg(c, rm, false, size, c.cr0);
                    } else {
                        c.mmu.write16(ea(c), c.cr0);
                    }
                }
                case INVLPG -> {
                    cpl0(c);
                    c.mmu.flushPage(ea(c));
                }
                case SWAPGS -> {
                    cpl0(c);
                    long t = c.seg[Cpu.GS].base;
                    c.seg[Cpu.GS].base = c.msrs.kernelGsBase;
                    c.segBase[Cpu.GS] = c.msrs.kernelGsBase;
                    c.msrs.kernelGsBase = t;
                }
                case CLTS -> {
                    cpl0(c);
                    c.cr0 &= ~ControlRegisters.CR0_TS;
                }
                case WBINVD -> cpl0(c);
                case RDMSR -> {
                    cpl0(c);
                    long v = MsrAccess.read(c, (int) c.r[1]);
                    c.r[0] = v & 0xffff_ffffL;
                    c.r[2] = v >>> 32;
                }
                case WRMSR -> {
                    cpl0(c);
                    long v = (c.r[0] & 0xffff_ffffL) | (c.r[2] << 32);
                    MsrAccess.write(c, (int) c.r[1], v);
                }
                case SYSCALL -> syscall(c);
                case SYSRET -> sysret(c);
                case MOV_TO_SREG -> {
                    if (sreg == Cpu.CS) throw c.ud();
                    int sel = (int) ((rm >= 0 ? c.r[rm] : c.mmu.read16(ea(c))) & 0xffff);
                    Segmentation.loadData(c, sreg, sel);
                    if (sreg == Cpu.SS && shadowAtEnd) {
                        c.interruptShadow = true;
                    }
                }
                case MOV_FROM_SREG -> {
                    int sel = c.seg[sreg].selector;
                    if (rm >= 0) {
                        setReg(c, rm, false, size, sel);
                    } else {
                        c.mmu.write16(ea(c), sel);
                    }
                }
                case PUSH_SREG -> c.push(size, c.seg[sreg].selector);
                case POP_SREG -> {
                    long oldSp = c.r[4];
                    int sel = (int) (c.pop(size) & 0xffff);
                    try {
                        Segmentation.loadData(c, sreg, sel);
                    } catch (CpuException e) {
                        c.r[4] = oldSp;
                        throw e;
                    }
                    if (sreg == Cpu.SS && shadowAtEnd) {
                        c.interruptShadow = true;
                    }
                }
                case LOAD_FAR_POINTER -> {
                    long addr = ea(c);
                    long off = c.mmu.read(addr, size);
                    int sel = c.mmu.read16(addr + size);
                    Segmentation.loadData(c, sreg, sel);
                    writeReg(c, off);
                }
                case JMP_FAR -> Segmentation.farJump(c, farSelector, imm);
                case CALL_FAR -> farCall(c, farSelector, imm);
                case JMP_FAR_MEM, CALL_FAR_MEM -> {
                    long addr = ea(c);
                    long off = c.mmu.read(addr, size);
                    int sel = c.mmu.read16(addr + size);
                    if (op == JMP_FAR_MEM) {
                        Segmentation.farJump(c, sel, off);
                    } else {
                        farCall(c, sel, off);
                    }
                }
                case RETF -> Segmentation.farReturn(c, size, imm);
                case IRET -> Interrupts.iret(c, size);
                case LAR, LSL -> {
                    requireProtected(c);
                    int sel = (int) (readRm(c) & 0xffff);
                    long desc = Segmentation.probeDescriptor(c, sel);
                    long f = Flags.status(c) & ~Cpu.ZF;
                    int type = desc == -1 ? 0 : (int) ((desc >>> 40) & 0x1f);
                    boolean ok = desc != -1 && validForLarLsl(type, op == LSL, c.longMode());
                    if (!ok) {
                        Flags.eager(c, f);
                        return;
                    }
                    long v;
                    if (op == LAR) {
                        v = desc & 0x00f0_ff00_0000_0000L;
                        v >>>= 32;
                    } else {
                        long limit = (desc & 0xffff) | ((desc >>> 32) & 0xf0000);
                        if ((desc & (1L << 55)) != 0) {
                            limit = (limit << 12) | 0xfff;
                        }
                        v = limit;
                    }
                    writeReg(c, v);
                    Flags.eager(c, f | Cpu.ZF);
                }
                case VERR, VERW -> {
                    requireProtected(c);
                    int sel = (int) (readRm(c) & 0xffff);
                    long desc = Segmentation.probeDescriptor(c, sel);
                    long f = Flags.status(c) & ~Cpu.ZF;
                    boolean ok = false;
                    if (desc != -1 && (desc & (1L << 44)) != 0) {
                        int type = (int) ((desc >>> 40) & 0xf);
                        boolean code = (type & 8) != 0;
                        ok = op == VERR ? (!code || (type & 2) != 0) : (!code && (type & 2) != 0);
                    }
                    Flags.eager(c, ok ? f | Cpu.ZF : f);
                }
                case RDPMC -> throw c.gp0();
                default -> throw new IllegalStateException("system op " + op);
            }
        }

        private static boolean validForLarLsl(int type, boolean lsl, boolean longMode) {
            if ((type & 0x10) != 0) {
                return true; // code or data
            }
            return switch (type) {
                case 0x2, 0x9, 0xb -> true; // LDT, available/busy TSS
                case 0x1, 0x3 -> !longMode; // 16-bit TSS
                case 0xc -> !lsl; // call gate: LAR only
                case 0x4, 0x5 -> !lsl && !longMode;
                default -> false;
            };
        }

        private void checkIopl(Cpu c) {
            if (c.protectedMode() && c.cpl > ((c.rflagsRest >> 12) & 3)) {
                throw c.gp0();
            }
        }

        private static void requireProtected(Cpu c) {
            if (!c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0) {
                throw c.ud();
            }
        }

        private static long apicPage(Cpu c) {
            return c.env.readMsr(Msrs.IA32_APIC_BASE) & ~0xfffL & ((1L << Mmu.MAXPHYADDR) - 1);
        }

        private void farCall(Cpu c, int selector, long offset) {
            int oldCs = c.seg[Cpu.CS].selector;
            long ret = rip + length;
            long oldSp = c.r[4];
            try {
                c.push(size, oldCs);
                c.push(size, ret);
                if (!c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0) {
                    c.seg[Cpu.CS].setReal(selector);
                    c.updateMode();
                    c.rip = offset & mask(size);
                    return;
                }
                long desc = Segmentation.checkFarTarget(c, selector);
                Segmentation.checkFarOffset(c, desc, offset);
                Segmentation.loadCode(c, selector, desc, c.cpl);
                c.rip = c.mode64() ? offset : offset & mask(size);
            } catch (CpuException e) {
                c.r[4] = oldSp;
                throw e;
            }
        }

        /** SYSCALL (SDM Vol. 2; AMD APM Vol. 2 §6.1.1). */
        private void syscall(Cpu c) {
            if ((c.efer & Msrs.EFER_SCE) == 0) {
                throw c.ud();
            }
            if (!c.longMode()) {
                throw c.ud(); // legacy-mode SYSCALL is not supported (Linux uses it only in long mode)
            }
            long next = rip + length;
            int sel = (int) ((c.msrs.star >>> 32) & 0xffff);
            c.r[1] = next;
            c.r[11] = c.rflags() & ~Cpu.RF;
            long flags = c.rflags() & ~c.msrs.sfmask & ~Cpu.RF;
            c.setRflags(flags);
            c.seg[Cpu.CS].set(sel & 0xfffc, 0, 0xffff_ffffL,
                    0xb | SegmentRegister.S | SegmentRegister.P | SegmentRegister.L | SegmentRegister.G);
            c.seg[Cpu.SS].set((sel + 8) & 0xfffc, 0, 0xffff_ffffL,
                    0x3 | SegmentRegister.S | SegmentRegister.P | SegmentRegister.DB | SegmentRegister.G);
            boolean fromCompat = !c.mode64();
            c.setCpl(0);
            c.updateMode();
            c.rip = fromCompat ? c.msrs.cstar : c.msrs.lstar;
        }

        /** SYSRET: to 64-bit user code with REX.W, else to compatibility mode. */
        private void sysret(Cpu c) {
            if ((c.efer & Msrs.EFER_SCE) == 0) {
                throw c.ud();
            }
            if (c.cpl != 0 || !c.longMode() || !c.mode64()) {
                throw c.gp0();
            }
            int sel = (int) ((c.msrs.star >>> 48) & 0xffff);
            long target = c.r[1];
            boolean to64 = size == 8;
            if (to64 && ((target << 16) >> 16) != target) {
                throw c.gp0();
            }
            c.setRflags((c.r[11] & 0x3c_7fd7L) | 2);
            if (to64) {
                c.seg[Cpu.CS].set((sel + 16) | 3, 0, 0xffff_ffffL, 0xb | SegmentRegister.S | SegmentRegister.P
                        | (3 << 5) | SegmentRegister.L | SegmentRegister.G);
            } else {
                c.seg[Cpu.CS].set(sel | 3, 0, 0xffff_ffffL, 0xb | SegmentRegister.S | SegmentRegister.P
                        | (3 << 5) | SegmentRegister.DB | SegmentRegister.G);
            }
            c.seg[Cpu.SS].set((sel + 8) | 3, 0, 0xffff_ffffL, 0x3 | SegmentRegister.S | SegmentRegister.P
                    | (3 << 5) | SegmentRegister.DB | SegmentRegister.G);
            c.setCpl(3);
            c.updateMode();
            c.rip = to64 ? target : target & 0xffff_ffffL;
        }
    }
}
