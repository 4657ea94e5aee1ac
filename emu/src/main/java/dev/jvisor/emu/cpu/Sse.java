package dev.jvisor.emu.cpu;

/**
 * Rules shared by every SSE, SSE2 and MMX instruction: the availability checks of CR0/CR4, the
 * x87-to-MMX state transition, MXCSR bits and the reporting of SIMD floating-point exceptions.
 *
 * <p>All checks run at execution time, never at decode time: decoded blocks are cached and stay
 * valid across CR0/CR4/MXCSR changes.
 */
final class Sse {
    // --- MXCSR (SDM Vol. 1 §10.2.3, Figure 10-3) ----------------------------------------------------
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, DAZ = 64;
    static final int IM = 1 << 7, DM = 1 << 8, ZM = 1 << 9, OM = 1 << 10, UM = 1 << 11, PM = 1 << 12;
    static final int FTZ = 1 << 15;
    static final int FLAGS = 0x3f, MASKS = 0x1f80;
    /** Pre-computation exceptions (SDM Vol. 3A "Interrupt 19"): invalid, denormal, divide-by-zero. */
    static final int PRE = IE | DE | ZE;
    static final int RC_SHIFT = 13;
    static final int RN = 0, RD = 1, RU = 2, RZ = 3;
    /**
     * MXCSR_MASK reported by FXSAVE: every bit of 0-15 is writable (DAZ is supported, SDM Vol. 1
     * §11.6.6); bits 16-31 are reserved and LDMXCSR/FXRSTOR raise #GP(0) for them.
     */
    static final int MXCSR_MASK = 0xffff;

    private static final long CR0_EM_TS = ControlRegisters.CR0_EM | ControlRegisters.CR0_TS;

    private Sse() {
    }

    /**
     * SSE/SSE2 instructions on XMM registers (SDM Vol. 3A §13.1 and the "Exceptions" sections):
     * CR0.EM=1 or CR4.OSFXSR=0 raise #UD, then CR0.TS=1 raises #NM.
     */
    static void check(Cpu c) {
        if ((c.cr0 & CR0_EM_TS) != 0 || (c.cr4 & ControlRegisters.CR4_OSFXSR) == 0) {
            checkSlow(c, true);
        }
    }

    /**
     * MMX instructions and the SSE instructions that touch MMX registers: CR0.EM=1 raises #UD,
     * CR0.TS=1 #NM, a pending unmasked x87 exception #MF (with CR0.NE, as for the waiting x87
     * instructions). Called before any memory access; {@link #enterMmx} follows once nothing can
     * fault any more.
     */
    static void checkMmx(Cpu c) {
        if ((c.cr0 & CR0_EM_TS) != 0 || (c.fpu.fsw & 0x80) != 0) {
            checkSlow(c, false);
        }
    }

    /**
     * The x87 unit enters MMX state: TOP=0 and every register tagged valid (SDM Vol. 1 §9.5.1,
     * Table 9-3).
     */
    static void enterMmx(Cpu c) {
        X87 f = c.fpu;
        f.top = 0;
        f.ftw = 0;
    }

    private static void checkSlow(Cpu c, boolean sse) {
        if ((c.cr0 & ControlRegisters.CR0_EM) != 0) {
            throw c.ud();
        }
        if (sse && (c.cr4 & ControlRegisters.CR4_OSFXSR) == 0) {
            throw c.ud();
        }
        if ((c.cr0 & ControlRegisters.CR0_TS) != 0) {
            throw c.fault(CpuException.NM);
        }
        if (!sse && (c.fpu.fsw & 0x80) != 0 && (c.cr0 & ControlRegisters.CR0_NE) != 0) {
            throw c.fault(CpuException.MF);
        }
    }

    // --- MMX registers: MMi is the significand of physical x87 register i (SDM Vol. 1 §9.5) --------

    static long mm(Cpu c, int i) {
        return c.fpu.mant[i];
    }

    /** Writes MMi; the exponent/sign field of the aliased x87 register becomes all ones. */
    static void setMm(Cpu c, int i, long v) {
        X87 f = c.fpu;
        f.mant[i] = v;
        f.se[i] = 0xffff;
    }

    // --- SIMD floating-point exceptions (SDM Vol. 1 §11.5) ----------------------------------------

    /**
     * Starts a floating-point instruction and returns the MXCSR to pass to {@link #endFp}. The
     * element operations OR the flags they raise into {@link Cpu#mxcsr}. With every exception
     * masked (the usual case) the old flags simply stay; otherwise they are cleared for the
     * duration, so that {@link #endFp} sees exactly what this instruction raised.
     */
    static int beginFp(Cpu c) {
        int old = c.mxcsr;
        if ((old & MASKS) != MASKS) {
            c.mxcsr = old & ~FLAGS;
        }
        return old;
    }

    /**
     * Finishes a floating-point instruction before its results are written: an unmasked exception
     * leaves the destination unchanged and raises #XM (CR4.OSXMMEXCPT=1) or #UD. When an unmasked
     * pre-computation exception occurred, no computation happened, so only the pre-computation
     * flags are recorded (SDM Vol. 1 §11.5.1).
     */
    static void endFp(Cpu c, int old) {
        if ((old & MASKS) == MASKS) {
            return;
        }
        int raised = c.mxcsr & FLAGS;
        int unmasked = raised & ~(old >>> 7) & FLAGS;
        if ((unmasked & PRE) != 0) {
            raised &= PRE;
        }
        c.mxcsr = old | raised;
        if (unmasked != 0) {
            boolean xm = (c.cr4 & ControlRegisters.CR4_OSXMMEXCPT) != 0;
            throw c.fault(xm ? CpuException.XM : CpuException.UD);
        }
    }
}
