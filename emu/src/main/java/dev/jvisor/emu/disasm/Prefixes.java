package dev.jvisor.emu.disasm;

/**
 * The legacy and REX prefixes of one instruction (Intel SDM Vol. 2 §2.1.1, §2.2.1) and which of them
 * the instruction consumed. AT&T disassembly, as objdump prints it, names every prefix the instruction
 * did not use ({@code data16}, {@code addr32}, {@code cs}, {@code rex.W}, {@code repz}...) in front of
 * the mnemonic, so each prefix is tracked as used or not.
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
    /** Index in {@link Registers} order (ES, CS, SS, DS, FS, GS) of the last segment override, or -1. */
    int segment = -1;
    /** The REX byte if it immediately precedes the opcode (64-bit mode), else 0. */
    int rex;

    boolean opsizeUsed;
    boolean adsizeUsed;
    boolean segmentUsed;
    boolean repUsed;
    int rexUsed;
    /** How F2/F3 print when used by a string instruction or a branch: "rep", "repz"/"repnz", "bnd". */
    String repName;
    /** Printed instead of "ds" for 3E on an indirect branch. */
    boolean notrack;
    /** The mandatory prefix consumed by an SSE opcode (66, F2 or F3), not printed. */
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
        bytes[count++] = b;
        if (b >= 0x40 && b <= 0x4f) {
            rex = b;
            return;
        }
        rex = 0; // a REX prefix followed by a legacy prefix is ignored (SDM Vol. 2 §2.2.1)
        switch (b) {
            case 0xf0 -> lock = true;
            case 0xf2, 0xf3 -> rep = b;
            case 0x66 -> opsize = true;
            case 0x67 -> adsize = true;
            case 0x26 -> segment = 0;
            case 0x2e -> segment = 1;
            case 0x36 -> segment = 2;
            case 0x3e -> segment = 3;
            case 0x64 -> segment = 4;
            case 0x65 -> segment = 5;
            default -> throw new IllegalArgumentException("not a prefix: " + b);
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

    /** The printed names of the prefixes the instruction left unused, each followed by a space. */
    String unusedNames(boolean all) {
        StringBuilder sb = new StringBuilder();
        int lastSegment = -1;
        int lastRep = -1;
        int lastRex = -1;
        for (int i = 0; i < count; i++) {
            int b = bytes[i];
            if (b >= 0x40 && b <= 0x4f) {
                lastRex = i;
            } else if (b == 0xf2 || b == 0xf3) {
                lastRep = i;
            } else if (segmentIndex(b) >= 0) {
                lastSegment = i;
            }
        }
        boolean seenOpsize = false;
        boolean seenAdsize = false;
        for (int i = 0; i < count; i++) {
            int b = bytes[i];
            String name = null;
            if (b >= 0x40 && b <= 0x4f) {
                if (all || i != lastRex || rex == 0 || rex != rexUsed) {
                    name = rexName(b);
                }
            } else if (b == 0xf0) {
                name = "lock";
            } else if (b == 0xf2 || b == 0xf3) {
                if (!all && i == lastRep && mandatory == b) {
                    name = null;
                } else if (!all && i == lastRep && repUsed) {
                    name = repName;
                } else {
                    name = b == 0xf3 ? "repz" : "repnz";
                }
            } else if (b == 0x66) {
                if (all || seenOpsize || !(opsizeUsed || mandatory == 0x66)) {
                    name = mode == 16 ? "data32" : "data16";
                }
                seenOpsize = true;
            } else if (b == 0x67) {
                if (all || seenAdsize || !adsizeUsed) {
                    name = mode == 32 ? "addr16" : "addr32";
                }
                seenAdsize = true;
            } else {
                if (all || i != lastSegment || !segmentUsed) {
                    name = i == lastSegment && notrack && !all ? "notrack" : Registers.segmentName(segmentIndex(b));
                }
            }
            if (name != null) {
                sb.append(name).append(' ');
            }
        }
        return sb.toString();
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
