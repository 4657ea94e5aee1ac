package dev.jvisor.emu.disasm;

/**
 * The legacy and REX prefixes of one instruction (Intel SDM Vol. 2 §2.1.1, §2.2.1) and which of them
 * the instruction consumed. AT&T disassembly, as objdump prints it, names every prefix the instruction
 * did not use ({@code data16}, {@code addr32}, {@code cs}, {@code rex.W}, {@code repz}...) in front of
 * the mnemonic, so each prefix is tracked as used or not. When a prefix is repeated, only its last
 * occurrence can be the used one.
 */
final class Prefixes {
    static final int REX_B = 1, REX_X = 2, REX_R = 4, REX_W = 8, REX_PRESENT = 0x40;

    private final int mode;
    /** Prefix bytes in encoding order. */
    final int[] bytes = new int[15];
    int count;
    boolean lock;
    /** The last of F2/F3, or 0. */
    int rep;
    boolean opsize;
    boolean adsize;
    /**
     * The segment override in effect, in {@link Registers} order (ES, CS, SS, DS, FS, GS), or -1. In
     * 64-bit mode only FS and GS override (SDM Vol. 1 §3.3.7.1): CS, DS, ES and SS prefixes leave it.
     */
    int segment = -1;
    /** The REX byte if it immediately precedes the opcode (64-bit mode), else 0. */
    int rex;
    /** An FWAIT (9B) merged into the following x87 instruction. */
    boolean fwait;
    /** LOCK consumed as the AMD CR8 selector. */
    boolean lockUsed;
    /** A REX prefix before VEX: ignored, so always printed. */
    boolean rexIgnored;

    private int lastSegment = -1;
    private int lastF2 = -1;
    private int lastRep = -1;
    private int lastOpsize = -1;
    private int lastAdsize = -1;
    private int lastRex = -1;

    boolean opsizeUsed;
    boolean adsizeUsed;
    boolean segmentUsed;
    boolean repUsed;
    int rexUsed;
    /** How F2/F3 print when used by a string instruction, a branch or HLE: "rep", "repz", "bnd"... */
    String repName;
    /** A branch that takes MPX BND: every F2 prints as "bnd". */
    boolean bndBranch;
    /** Printed instead of "ds" for 3E on an indirect branch. */
    boolean notrack;
    /** The mandatory prefix consumed by an SSE opcode or VEX.pp (66, F2 or F3), or 0. */
    int mandatory;

    Prefixes(int mode) {
        this.mode = mode;
    }

    static boolean isLegacyPrefix(int b) {
        return switch (b) {
            case 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67 -> true;
            default -> false;
        };
    }

    /** Records one prefix byte (legacy or REX) in encoding order. */
    void add(int b) {
        int i = count++;
        bytes[i] = b;
        if (b >= 0x40 && b <= 0x4f) {
            rex = b;
            lastRex = i;
            return;
        }
        rex = 0; // a REX prefix followed by a legacy prefix is ignored (SDM Vol. 2 §2.2.1)
        switch (b) {
            case 0xf0 -> lock = true;
            case 0xf2, 0xf3 -> {
                rep = b;
                lastRep = i;
                if (b == 0xf2) {
                    lastF2 = i;
                }
            }
            case 0x66 -> {
                opsize = true;
                lastOpsize = i;
            }
            case 0x67 -> {
                adsize = true;
                lastAdsize = i;
            }
            default -> {
                int s = segmentIndex(b);
                lastSegment = i;
                if (mode != 64 || s >= 4) {
                    segment = s;
                }
            }
        }
    }

    /** Whether REX carries the given bit; consulting it marks the bit used. */
    boolean rex(int bit) {
        if ((rex & bit) != 0) {
            rexUsed |= bit | REX_PRESENT;
            return true;
        }
        return false;
    }

    /** Marks the REX prefix as used merely by being present (byte registers SPL..DIL). */
    void rexPresenceUsed() {
        rexUsed |= REX_PRESENT;
    }

    /**
     * The segment prefix text for a memory operand ({@code "%fs:"}) if an override is in effect, which
     * consumes the last segment prefix byte; {@code defaultSegment} (or -1) applies when none is.
     */
    String segmentText(int defaultSegment) {
        int s = segment >= 0 ? segment : defaultSegment;
        if (s < 0) {
            return "";
        }
        if (lastSegment >= 0) {
            segmentUsed = true;
        }
        return Registers.segment(s) + ":";
    }

    /** The printed names of the prefixes the instruction left unused, each followed by a space. */
    String unusedNames(boolean all) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String name = all ? nameOf(bytes[i]) : unusedName(i);
            if (name != null) {
                sb.append(name).append(' ');
            }
        }
        return sb.toString();
    }

    private String unusedName(int i) {
        int b = bytes[i];
        if (b >= 0x40 && b <= 0x4f) {
            return i == lastRex && rex != 0 && rex == rexUsed && !rexIgnored ? null : nameOf(b);
        }
        if (b == 0xf2 || b == 0xf3) {
            if (i == lastRep && mandatory == b) {
                return null;
            }
            if (i == lastRep && repUsed) {
                return repName;
            }
            return b == 0xf2 && bndBranch && i == lastF2 ? "bnd" : nameOf(b);
        }
        if (b == 0x66) {
            return i == lastOpsize && (opsizeUsed || mandatory == 0x66) ? null : nameOf(b);
        }
        if (b == 0x67) {
            return i == lastAdsize && adsizeUsed ? null : nameOf(b);
        }
        if (b == 0xf0) {
            return lockUsed ? null : "lock";
        }
        if (i == lastSegment && notrack) {
            return "notrack";
        }
        return i == lastSegment && segmentUsed ? null : nameOf(b);
    }

    private String nameOf(int b) {
        if (b >= 0x40 && b <= 0x4f) {
            return rexName(b);
        }
        return switch (b) {
            case 0xf0 -> "lock";
            case 0xf2 -> "repnz";
            case 0xf3 -> "repz";
            case 0x66 -> mode == 16 ? "data32" : "data16";
            case 0x67 -> mode == 32 ? "addr16" : "addr32";
            default -> Registers.segmentName(segmentIndex(b));
        };
    }

    static int segmentIndex(int b) {
        return switch (b) {
            case 0x26 -> 0;
            case 0x2e -> 1;
            case 0x36 -> 2;
            case 0x3e -> 3;
            case 0x64 -> 4;
            case 0x65 -> 5;
            default -> -1;
        };
    }

    /** The last segment prefix byte, or 0 (NOTRACK looks at the byte itself). */
    int lastSegmentByte() {
        return lastSegment >= 0 ? bytes[lastSegment] : 0;
    }

    /** Whether any prefix byte equals {@code b}. */
    boolean has(int b) {
        for (int i = 0; i < count; i++) {
            if (bytes[i] == b) {
                return true;
            }
        }
        return false;
    }

    /** Consumes the last segment prefix (branch hints). */
    void useLastSegment() {
        if (lastSegment >= 0) {
            segmentUsed = true;
        }
    }

    private static String rexName(int b) {
        if (b == 0x40) {
            return "rex";
        }
        StringBuilder sb = new StringBuilder("rex.");
        if ((b & REX_W) != 0) {
            sb.append('W');
        }
        if ((b & REX_R) != 0) {
            sb.append('R');
        }
        if ((b & REX_X) != 0) {
            sb.append('X');
        }
        if ((b & REX_B) != 0) {
            sb.append('B');
        }
        return sb.toString();
    }
}
