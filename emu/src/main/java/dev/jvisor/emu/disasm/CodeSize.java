package dev.jvisor.emu.disasm;

/**
 * The default operand and address size of the code being disassembled, as the CS descriptor (and
 * EFER.LMA) select it: 16-bit (real mode, 16-bit protected mode), 32-bit or 64-bit (long mode with
 * CS.L=1). Intel SDM Vol. 1 §3.6 and Vol. 2 §2.2.1.
 */
public enum CodeSize {
    BITS_16(16),
    BITS_32(32),
    BITS_64(64);

    private final int bits;

    CodeSize(int bits) {
        this.bits = bits;
    }

    /** 16, 32 or 64. */
    public int bits() {
        return bits;
    }

    /** The code size for 16, 32 or 64; anything else is rejected. */
    public static CodeSize ofBits(int bits) {
        return switch (bits) {
            case 16 -> BITS_16;
            case 32 -> BITS_32;
            case 64 -> BITS_64;
            default -> throw new IllegalArgumentException("code size must be 16, 32 or 64 bits, not " + bits);
        };
    }
}
