package dev.jvisor.hypervisor;

/**
 * x87 and SSE state (the content of KVM's {@code kvm_fpu}, equivalent to the FXSAVE image).
 *
 * @param st   eight 80-bit x87 registers in physical order ST(0)..ST(7), 10 bytes each (80 bytes)
 * @param xmm  sixteen 128-bit XMM registers, 16 bytes each (256 bytes), little-endian
 * @param ftw  abridged tag word as FXSAVE stores it (one bit per register, 1 = valid)
 */
public record FpuState(byte[] st, int fcw, int fsw, int ftw, int lastOpcode, long lastIp, long lastDp,
                       byte[] xmm, int mxcsr) {
    /** The state after FNINIT and reset of MXCSR. */
    public static FpuState initial() {
        return new FpuState(new byte[80], 0x37f, 0, 0, 0, 0, 0, new byte[256], 0x1f80);
    }
}
