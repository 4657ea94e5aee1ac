package dev.jvisor.hypervisor;

/** The general-purpose registers, RIP and RFLAGS of a vCPU (the layout of KVM's {@code kvm_regs}). */
public record Registers(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                        long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                        long rip, long rflags) {

    /** All zero except RFLAGS bit 1, which is always set. */
    public static final Registers RESET = new Registers(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

    /**
     * The 16 GPRs in x86 encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15).
     */
    public long[] gprsInEncodingOrder() {
        return new long[]{rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15};
    }

    /** Builds registers from the 16 GPRs in x86 encoding order plus RIP and RFLAGS. */
    public static Registers fromEncodingOrder(long[] g, long rip, long rflags) {
        return new Registers(g[0], g[3], g[1], g[2], g[6], g[7], g[4], g[5],
                g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], rip, rflags);
    }

    public Registers withRip(long newRip) {
        return new Registers(rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15,
                newRip, rflags);
    }

    public Registers withRsi(long newRsi) {
        return new Registers(rax, rbx, rcx, rdx, newRsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15,
                rip, rflags);
    }

    public Registers withRsp(long newRsp) {
        return new Registers(rax, rbx, rcx, rdx, rsi, rdi, newRsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15,
                rip, rflags);
    }
}
