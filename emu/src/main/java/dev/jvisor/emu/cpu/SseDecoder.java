package dev.jvisor.emu.cpu;

/**
 * The SSE/SSE2/MMX part of the two-byte opcode map and FXSAVE/FXRSTOR/LDMXCSR/STMXCSR.
 */
final class SseDecoder {
    private SseDecoder() {
    }

    /** Whether 0F {@code b} belongs to the SSE/MMX opcode space. */
    static boolean handles(int b) {
        return (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2f) || (b >= 0x50 && b <= 0x7f)
                || (b >= 0xc2 && b <= 0xc6) || b >= 0xd0 || b == 0x38 || b == 0x3a;
    }

    static Insn decode(Decoder d, int b) {
        return d.undefined();
    }

    /** 0F AE /0../3 with a memory operand. */
    static Insn group15(Decoder d) {
        return d.undefined();
    }
}
