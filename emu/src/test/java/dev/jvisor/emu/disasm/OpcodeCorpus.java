package dev.jvisor.emu.disasm;

import java.io.ByteArrayOutputStream;

/**
 * Generates a test corpus covering the opcode maps: every opcode of the one-byte, 0F, 0F38 and 0F3A
 * maps, the VEX maps and the x87 escapes, with a selection of ModRM/SIB forms, legacy and REX
 * prefixes. Each candidate is followed by displacement/immediate bytes and a resynchronising filler
 * (thirteen CS prefixes and a NOP: whatever a stray instruction swallows, decoding is back on a
 * boundary at the end of the slot), so every candidate starts on an instruction boundary.
 */
final class OpcodeCorpus {
    private static final byte[][] TAILS = {
            {0x78, 0x56, 0x34, 0x12, (byte) 0x9a, (byte) 0xbc, (byte) 0xde, 0x70},
            {(byte) 0xf0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x80, 0x00, 0x00, (byte) 0x80},
            {0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00},
            {(byte) 0x80, 0x10, 0x00, 0x00, 0x7f, 0x7f, (byte) 0xff, 0x00}};

    /** ModRM + SIB/displacement starts: the memory addressing forms and register forms. */
    private static final int[][] MODRM_FORMS = {{0x00}, {0x04, 0x88}, {0x04, 0x25}, {0x05}, {0x44, 0x64}, {0x85},
            {0xc1}, {0xc6}, {0x04, 0x65}, {0x04, 0x26}};
    /** The forms used with each prefix set. */
    private static final int[][] PREFIXED_FORMS = {{0x00}, {0xc1}, {0x44, 0x64}};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int slots;

    /** Appends one candidate (its leading bytes), then tail bytes and the filler. */
    void add(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        out.writeBytes(TAILS[slots++ & 3]);
        for (int i = 0; i < 13; i++) {
            out.write(0x2e);
        }
        out.write(0x90);
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    int size() {
        return slots;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Whether an entry chooses by ModRM.reg or ModRM.rm (so every reg/rm value deserves a test). */
    private static boolean grouped(Entry e, boolean byRm) {
        return switch (e) {
            case Entry.ByReg r -> !byRm || java.util.Arrays.stream(r.byReg()).anyMatch(x -> grouped(x, true));
            case Entry.ByRm r -> true;
            case Entry.ByMod m -> grouped(m.memory(), byRm) || grouped(m.register(), byRm);
            case Entry.ByPrefix p -> grouped(p.none(), byRm) || grouped(p.p66(), byRm) || grouped(p.pF3(), byRm)
                    || grouped(p.pF2(), byRm);
            case Entry.ByMode m -> grouped(m.legacy(), byRm) || grouped(m.long64(), byRm);
            case Entry.ByW w -> grouped(w.w0(), byRm) || grouped(w.w1(), byRm);
            case Entry.ByL l -> grouped(l.l0(), byRm) || grouped(l.l1(), byRm);
            default -> false;
        };
    }

    private static int[] withReg(int[] form, int reg) {
        int[] m = form.clone();
        m[0] |= reg << 3;
        return m;
    }

    /**
     * Every opcode of a map: each ModRM form (every ModRM.reg for groups, every register ModRM byte
     * for groups chosen by ModRM.rm), then a few forms with each prefix set.
     */
    void addMap(int[] escape, Entry[] map, int[][] prefixSets) {
        for (int opcode = 0; opcode < 256; opcode++) {
            int[] head = concat(escape, new int[] {opcode});
            boolean byReg = grouped(map[opcode], false);
            for (int f = 0; f < MODRM_FORMS.length; f++) {
                for (int reg = byReg ? 0 : f & 7; reg < (byReg ? 8 : (f & 7) + 1); reg++) {
                    add(concat(head, withReg(MODRM_FORMS[f], reg)));
                }
            }
            if (grouped(map[opcode], true)) {
                for (int modrm = 0xc0; modrm < 0x100; modrm++) {
                    add(concat(head, new int[] {modrm}));
                }
            }
            for (int[] prefix : prefixSets) {
                for (int f = 0; f < PREFIXED_FORMS.length; f++) {
                    for (int reg = byReg ? 0 : f * 3 & 7; reg < (byReg ? 8 : (f * 3 & 7) + 1); reg++) {
                        add(concat(concat(prefix, head), withReg(PREFIXED_FORMS[f], reg)));
                    }
                }
            }
        }
    }

    /** x87: every ModRM byte of every escape, plus memory forms with prefixes. */
    void addX87(int[][] prefixSets) {
        for (int esc = 0xd8; esc <= 0xdf; esc++) {
            for (int modrm = 0; modrm < 256; modrm++) {
                add(esc, modrm);
            }
            for (int[] prefix : prefixSets) {
                for (int reg = 0; reg < 8; reg++) {
                    add(concat(prefix, new int[] {esc, reg << 3}));
                }
            }
        }
    }

    /** VEX: both forms, every map 1..3 opcode, pp, L, W, with register and memory ModRM. */
    void addVex(boolean longMode) {
        int[][] modrms = {{0xc1}, {0x04, 0x48}, {0x05}};
        for (int opcode = 0; opcode < 256; opcode++) {
            for (int pp = 0; pp < 4; pp++) {
                for (int l = 0; l < 2; l++) {
                    int vvvv = longMode ? 0x2 : 0xa; // register 13 in 64-bit mode, 5 elsewhere
                    int c5 = 0x80 | (vvvv << 3) | (l << 2) | pp;
                    for (int[] m : modrms) {
                        add(concat(new int[] {0xc5, c5, opcode}, m));
                    }
                    for (int map = 2; map <= 3; map++) {
                        for (int w = 0; w < 2; w++) {
                            int b1 = (longMode ? 0x60 : 0xe0) | map; // REX.B set in 64-bit mode
                            int b2 = (w << 7) | (vvvv << 3) | (l << 2) | pp;
                            for (int[] m : modrms) {
                                add(concat(new int[] {0xc4, b1, b2, opcode}, m));
                            }
                        }
                    }
                }
            }
        }
    }

    /** The corpus for one code size. */
    static OpcodeCorpus forMode(CodeSize size) {
        boolean longMode = size == CodeSize.BITS_64;
        int[][] legacy = {{0x66}, {0xf3}, {0xf2}, {0x67}, {0xf0}, {0x64}, {0x2e}, {0x66, 0xf2}};
        int[][] prefixes = longMode
                ? concatSets(legacy, new int[][] {{0x48}, {0x41}, {0x44}, {0x42}, {0x40}, {0x66, 0x48}})
                : legacy;
        int[][] ssePrefixes = longMode
                ? new int[][] {{0x66}, {0xf3}, {0xf2}, {0x48}, {0x66, 0x48}, {0x45}, {0xf2, 0x48}, {0xf3, 0x48}}
                : new int[][] {{0x66}, {0xf3}, {0xf2}};
        OpcodeCorpus c = new OpcodeCorpus();
        c.addMap(new int[0], OneByteMap.MAP, prefixes);
        c.addMap(new int[] {0x0f}, TwoByteMap.MAP, concatSets(ssePrefixes, new int[][] {{0x67}, {0xf0}, {0x64}}));
        c.addMap(new int[] {0x0f, 0x38}, ThreeByteMaps.MAP_38, ssePrefixes);
        c.addMap(new int[] {0x0f, 0x3a}, ThreeByteMaps.MAP_3A, ssePrefixes);
        c.addX87(longMode ? new int[][] {{0x66}, {0x48}, {0x67}} : new int[][] {{0x66}, {0x67}});
        c.addVex(longMode);
        return c;
    }

    private static int[][] concatSets(int[][] a, int[][] b) {
        int[][] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
