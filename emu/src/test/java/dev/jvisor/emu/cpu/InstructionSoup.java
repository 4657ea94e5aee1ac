package dev.jvisor.emu.cpu;

import java.io.ByteArrayOutputStream;

/**
 * Byte sequences shaped like x86 instructions, for the fuzz targets: legacy prefixes, REX, an
 * opcode from one of the maps (one-byte, 0F, 0F 38, 0F 3A, x87 D8-DF, 3DNow! 0F 0F, VEX C4/C5, EVEX
 * 62, the system group 0F 00/01), ModR/M biased towards register and simple memory forms, an
 * optional SIB and a displacement/immediate tail. Nothing guarantees a valid encoding: the point is
 * to reach deep into every decoder path far more often than uniform bytes do.
 */
public final class InstructionSoup {
    private static final int[] LEGACY_PREFIXES = {0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
    /** Opcodes worth extra weight: control transfer, stack, string, system and mode-changing ones. */
    private static final int[] ONE_BYTE_HOT = {0x9a, 0xea, 0xca, 0xcb, 0xcf, 0xcd, 0xcc, 0xce, 0xc2, 0xc3, 0xe8,
        0xe9, 0xeb, 0xe0, 0xe1, 0xe2, 0xe3, 0x70, 0x7f, 0x8e, 0x8c, 0x8d, 0x9c, 0x9d, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa,
        0xab, 0xac, 0xad, 0xae, 0xaf, 0x6c, 0x6d, 0x6e, 0x6f, 0xc4, 0xc5, 0xc8, 0xc9, 0xd4, 0xd5, 0xd7, 0xe4, 0xe6,
        0xec, 0xee, 0xf4, 0xf6, 0xf7, 0xfe, 0xff, 0x0f, 0x17, 0x1f, 0x07, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62,
        0x63, 0x69, 0x6b, 0x80, 0x81, 0x83, 0x86, 0x87, 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0x8f, 0xc6, 0xc7, 0xfa,
        0xfb, 0x9e, 0x9f, 0x98, 0x99};
    private static final int[] SYSTEM_0F = {0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0d,
        0x18, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x77, 0xa0, 0xa1, 0xa2, 0xa8,
        0xa9, 0xae, 0xaa, 0xb2, 0xb4, 0xb5, 0xc7, 0xb0, 0xb1, 0xc0, 0xc1, 0xb8, 0xbc, 0xbd, 0xff, 0xb9, 0x0b};

    private InstructionSoup() {
    }

    /** About {@code length} bytes of instruction-shaped code for {@code codeBits}-bit code. */
    public static byte[] code(Entropy e, int codeBits, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 16);
        while (out.size() < length) {
            if (e.oneIn(16)) {
                out.write(e.bits8()); // a stray byte shifts the instruction boundaries
            } else {
                instruction(e, codeBits, out);
            }
        }
        return out.toByteArray();
    }

    static void instruction(Entropy e, int codeBits, ByteArrayOutputStream out) {
        int prefixes = e.oneIn(2) ? 0 : e.oneIn(8) ? 1 + e.below(14) : 1 + e.below(3);
        for (int i = 0; i < prefixes; i++) {
            out.write(LEGACY_PREFIXES[e.below(LEGACY_PREFIXES.length)]);
        }
        if (codeBits == 64 && e.oneIn(3)) {
            out.write(0x40 | e.below(16));
            if (e.oneIn(16)) {
                out.write(0x40 | e.below(16)); // REX twice: only the last counts
            }
        }
        int immediate = e.below(5); // 0, 1, 2, 4 or 8 bytes of tail, chosen below
        boolean modrm = true;
        switch (e.below(20)) {
            case 0, 1, 2, 3, 4 -> {
                int op = e.bits8();
                out.write(op);
                modrm = e.oneIn(4) || takesModrm(op);
            }
            case 5, 6 -> out.write(ONE_BYTE_HOT[e.below(ONE_BYTE_HOT.length)]);
            case 7, 8, 9 -> {
                out.write(0x0f);
                out.write(e.bits8());
            }
            case 10 -> {
                out.write(0x0f);
                out.write(SYSTEM_0F[e.below(SYSTEM_0F.length)]);
            }
            case 11 -> {
                out.write(0x0f);
                out.write(0x38);
                out.write(e.oneIn(2) ? e.bits8() : 0xf0 | e.below(16));
            }
            case 12 -> {
                out.write(0x0f);
                out.write(0x3a);
                out.write(e.bits8());
                immediate = 1;
            }
            case 13, 14 -> out.write(0xd8 + e.below(8));
            case 15 -> {
                out.write(0x0f);
                out.write(0x0f); // 3DNow!: ModR/M then the opcode as an immediate byte
                immediate = 1;
            }
            case 16 -> {
                out.write(0xc4);
                out.write(e.oneIn(2) ? 0xc0 | e.below(64) : e.bits8());
                out.write(e.bits8());
                out.write(e.bits8());
            }
            case 17 -> {
                out.write(0xc5);
                out.write(e.oneIn(2) ? 0xc0 | e.below(64) : e.bits8());
                out.write(e.bits8());
            }
            case 18 -> {
                out.write(0x62);
                out.write(e.oneIn(2) ? 0xc0 | e.below(64) : e.bits8());
                out.write(e.bits8());
                out.write(e.bits8());
                out.write(e.bits8());
            }
            default -> {
                out.write(0x8f); // XOP in 64-bit mode when ModR/M.reg != 0, else POP r/m
                out.write(e.bits8());
                out.write(e.bits8());
                out.write(e.bits8());
            }
        }
        if (modrm) {
            int m = switch (e.below(4)) {
                case 0, 1 -> 0xc0 | e.below(64);                 // register form
                case 2 -> e.below(8) << 3 | (e.oneIn(2) ? 0 : 3);  // [rax] / [rbx] style
                default -> e.bits8();
            };
            out.write(m);
            if ((m & 0xc0) != 0xc0 && (m & 7) == 4 && codeBits != 16) {
                out.write(e.bits8()); // SIB
            }
            int disp = (m & 0xc0) == 0x40 ? 1 : (m & 0xc0) == 0x80 ? (codeBits == 16 ? 2 : 4) : 0;
            for (int i = 0; i < disp; i++) {
                out.write(e.bits8());
            }
        }
        int tail = switch (immediate) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 2;
            case 3 -> 4;
            default -> 8;
        };
        for (int i = 0; i < tail; i++) {
            out.write(e.oneIn(4) ? 0 : e.bits8());
        }
    }

    /** One-byte opcodes with a ModR/M byte (SDM Vol. 2 Table A-2, roughly). */
    private static boolean takesModrm(int op) {
        int lo = op & 7;
        if (op < 0x40) {
            return lo < 4;
        }
        return switch (op >> 4) {
            case 6 -> op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b;
            case 8 -> true;
            case 0xc -> op <= 0xc1 || (op >= 0xc4 && op <= 0xc7);
            case 0xd -> op <= 0xd3 || op >= 0xd8;
            case 0xf -> op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
            default -> false;
        };
    }
}
