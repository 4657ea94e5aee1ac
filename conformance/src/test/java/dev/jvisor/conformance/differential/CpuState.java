package dev.jvisor.conformance.differential;

import java.util.Arrays;

/**
 * The user-visible register state a differential case starts from or ends in: the 16 GPRs in x86
 * encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15), RFLAGS, and for SSE cases
 * the 16 XMM registers (two little-endian quadwords each, low first) and MXCSR, and for x87 cases
 * the x87 state (null otherwise).
 */
public record CpuState(long[] gprs, long rflags, long[] xmm, int mxcsr, X87State x87) {
    public static final String[] GPR_NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

    public CpuState {
        if (gprs.length != 16 || xmm.length != 32) {
            throw new IllegalArgumentException("16 GPRs and 32 XMM quadwords expected");
        }
        gprs = gprs.clone();
        xmm = xmm.clone();
    }

    /** A state without x87 part. */
    public CpuState(long[] gprs, long rflags, long[] xmm, int mxcsr) {
        this(gprs, rflags, xmm, mxcsr, null);
    }

    public long gpr(int n) {
        return gprs[n];
    }

    public long xmmLow(int n) {
        return xmm[2 * n];
    }

    public long xmmHigh(int n) {
        return xmm[2 * n + 1];
    }

    @Override
    public long[] gprs() {
        return gprs.clone();
    }

    @Override
    public long[] xmm() {
        return xmm.clone();
    }

    /** The registers as a compact multi-line text for failure reports. */
    public String describe(boolean withXmm) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            sb.append(String.format("%s=%016x%s", pad(GPR_NAMES[i]), gprs[i], i % 4 == 3 ? "\n" : " "));
        }
        sb.append(String.format("rflags=%016x (%s)", rflags, Flags.names(rflags & 0x3f_7fd5L)));
        if (withXmm) {
            sb.append(String.format(" mxcsr=%08x", mxcsr));
            for (int i = 0; i < 16; i++) {
                sb.append(String.format("%sxmm%-2d=%016x_%016x", i % 2 == 0 ? "\n" : " ", i, xmm[2 * i + 1], xmm[2 * i]));
            }
        }
        if (x87 != null) {
            sb.append('\n').append(x87.describe());
        }
        return sb.toString();
    }

    private static String pad(String name) {
        return name.length() == 2 ? name + " " : name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuState s && Arrays.equals(gprs, s.gprs) && rflags == s.rflags && Arrays.equals(xmm, s.xmm)
                && mxcsr == s.mxcsr && java.util.Objects.equals(x87, s.x87);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(gprs) * 31 + Long.hashCode(rflags);
    }

    @Override
    public String toString() {
        return describe(false);
    }
}
