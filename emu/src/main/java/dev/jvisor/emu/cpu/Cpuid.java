package dev.jvisor.emu.cpu;

import java.nio.charset.StandardCharsets;

/**
 * The CPUID the emulated CPU reports: an honest x86-64 baseline (x86-64-v1 plus LAHF/SAHF in long
 * mode, and the local APIC's TSC-deadline timer), advertising only what this emulator implements
 * completely.
 *
 * <p>Identity: vendor "AuthenticAMD", family 15, model 107, stepping 1 — the identity of QEMU's
 * default {@code qemu64} CPU model. Two reasons: (1) reference boots under QEMU TCG with
 * {@code -cpu qemu64,...} then follow the same vendor code paths in Linux, so their traces compare
 * with ours; (2) Linux treats AMD family 0Fh as not affected by Meltdown/L1TF/MDS (no page-table
 * isolation, no VERW buffers clearing), which is also the truth for an emulator. Feature bits:
 * SDM Vol. 2A "CPUID" Table 3-8/3-20 and AMD APM Vol. 3 Appendix E.
 */
final class Cpuid {
    // Leaf 1 EDX
    private static final int FPU = 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6,
            CX8 = 1 << 8, APIC = 1 << 9, MTRR = 1 << 12, PGE = 1 << 13, CMOV = 1 << 15, PAT = 1 << 16,
            PSE36 = 1 << 17, CLFSH = 1 << 19, MMX = 1 << 23, FXSR = 1 << 24, SSE = 1 << 25, SSE2 = 1 << 26,
            HTT = 1 << 28;
    // Leaf 1 ECX: TSC-deadline mode of the local APIC timer (module irqchip implements it fully).
    private static final int TSC_DEADLINE = 1 << 24, HYPERVISOR = 1 << 31;
    // Leaf 0x80000001 EDX / ECX
    private static final int SYSCALL = 1 << 11, NX = 1 << 20, LM = 1 << 29;
    private static final int LAHF_LM = 1;
    // Leaf 0x80000007 EDX
    private static final int INVARIANT_TSC = 1 << 8;

    static final int LEAF1_EDX = FPU | DE | PSE | TSC | MSR | PAE | CX8 | APIC | MTRR | PGE | CMOV | PAT | PSE36
            | CLFSH | MMX | FXSR | SSE | SSE2;
    /** AMD mirrors the leaf-1 EDX bits 0-17 and 23-24 in 0x80000001 EDX. */
    static final int EXT_EDX = (LEAF1_EDX & 0x0183_ffff) | SYSCALL | NX | LM;

    private static final String VENDOR = "AuthenticAMD";
    private static final String BRAND = "jvisor x86-64 emulated CPU";
    private static final String HV_SIGNATURE = "jvisorjvisor";

    private final int apicId;
    private final int cpus;

    Cpuid(int apicId, int cpus) {
        this.apicId = apicId;
        this.cpus = cpus;
    }

    /** Executes CPUID for leaf EAX, sub-leaf ECX into the four result registers. */
    void execute(long[] r) {
        int leaf = (int) r[0];
        int[] out = query(leaf, (int) r[1]);
        r[0] = out[0] & 0xffff_ffffL;
        r[3] = out[1] & 0xffff_ffffL;
        r[1] = out[2] & 0xffff_ffffL;
        r[2] = out[3] & 0xffff_ffffL;
    }

    /** Returns {EAX, EBX, ECX, EDX}. */
    int[] query(int leaf, int subleaf) {
        switch (leaf) {
            case 0:
                return new int[]{1, word(VENDOR, 0), word(VENDOR, 8), word(VENDOR, 4)};
            case 1: {
                int eax = (0xf << 8) | (0xb << 4) | 1 | (0x6 << 16); // family 0Fh, ext model 6, model Bh, stepping 1
                int ebx = (8 << 8) | (apicId << 24) | (cpus > 1 ? cpus << 16 : 0);
                int edx = LEAF1_EDX | (cpus > 1 ? HTT : 0);
                return new int[]{eax, ebx, TSC_DEADLINE | HYPERVISOR, edx};
            }
            case 0x4000_0000:
                return new int[]{0x4000_0000, word(HV_SIGNATURE, 0), word(HV_SIGNATURE, 4), word(HV_SIGNATURE, 8)};
            case 0x8000_0000:
                return new int[]{0x8000_0008, word(VENDOR, 0), word(VENDOR, 8), word(VENDOR, 4)};
            case 0x8000_0001:
                return new int[]{(0xf << 8) | (0xb << 4) | 1 | (0x6 << 16), 0, LAHF_LM, EXT_EDX};
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004: {
                int base = (leaf - 0x8000_0002) * 16;
                return new int[]{word(BRAND, base), word(BRAND, base + 4), word(BRAND, base + 8),
                        word(BRAND, base + 12)};
            }
            case 0x8000_0007:
                return new int[]{0, 0, 0, INVARIANT_TSC};
            case 0x8000_0008:
                // Physical and linear address widths; ECX[7:0] = number of cores - 1 (AMD).
                return new int[]{Mmu.MAXPHYADDR | (48 << 8), 0, Math.max(cpus - 1, 0), 0};
            default:
                // Leaves above the maximum return zeros here (AMD behaviour for unsupported leaves).
                return new int[]{0, 0, 0, 0};
        }
    }

    /** Four characters of {@code s} from {@code offset} as a little-endian register value. */
    private static int word(String s, int offset) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        int v = 0;
        for (int i = 3; i >= 0; i--) {
            int k = offset + i;
            v = (v << 8) | (k < b.length ? b[k] & 0xff : 0);
        }
        return v;
    }
}
