package dev.jvisor.vmm;

import dev.jvisor.hypervisor.Vcpu;

/**
 * What a PC's firmware leaves in each CPU before the OS starts, beyond the boot protocol's register
 * state: memory-type range registers enabled with write-back as the default type and the legacy VGA
 * window uncacheable (SDM Vol. 3A §11.11). Linux checks that MTRRs are enabled before it trusts PAT.
 */
final class FirmwareSetup {
    private static final int MTRR_FIX64K_00000 = 0x250, MTRR_FIX16K_80000 = 0x258, MTRR_FIX16K_A0000 = 0x259,
            MTRR_FIX4K_C0000 = 0x268, MTRR_FIX4K_F8000 = 0x26f, MTRR_DEF_TYPE = 0x2ff;
    private static final long WB_EVERY_BYTE = 0x0606_0606_0606_0606L;
    /** MTRRs enabled (bit 11), fixed ranges enabled (bit 10), default type write-back (6). */
    private static final long DEF_TYPE = (1 << 11) | (1 << 10) | 6;

    private FirmwareSetup() {
    }

    static void apply(Vcpu vcpu) {
        vcpu.setMsr(MTRR_FIX64K_00000, WB_EVERY_BYTE);
        vcpu.setMsr(MTRR_FIX16K_80000, WB_EVERY_BYTE);
        vcpu.setMsr(MTRR_FIX16K_A0000, 0); // 0xA0000-0xBFFFF: the VGA hole, uncacheable
        for (int msr = MTRR_FIX4K_C0000; msr <= MTRR_FIX4K_F8000; msr++) {
            vcpu.setMsr(msr, WB_EVERY_BYTE);
        }
        vcpu.setMsr(MTRR_DEF_TYPE, DEF_TYPE);
    }
}
