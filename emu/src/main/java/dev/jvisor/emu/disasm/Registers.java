package dev.jvisor.emu.disasm;

/** AT&T register names as objdump prints them (Intel SDM Vol. 2 §2.1.5 tables 2-1..2-3 give the numbering). */
final class Registers {
    private static final String[] GPR8 = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
    private static final String[] GPR8_REX = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b",
            "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};
    private static final String[] GPR16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w",
            "r11w", "r12w", "r13w", "r14w", "r15w"};
    private static final String[] GPR32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d",
            "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
    private static final String[] GPR64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9",
            "r10", "r11", "r12", "r13", "r14", "r15"};
    private static final String[] SEGMENT = {"es", "cs", "ss", "ds", "fs", "gs"};

    private Registers() {
    }

    /** A general-purpose register of 8, 16, 32 or 64 bits; {@code rex} selects SPL..DIL over AH..BH. */
    static String gpr(int bits, int number, boolean rex) {
        String name = switch (bits) {
            case 8 -> rex ? GPR8_REX[number] : GPR8[number];
            case 16 -> GPR16[number];
            case 32 -> GPR32[number];
            case 64 -> GPR64[number];
            default -> throw new IllegalArgumentException("register width " + bits);
        };
        return "%" + name;
    }

    /** The 16-bit addressing base/index pairs of ModRM.rm (SDM Vol. 2 Table 2-1). */
    static final String[] ADDRESS16 = {"%bx,%si", "%bx,%di", "%bp,%si", "%bp,%di", "%si", "%di", "%bp", "%bx"};

    /** A segment register; the undefined encodings 6 and 7 print as objdump prints them. */
    static String segment(int number) {
        return number < SEGMENT.length ? "%" + SEGMENT[number] : "%?";
    }

    static String segmentName(int number) {
        return SEGMENT[number];
    }

    static String control(int number) {
        return "%cr" + number;
    }

    static String debug(int number) {
        return "%db" + number;
    }

    /** The i386/i486 test registers (MOV TRn, 0F 24 / 0F 26). */
    static String test(int number) {
        return "%tr" + number;
    }

    static String mmx(int number) {
        return "%mm" + (number & 7);
    }

    /** XMM (128), YMM (256) or ZMM (512) register. */
    static String vector(int bits, int number) {
        return switch (bits) {
            case 256 -> "%ymm" + number;
            case 512 -> "%zmm" + number;
            default -> "%xmm" + number;
        };
    }

    /** ST(i) from ModRM.rm: objdump prints "%st(0)" here, and "%st" only for the implicit top. */
    static String st(int i) {
        return "%st(" + i + ")";
    }
}
