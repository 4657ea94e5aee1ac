package dev.jvisor.emu.cpu;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.DescriptorTable;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;

/**
 * The architectural state of one emulated x86-64 CPU and the small accessors instructions use.
 *
 * <p>Fields are package-private and read directly by the instruction classes: this is the hottest
 * object in the emulator. General-purpose registers live in {@link #r} in encoding order (RAX, RCX,
 * RDX, RBX, RSP, RBP, RSI, RDI, R8..R15); slot 16 is a constant zero used by effective-address
 * computation for an absent base or index register.
 *
 * <p>Arithmetic flags are evaluated lazily (see {@link Flags}): instructions record the operation,
 * operand size, operands and result, and the six status flags are computed only when something reads
 * them. The other RFLAGS bits live eagerly in {@link #rflagsRest}.
 */
public final class Cpu implements CpuView {
    /** Segment register indices in encoding order (Intel SDM Vol. 2 §3.1.1.2 "Sreg"). */
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    /** MAXPHYADDR as CPUID reports it. */
    public static final int PHYSICAL_ADDRESS_BITS = Mmu.MAXPHYADDR;
    /** Index of the always-zero pseudo register. */
    static final int ZERO = 16;

    static final long CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
            DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
            VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
    static final long ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
    /** RFLAGS bits software can change at CPL0 (everything but VM, VIF/VIP via POPF rules, bit 1). */
    static final long WRITABLE_FLAGS = ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | AC | ID | VIF | VIP;

    final int index;
    final CpuEnvironment env;
    final GuestMemory memory;

    // --- General-purpose state -------------------------------------------------------------------
    final long[] r = new long[17];
    long rip;

    // --- Lazy flags (see Flags) ------------------------------------------------------------------
    int fOp;
    int fBits;
    long fA;
    long fB;
    long fRes;
    /** ADC/SBB carry in; INC/DEC saved CF; MUL overflow. */
    boolean fAux;
    /** The six status flags when fOp == Flags.EAGER. */
    long fEager;
    /** RFLAGS without the six status flags; bit 1 always set. */
    long rflagsRest = 2;

    // --- Segments and descriptor tables ----------------------------------------------------------
    final SegmentRegister[] seg = new SegmentRegister[6];
    /**
     * Base added to effective addresses per segment, index 6 always 0. In 64-bit mode the bases of
     * ES/CS/SS/DS are treated as zero (SDM Vol. 3A §3.4.4), so they are kept zero here.
     */
    final long[] segBase = new long[7];
    final SegmentRegister ldtr = new SegmentRegister();
    final SegmentRegister tr = new SegmentRegister();
    long gdtrBase;
    int gdtrLimit;
    long idtrBase;
    int idtrLimit;

    // --- Control and model-specific registers ----------------------------------------------------
    long cr0;
    long cr2;
    long cr3;
    long cr4;
    long efer;
    long[] dr = new long[8];
    int cpl;
    /** Default code size of the current CS: 16, 32 or 64. */
    int codeSize;
    /** Stack pointer width of SS: 16, 32 or 64 bits, as a mask. */
    long stackMask = 0xffff;
    final Msrs msrs = new Msrs();

    // --- SSE and x87 -----------------------------------------------------------------------------
    /** XMM0..XMM15 as (low, high) 64-bit pairs: xmm[2*n] is the low quadword of XMMn. */
    final long[] xmm = new long[32];
    int mxcsr = 0x1f80;
    final X87 fpu = new X87();

    // --- Execution control -----------------------------------------------------------------------
    /** Interrupts are inhibited for one instruction after STI / MOV SS / POP SS. */
    boolean interruptShadow;
    boolean halted;
    /** Set by an instruction that must end the current block at once (SMC, mode changes). */
    boolean exitBlock;
    /** Application processor waiting for a startup IPI. */
    boolean waitForSipi;
    /** Set from any thread to make the run loop look at {@link #env} and kick requests. */
    volatile boolean attention;
    volatile boolean kickRequested;
    /** Index within its block of the instruction a compiled block was running when it faulted. */
    int faultIndex;
    /** The last fault was a non-canonical address (the executor turns it into #SS for stack accesses). */
    boolean nonCanonicalFault;
    /** Guest instructions retired (approximately: counted per executed block). */
    long instructions;

    final CpuException fault = new CpuException();
    final Mmu mmu;
    final Cpuid cpuid;
    /** Several vCPUs share memory: locked instructions must be really atomic. */
    final boolean smp;
    final AtomicSlot atomic = new AtomicSlot(this);

    /**
     * @param index  the CPU number (also its APIC ID)
     * @param cpus   how many CPUs the VM has (reported by CPUID)
     * @param memory guest RAM
     * @param env    the CPU's local APIC, timers and devices
     */
    public Cpu(int index, int cpus, GuestMemory memory, CpuEnvironment env) {
        this.index = index;
        this.memory = memory;
        this.env = env;
        for (int i = 0; i < 6; i++) {
            seg[i] = new SegmentRegister();
        }
        this.mmu = new Mmu(this, memory);
        this.cpuid = new Cpuid(index, cpus);
        this.smp = cpus > 1;
        resetState();
    }

    /** The power-on/INIT state (SDM Vol. 3A §9.1.1, Table 9-1): real mode at F000:FFF0. */
    void resetState() {
        java.util.Arrays.fill(r, 0);
        r[2] = cpuid.query(1, 0)[0] & 0xffff_ffffL; // EDX holds the processor signature after reset
        rip = 0xfff0;
        setRflags(2);
        for (int i = 0; i < 6; i++) {
            seg[i].set(0, 0, 0xffff, 0x3 | SegmentRegister.S | SegmentRegister.P);
        }
        seg[CS].set(0xf000, 0xffff_0000L, 0xffff, 0xb | SegmentRegister.S | SegmentRegister.P);
        ldtr.set(0, 0, 0xffff, 0x2 | SegmentRegister.P);
        tr.set(0, 0, 0xffff, 0xb | SegmentRegister.P);
        gdtrBase = idtrBase = 0;
        gdtrLimit = idtrLimit = 0xffff;
        cr0 = ControlRegisters.CR0_ET | ControlRegisters.CR0_CD | ControlRegisters.CR0_NW;
        cr2 = cr3 = cr4 = efer = 0;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xffff0ff0L;
        dr[7] = 0x400;
        java.util.Arrays.fill(xmm, 0);
        mxcsr = 0x1f80;
        fpu.init();
        fpu.ftw = 0xffff;
        cpl = 0;
        halted = false;
        interruptShadow = false;
        mmu.flush(false);
        updateMode();
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public long instructions() {
        return instructions;
    }

    @Override
    public long register(int n) {
        return r[n];
    }

    @Override
    public long rip() {
        return rip;
    }

    @Override
    public int cpl() {
        return cpl;
    }

    @Override
    public int codeSize() {
        return codeSize;
    }

    @Override
    public long cr3() {
        return cr3;
    }

    @Override
    public byte[] readLinear(long linear, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            long pa = translate(linear + i);
            if (pa < 0) {
                return null;
            }
            long off = mmu.hostOffset(pa);
            if (off < 0) {
                return null;
            }
            out[i] = mmu.ram.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off);
        }
        return out;
    }

    /** The tracer, or null (the default: no tracing overhead). */
    ExecutionTracer tracer;

    /** Installs a tracer (null removes it). Only while the CPU is not running. */
    public void setTracer(ExecutionTracer tracer) {
        this.tracer = tracer;
    }

    // --- State import and export (the back end's Vcpu accessors) --------------------------------------

    public Registers getRegisters() {
        return Registers.fromEncodingOrder(java.util.Arrays.copyOf(r, 16), rip, rflags());
    }

    public void setRegisters(Registers regs) {
        System.arraycopy(regs.gprsInEncodingOrder(), 0, r, 0, 16);
        rip = regs.rip();
        setRflags(regs.rflags());
    }

    public SystemRegisters getSystemRegisters() {
        return new SystemRegisters(seg[CS].toSegment(), seg[DS].toSegment(), seg[ES].toSegment(),
                seg[FS].toSegment(), seg[GS].toSegment(), seg[SS].toSegment(), tr.toSegment(), ldtr.toSegment(),
                new DescriptorTable(gdtrBase, gdtrLimit), new DescriptorTable(idtrBase, idtrLimit), cr0, cr2, cr3,
                cr4, 0, efer, env.ownsMsr(Msrs.IA32_APIC_BASE) ? env.readMsr(Msrs.IA32_APIC_BASE) : 0);
    }

    /**
     * Loads segment, table and control registers as a boot loader hands them over (no checks beyond
     * consistency: the loader is trusted, the guest is not).
     */
    public void setSystemRegisters(SystemRegisters s) {
        seg[CS].fromSegment(s.cs());
        seg[DS].fromSegment(s.ds());
        seg[ES].fromSegment(s.es());
        seg[FS].fromSegment(s.fs());
        seg[GS].fromSegment(s.gs());
        seg[SS].fromSegment(s.ss());
        tr.fromSegment(s.tr());
        ldtr.fromSegment(s.ldt());
        gdtrBase = s.gdt().base();
        gdtrLimit = s.gdt().limit();
        idtrBase = s.idt().base();
        idtrLimit = s.idt().limit();
        cr0 = s.cr0() | ControlRegisters.CR0_ET;
        cr2 = s.cr2();
        cr3 = s.cr3();
        cr4 = s.cr4();
        efer = s.efer();
        if ((cr0 & ControlRegisters.CR0_PG) != 0 && (efer & Msrs.EFER_LME) != 0) {
            efer |= Msrs.EFER_LMA;
        }
        if (s.apicBase() != 0 && env.ownsMsr(Msrs.IA32_APIC_BASE)) {
            env.writeMsr(Msrs.IA32_APIC_BASE, s.apicBase());
        }
        cpl = seg[SS].dpl();
        if (protectedMode() && !seg[CS].unusable()) {
            cpl = seg[CS].dpl();
        } else if (!protectedMode()) {
            cpl = 0;
        }
        mmu.flush(false);
        updateMode();
    }

    public FpuState getFpu() {
        byte[] st = new byte[80];
        for (int i = 0; i < 8; i++) {
            fpu.store80(fpu.phys(i), st, i * 10); // KVM's kvm_fpu holds ST(0)..ST(7) in stack order
        }
        byte[] x = new byte[256];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(x).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            bb.putLong(i * 8, xmm[i]);
        }
        return new FpuState(st, fpu.fcw, fpu.statusWord(), fpu.abridgedTags(), fpu.lastOpcode, fpu.lastIp,
                fpu.lastDp, x, mxcsr);
    }

    public void setFpu(FpuState f) {
        fpu.fcw = f.fcw();
        fpu.setStatusWord(f.fsw());
        for (int i = 0; i < 8; i++) {
            fpu.load80(fpu.phys(i), f.st(), i * 10);
        }
        fpu.setAbridgedTags(f.ftw());
        fpu.lastOpcode = f.lastOpcode();
        fpu.lastIp = f.lastIp();
        fpu.lastDp = f.lastDp();
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(f.xmm()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            xmm[i] = bb.getLong(i * 8);
        }
        mxcsr = f.mxcsr();
    }

    public long getMsr(int msrIndex) {
        try {
            return MsrAccess.read(this, msrIndex);
        } catch (CpuException e) {
            throw new HypervisorException(String.format("MSR 0x%x does not exist on this CPU", msrIndex));
        }
    }

    public void setMsr(int msrIndex, long value) {
        try {
            MsrAccess.write(this, msrIndex, value);
        } catch (CpuException e) {
            throw new HypervisorException(String.format("MSR 0x%x rejects value 0x%x", msrIndex, value));
        }
    }

    /** Puts this CPU in wait-for-SIPI (application processors at power-on). */
    public void setWaitForStartup() {
        resetState();
        waitForSipi = true;
    }

    // --- Debugging (GDB stub) -----------------------------------------------------------------

    /** Any breakpoint, watchpoint or single-step armed: the executor then runs one instruction at a time. */
    boolean debugActive;
    boolean singleStep;
    long[] breakpoints = new long[0];
    DebugSettings.Watchpoint[] watchpoints = new DebugSettings.Watchpoint[0];
    /** Set by the MMU's slow path when an access touched a watchpoint; -1 when none. */
    long watchHit = -1;
    /** After a breakpoint stop, the next run executes the instruction at RIP instead of stopping again. */
    boolean skipBreakpointAt;

    /** Arms debugging; see {@link DebugSettings}. Only while the CPU is not running. */
    public void setDebug(DebugSettings settings) {
        singleStep = settings.singleStep();
        breakpoints = settings.breakpoints().stream().mapToLong(Long::longValue).sorted().toArray();
        watchpoints = settings.watchpoints().toArray(new DebugSettings.Watchpoint[0]);
        debugActive = settings.active();
        mmu.setWatchpoints(watchpoints);
    }

    boolean breakpointAt(long linear) {
        return java.util.Arrays.binarySearch(breakpoints, linear) >= 0;
    }

    /**
     * Translates a linear address with supervisor rights through the current page tables, without
     * changing guest-visible state (CR2); -1 when it is not mapped.
     */
    public long translate(long linear) {
        long savedCr2 = cr2;
        try {
            return mmu.translate(linear, Mmu.READ, false, false);
        } catch (CpuException e) {
            return -1;
        } finally {
            cr2 = savedCr2;
        }
    }

    /** Asks the run loop to return {@code Kicked} soon (any thread). */
    public void requestKick() {
        kickRequested = true;
        env.wake();
    }

    // --- Exceptions ------------------------------------------------------------------------------

    /** Raises a fault without error code. */
    CpuException fault(int vector) {
        return fault.set(vector, 0, false);
    }

    /** Raises a fault with an error code. */
    CpuException fault(int vector, int errorCode) {
        return fault.set(vector, errorCode, true);
    }

    CpuException gp0() {
        return fault.set(CpuException.GP, 0, true);
    }

    CpuException ud() {
        return fault.set(CpuException.UD, 0, false);
    }

    // --- Registers -------------------------------------------------------------------------------

    /** Reads an 8-bit register; without REX, encodings 4-7 name AH, CH, DH, BH. */
    long getReg8(int reg, boolean rex) {
        if (!rex && reg >= 4 && reg < 8) {
            return (r[reg - 4] >>> 8) & 0xff;
        }
        return r[reg] & 0xff;
    }

    void setReg8(int reg, boolean rex, long v) {
        if (!rex && reg >= 4 && reg < 8) {
            int i = reg - 4;
            r[i] = (r[i] & ~0xff00L) | ((v & 0xff) << 8);
        } else {
            r[reg] = (r[reg] & ~0xffL) | (v & 0xff);
        }
    }

    /** Writes a register of {@code bits} width with x86-64 semantics (32-bit writes zero-extend). */
    void setReg(int reg, int bits, long v) {
        switch (bits) {
            case 64 -> r[reg] = v;
            case 32 -> r[reg] = v & 0xffff_ffffL;
            case 16 -> r[reg] = (r[reg] & ~0xffffL) | (v & 0xffff);
            default -> throw new IllegalStateException("use setReg8 for byte registers");
        }
    }

    // --- Flags -----------------------------------------------------------------------------------

    /** The full RFLAGS value. */
    @Override
    public long rflags() {
        return rflagsRest | Flags.status(this);
    }

    /** Loads RFLAGS without privilege checks (bit 1 forced, reserved bits cleared). */
    void setRflags(long value) {
        fOp = Flags.EAGER;
        fEager = value & ARITH_FLAGS;
        rflagsRest = (value & ~ARITH_FLAGS & 0x3f_7fd5L) | 2;
    }

    boolean interruptsEnabled() {
        return (rflagsRest & IF) != 0;
    }

    boolean cf() {
        return Flags.cf(this);
    }

    // --- Modes -----------------------------------------------------------------------------------

    boolean longMode() {
        return (efer & Msrs.EFER_LMA) != 0;
    }

    boolean protectedMode() {
        return (cr0 & 1) != 0;
    }

    boolean paging() {
        return (cr0 & (1L << 31)) != 0;
    }

    /** Whether the current code segment is a 64-bit one. */
    boolean mode64() {
        return codeSize == 64;
    }

    /** Recomputes the derived mode fields after CS, SS, CR0 or EFER changed. */
    void updateMode() {
        SegmentRegister cs = seg[CS];
        if (!protectedMode()) {
            codeSize = 16;
        } else if (longMode() && cs.l()) {
            codeSize = 64;
        } else {
            codeSize = cs.db() ? 32 : 16;
        }
        if (codeSize == 64) {
            stackMask = -1L;
            segBase[ES] = 0;
            segBase[CS] = 0;
            segBase[SS] = 0;
            segBase[DS] = 0;
        } else {
            stackMask = seg[SS].db() ? 0xffff_ffffL : 0xffffL;
            for (int i = 0; i < 4; i++) {
                segBase[i] = seg[i].base;
            }
        }
        segBase[FS] = seg[FS].base;
        segBase[GS] = seg[GS].base;
        mmu.selectPrivilege(cpl == 3);
    }

    void setCpl(int newCpl) {
        cpl = newCpl;
        mmu.selectPrivilege(cpl == 3);
    }

    // --- Stack -----------------------------------------------------------------------------------

    long rsp() {
        return r[4] & stackMask;
    }

    void setRsp(long v) {
        if (stackMask == -1L) {
            r[4] = v;
        } else if (stackMask == 0xffff_ffffL) {
            r[4] = v & 0xffff_ffffL;
        } else {
            r[4] = (r[4] & ~0xffffL) | (v & 0xffff);
        }
    }

    void push64(long v) {
        long sp = r[4] - 8;
        mmu.write64(sp, v);
        r[4] = sp;
    }

    long pop64() {
        long v = mmu.read64(r[4]);
        r[4] += 8;
        return v;
    }

    /**
     * RET's pop in 64-bit mode: the return address, with #GP(0) and RSP unchanged if it is not
     * canonical (the compiled form of RET calls this too).
     */
    long popReturnAddress64() {
        long v = mmu.read64(r[4]);
        Branch.checkTarget(this, v);
        r[4] += 8;
        return v;
    }

    /** The {@code bytes} (2, 4 or 8) on top of the stack, without popping them. */
    long peek(int bytes) {
        if (stackMask == -1L && bytes == 8) {
            return mmu.read64(r[4]);
        }
        return mmu.read(segBase[SS] + rsp(), bytes);
    }

    /** Pushes {@code bytes} (2, 4 or 8) of {@code v} honouring the stack width. */
    void push(int bytes, long v) {
        if (stackMask == -1L && bytes == 8) {
            push64(v);
            return;
        }
        long sp = (rsp() - bytes) & stackMask;
        mmu.write(segBase[SS] + sp, bytes, v);
        setRsp(sp);
    }

    long pop(int bytes) {
        if (stackMask == -1L && bytes == 8) {
            return pop64();
        }
        long sp = rsp();
        long v = mmu.read(segBase[SS] + sp, bytes);
        setRsp(sp + bytes);
        return v;
    }
}
