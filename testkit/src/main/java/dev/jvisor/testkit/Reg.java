package dev.jvisor.testkit;

/**
 * The x86-64 general-purpose registers at every width, with their 4-bit encoding numbers
 * (Intel SDM Vol. 2A §2.1.5, Table 2-2 and §3.7.2.1 for REX).
 *
 * <p>{@code SPL, BPL, SIL, DIL} exist only with a REX prefix; {@code AH, CH, DH, BH} only without
 * one (SDM Vol. 2A §2.2.1.2), so the two groups can never appear in the same instruction.
 */
public enum Reg implements Operand {
    RAX(0, 64), RCX(1, 64), RDX(2, 64), RBX(3, 64), RSP(4, 64), RBP(5, 64), RSI(6, 64), RDI(7, 64),
    R8(8, 64), R9(9, 64), R10(10, 64), R11(11, 64), R12(12, 64), R13(13, 64), R14(14, 64), R15(15, 64),

    EAX(0, 32), ECX(1, 32), EDX(2, 32), EBX(3, 32), ESP(4, 32), EBP(5, 32), ESI(6, 32), EDI(7, 32),
    R8D(8, 32), R9D(9, 32), R10D(10, 32), R11D(11, 32), R12D(12, 32), R13D(13, 32), R14D(14, 32), R15D(15, 32),

    AX(0, 16), CX(1, 16), DX(2, 16), BX(3, 16), SP(4, 16), BP(5, 16), SI(6, 16), DI(7, 16),
    R8W(8, 16), R9W(9, 16), R10W(10, 16), R11W(11, 16), R12W(12, 16), R13W(13, 16), R14W(14, 16), R15W(15, 16),

    AL(0, 8), CL(1, 8), DL(2, 8), BL(3, 8), SPL(4, 8), BPL(5, 8), SIL(6, 8), DIL(7, 8),
    R8B(8, 8), R9B(9, 8), R10B(10, 8), R11B(11, 8), R12B(12, 8), R13B(13, 8), R14B(14, 8), R15B(15, 8),

    AH(4, 8), CH(5, 8), DH(6, 8), BH(7, 8);

    private final int code;
    private final int bits;

    Reg(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    /** The register number as encoded in ModRM/SIB/opcode plus the REX extension bit (0–15). */
    public int code() {
        return code;
    }

    /** Width in bits: 8, 16, 32 or 64. */
    public int bits() {
        return bits;
    }

    /** Whether encoding this register needs REX.R/X/B (registers 8–15). */
    public boolean isExtended() {
        return code >= 8;
    }

    /** SPL, BPL, SIL, DIL: byte registers that are only reachable with a REX prefix. */
    public boolean needsRex() {
        return bits == 8 && code >= 4 && code <= 7 && !isHighByte();
    }

    /** AH, CH, DH, BH: legacy high-byte registers that cannot be encoded with a REX prefix. */
    public boolean isHighByte() {
        return this == AH || this == CH || this == DH || this == BH;
    }

    /** Whether the register exists outside 64-bit mode. */
    public boolean existsOutsideLongMode() {
        return bits != 64 && !isExtended() && !needsRex();
    }

    /**
     * The general-purpose register with encoding number {@code code} and width {@code bits}. For
     * 8-bit registers 4–7 this returns SPL..DIL (the REX meaning); use {@link #AH} etc. directly for
     * the legacy high bytes.
     */
    public static Reg gpr(int code, int bits) {
        if (code < 0 || code > 15) {
            throw new IllegalArgumentException("register number must be 0..15: " + code);
        }
        int row = switch (bits) {
            case 64 -> 0;
            case 32 -> 1;
            case 16 -> 2;
            case 8 -> 3;
            default -> throw new IllegalArgumentException("register width must be 8, 16, 32 or 64: " + bits);
        };
        return values()[row * 16 + code];
    }
}
