package dev.jvisor.emu.cpu;

/**
 * RDMSR/WRMSR semantics: which MSRs exist on this CPU model and what writes they accept. Unknown
 * MSRs raise #GP(0), as on hardware; Linux probes many MSRs with the "safe" accessors and relies on
 * exactly that.
 */
final class MsrAccess {
    private MsrAccess() {
    }

    static long read(Cpu c, int index) {
        Msrs m = c.msrs;
        if (c.env.ownsMsr(index)) {
            return c.env.readMsr(index);
        }
        return switch (index) {
            case Msrs.IA32_TSC -> c.env.tsc();
            case Msrs.EFER -> c.efer;
            case Msrs.STAR -> m.star;
            case Msrs.LSTAR -> m.lstar;
            case Msrs.CSTAR -> m.cstar;
            case Msrs.SFMASK -> m.sfmask;
            case Msrs.FS_BASE -> c.seg[Cpu.FS].base;
            case Msrs.GS_BASE -> c.seg[Cpu.GS].base;
            case Msrs.KERNEL_GS_BASE -> m.kernelGsBase;
            case Msrs.IA32_PAT -> m.pat;
            case Msrs.IA32_MISC_ENABLE -> m.miscEnable;
            case Msrs.IA32_SYSENTER_CS -> m.sysenterCs;
            case Msrs.IA32_SYSENTER_ESP -> m.sysenterEsp;
            case Msrs.IA32_SYSENTER_EIP -> m.sysenterEip;
            // MTRRs (advertised: CPUID.1:EDX.MTRR): 8 variable ranges, fixed ranges, write-combining.
            case Msrs.IA32_MTRRCAP -> 8 | (1 << 8) | (1 << 10);
            case Msrs.IA32_MTRR_DEF_TYPE -> m.mtrrDefType;
            case Msrs.IA32_MTRR_FIX64K -> m.mtrrFixed[0];
            case Msrs.IA32_MTRR_FIX16K_80000 -> m.mtrrFixed[1];
            case Msrs.IA32_MTRR_FIX16K_A0000 -> m.mtrrFixed[2];
            default -> {
                if (index >= Msrs.IA32_MTRR_PHYSBASE0 && index <= Msrs.IA32_MTRR_PHYSMASK7) {
                    yield m.mtrrVar[index - Msrs.IA32_MTRR_PHYSBASE0];
                }
                if (index >= Msrs.IA32_MTRR_FIX4K_C0000 && index <= Msrs.IA32_MTRR_FIX4K_F8000) {
                    yield m.mtrrFixed[3 + index - Msrs.IA32_MTRR_FIX4K_C0000];
                }
                throw c.gp0();
            }
        };
    }

    static void write(Cpu c, int index, long v) {
        Msrs m = c.msrs;
        if (c.env.ownsMsr(index)) {
            try {
                c.env.writeMsr(index, v);
            } catch (IllegalArgumentException e) {
                throw c.gp0();
            }
            return;
        }
        switch (index) {
            case Msrs.IA32_TSC -> c.env.setTsc(v);
            case Msrs.EFER -> ControlRegisters.writeEfer(c, v);
            case Msrs.STAR -> m.star = v;
            case Msrs.LSTAR -> m.lstar = canonical(c, v);
            case Msrs.CSTAR -> m.cstar = canonical(c, v);
            case Msrs.SFMASK -> m.sfmask = v & 0xffff_ffffL;
            case Msrs.FS_BASE -> {
                c.seg[Cpu.FS].base = canonical(c, v);
                c.segBase[Cpu.FS] = v;
            }
            case Msrs.GS_BASE -> {
                c.seg[Cpu.GS].base = canonical(c, v);
                c.segBase[Cpu.GS] = v;
            }
            case Msrs.KERNEL_GS_BASE -> m.kernelGsBase = canonical(c, v);
            case Msrs.IA32_PAT -> {
                // Each of the 8 entries must be a valid memory type (0,1,4,5,6,7): SDM §11.12.2.
                for (int i = 0; i < 8; i++) {
                    int t = (int) ((v >>> (8 * i)) & 0xff);
                    if (t == 2 || t == 3 || t > 7) {
                        throw c.gp0();
                    }
                }
                m.pat = v;
            }
            case Msrs.IA32_MISC_ENABLE -> m.miscEnable = v;
            case Msrs.IA32_SYSENTER_CS -> m.sysenterCs = v & 0xffff;
            case Msrs.IA32_SYSENTER_ESP -> m.sysenterEsp = canonical(c, v);
            case Msrs.IA32_SYSENTER_EIP -> m.sysenterEip = canonical(c, v);
            case Msrs.IA32_MTRR_DEF_TYPE -> {
                if ((v & ~0xcffL) != 0) throw c.gp0();
                m.mtrrDefType = v;
            }
            case Msrs.IA32_MTRR_FIX64K -> m.mtrrFixed[0] = v;
            case Msrs.IA32_MTRR_FIX16K_80000 -> m.mtrrFixed[1] = v;
            case Msrs.IA32_MTRR_FIX16K_A0000 -> m.mtrrFixed[2] = v;
            default -> {
                if (index >= Msrs.IA32_MTRR_PHYSBASE0 && index <= Msrs.IA32_MTRR_PHYSMASK7) {
                    m.mtrrVar[index - Msrs.IA32_MTRR_PHYSBASE0] = v;
                } else if (index >= Msrs.IA32_MTRR_FIX4K_C0000 && index <= Msrs.IA32_MTRR_FIX4K_F8000) {
                    m.mtrrFixed[3 + index - Msrs.IA32_MTRR_FIX4K_C0000] = v;
                } else {
                    throw c.gp0();
                }
            }
        }
    }

    private static long canonical(Cpu c, long v) {
        if (((v << 16) >> 16) != v) {
            throw c.gp0();
        }
        return v;
    }
}
