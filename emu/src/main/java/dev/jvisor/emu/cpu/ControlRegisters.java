package dev.jvisor.emu.cpu;

/**
 * Writes to CR0, CR3, CR4, CR8 and EFER with their architectural checks and side effects: mode
 * switches (long mode activation, SDM Vol. 3A §9.8.5) and TLB flushes (§4.10.4.1).
 */
final class ControlRegisters {
    static final long CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 16, CR0_NE = 32,
            CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29, CR0_CD = 1L << 30, CR0_PG = 1L << 31;
    static final long CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 16, CR4_PAE = 32, CR4_MCE = 64,
            CR4_PGE = 128, CR4_PCE = 256, CR4_OSFXSR = 512, CR4_OSXMMEXCPT = 1024;
    /** CR4 bits this CPU supports (CPUID advertises DE, PSE, PAE, PGE, FXSR, SSE). */
    static final long CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR
            | CR4_OSXMMEXCPT;
    private static final long CR0_RESERVED = ~(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM
            | CR0_NW | CR0_CD | CR0_PG) & 0xffff_ffffL;

    private ControlRegisters() {
    }

    static void writeCr0(Cpu c, long v) {
        if ((v >>> 32) != 0 && c.mode64()) {
            throw c.gp0();
        }
        v &= 0xffff_ffffL;
        v |= CR0_ET; // hard-wired to 1 on every CPU since the 486
        if ((v & CR0_RESERVED) != 0 && c.mode64()) {
            throw c.gp0();
        }
        v &= ~CR0_RESERVED;
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) {
            throw c.gp0();
        }
        if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) {
            throw c.gp0();
        }
        long old = c.cr0;
        boolean enablingPaging = (old & CR0_PG) == 0 && (v & CR0_PG) != 0;
        if (enablingPaging && (c.efer & Msrs.EFER_LME) != 0) {
            if ((c.cr4 & CR4_PAE) == 0) {
                throw c.gp0();
            }
            c.efer |= Msrs.EFER_LMA;
        }
        if ((old & CR0_PG) != 0 && (v & CR0_PG) == 0) {
            if (c.mode64()) {
                throw c.gp0(); // paging cannot be turned off from 64-bit code
            }
            c.efer &= ~Msrs.EFER_LMA;
        }
        c.cr0 = v;
        if (((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) != 0) {
            c.mmu.flush(false);
        }
        c.updateMode();
        c.exitBlock = true;
    }

    static void writeCr3(Cpu c, long v) {
        if (c.longMode()) {
            // Bit 63 is "no flush" only with PCIDs, which are not advertised.
            if ((v & ~((1L << Mmu.MAXPHYADDR) - 1)) != 0) {
                throw c.gp0();
            }
        } else {
            v &= 0xffff_ffffL;
        }
        c.cr3 = v;
        c.mmu.flush((c.cr4 & CR4_PGE) != 0);
        c.exitBlock = true;
    }

    static void writeCr4(Cpu c, long v) {
        if ((v & ~CR4_SUPPORTED) != 0) {
            throw c.gp0();
        }
        if (c.longMode() && (v & CR4_PAE) == 0) {
            throw c.gp0();
        }
        long old = c.cr4;
        c.cr4 = v;
        if (((old ^ v) & (CR4_PGE | CR4_PAE | CR4_PSE)) != 0) {
            c.mmu.flush(false);
        }
        c.exitBlock = true;
    }

    /** EFER (SDM Vol. 3A §2.2.1): LMA is read-only; LME may change only with paging off. */
    static void writeEfer(Cpu c, long v) {
        long allowed = Msrs.EFER_SCE | Msrs.EFER_LME | Msrs.EFER_LMA | Msrs.EFER_NXE;
        if ((v & ~allowed) != 0) {
            throw c.gp0();
        }
        if (c.paging() && ((v ^ c.efer) & Msrs.EFER_LME) != 0) {
            throw c.gp0();
        }
        long old = c.efer;
        c.efer = (v & ~Msrs.EFER_LMA) | (old & Msrs.EFER_LMA);
        if (((old ^ c.efer) & Msrs.EFER_NXE) != 0) {
            c.mmu.flush(false);
        }
        c.updateMode();
        c.exitBlock = true;
    }
}
