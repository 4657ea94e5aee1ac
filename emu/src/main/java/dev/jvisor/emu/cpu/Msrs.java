package dev.jvisor.emu.cpu;

/**
 * The model-specific registers the CPU core keeps itself (those of the local APIC and TSC deadline
 * belong to the {@link CpuEnvironment}). Numbers and meanings: SDM Vol. 4, Table 2-2.
 */
final class Msrs {
    static final int IA32_TSC = 0x10, IA32_PLATFORM_ID = 0x17, IA32_APIC_BASE = 0x1b,
            IA32_FEATURE_CONTROL = 0x3a, IA32_TSC_ADJUST = 0x3b, IA32_SPEC_CTRL = 0x48, IA32_PRED_CMD = 0x49,
            IA32_BIOS_SIGN_ID = 0x8b, IA32_MTRRCAP = 0xfe, IA32_ARCH_CAPABILITIES = 0x10a,
            IA32_SYSENTER_CS = 0x174, IA32_SYSENTER_ESP = 0x175, IA32_SYSENTER_EIP = 0x176,
            IA32_MCG_CAP = 0x179, IA32_MCG_STATUS = 0x17a, IA32_MISC_ENABLE = 0x1a0,
            IA32_MTRR_PHYSBASE0 = 0x200, IA32_MTRR_PHYSMASK7 = 0x20f, IA32_MTRR_FIX64K = 0x250,
            IA32_MTRR_FIX16K_80000 = 0x258, IA32_MTRR_FIX16K_A0000 = 0x259, IA32_MTRR_FIX4K_C0000 = 0x268,
            IA32_MTRR_FIX4K_F8000 = 0x26f, IA32_PAT = 0x277, IA32_MTRR_DEF_TYPE = 0x2ff,
            IA32_MC0_CTL = 0x400, IA32_TSC_DEADLINE = 0x6e0,
            EFER = 0xc0000080, STAR = 0xc0000081, LSTAR = 0xc0000082, CSTAR = 0xc0000083,
            SFMASK = 0xc0000084, FS_BASE = 0xc0000100, GS_BASE = 0xc0000101, KERNEL_GS_BASE = 0xc0000102,
            TSC_AUX = 0xc0000103;

    static final long EFER_SCE = 1, EFER_LME = 1 << 8, EFER_LMA = 1 << 10, EFER_NXE = 1 << 11;
    /** Number of machine-check banks advertised in IA32_MCG_CAP. */
    static final int MC_BANKS = 1;

    long star;
    long lstar;
    long cstar;
    long sfmask;
    long kernelGsBase;
    long tscAux;
    long pat = 0x0007_0406_0007_0406L;
    long miscEnable = 1; // fast-strings enabled
    long sysenterCs;
    long sysenterEsp;
    long sysenterEip;
    long mtrrDefType;
    long mcgStatus;
    final long[] mtrrVar = new long[16];
    final long[] mtrrFixed = new long[11];
    final long[] mcBank = new long[4 * MC_BANKS];
    long specCtrl;
    long tscAdjust;
}
