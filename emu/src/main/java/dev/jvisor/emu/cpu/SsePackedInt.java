package dev.jvisor.emu.cpu;

/**
 * Packed integer instructions that work independently on each 64-bit half of an operand, so one
 * routine serves both the MMX form (one quadword) and the SSE2 XMM form (two quadwords): add and
 * subtract with wrap-around or saturation, multiplies, compares, logic (including ANDPS/ORPS...,
 * which are the same bit operations), averages, min/max, PSADBW and the shifts by a count (SDM
 * Vol. 2 PADDB..PXOR; Vol. 1 §9.4, §11.4.3).
 *
 * <p>Lane-crossing byte and word operations use SWAR bit tricks where that is simple and exact,
 * otherwise short loops over the elements; nothing allocates.
 */
final class SsePackedInt {
    static final int PADDB = 0, PADDW = 1, PADDD = 2, PADDQ = 3, PSUBB = 4, PSUBW = 5, PSUBD = 6, PSUBQ = 7,
            PADDSB = 8, PADDSW = 9, PADDUSB = 10, PADDUSW = 11, PSUBSB = 12, PSUBSW = 13, PSUBUSB = 14,
            PSUBUSW = 15, PMULLW = 16, PMULHW = 17, PMULHUW = 18, PMULUDQ = 19, PMADDWD = 20, PCMPEQB = 21,
            PCMPEQW = 22, PCMPEQD = 23, PCMPGTB = 24, PCMPGTW = 25, PCMPGTD = 26, PAND = 27, PANDN = 28,
            POR = 29, PXOR = 30, PAVGB = 31, PAVGW = 32, PMINUB = 33, PMAXUB = 34, PMINSW = 35, PMAXSW = 36,
            PSADBW = 37;
    /** Shifts: the second operand is a count shared by both halves. */
    static final int PSRLW = 40, PSRLD = 41, PSRLQ = 42, PSRAW = 43, PSRAD = 44, PSLLW = 45, PSLLD = 46,
            PSLLQ = 47;

    private static final long H8 = 0x8080_8080_8080_8080L, H16 = 0x8000_8000_8000_8000L,
            H32 = 0x8000_0000_8000_0000L;
    private static final long L8 = ~H8, L16 = ~H16;

    private SsePackedInt() {
    }

    /** XMM form: xmm op= xmm/m128 (aligned), or xmm shifted by an immediate ({@code immCount}). */
    static final class Xmm extends SseInsn {
        /** Shift by {@code imm} (0F 71-73 groups); the register operand is {@code reg}. */
        boolean immCount;

        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            long s0;
            long s1;
            if (immCount) {
                s0 = s1 = imm;
            } else if (rm >= 0) {
                s0 = x[2 * rm];
                s1 = x[2 * rm + 1];
            } else {
                long a = addr16(c);
                s0 = c.mmu.read64(a);
                s1 = c.mmu.read64(a + 8);
            }
            if (op >= PSRLW) {
                s1 = s0; // the count is the low quadword of the source
            }
            int d = 2 * reg;
            x[d] = lane(op, x[d], s0);
            x[d + 1] = lane(op, x[d + 1], s1);
        }
    }

    /** MMX form: mm op= mm/m64, or mm shifted by an immediate. */
    static final class Mmx extends SseInsn {
        boolean immCount;

        @Override
        void exec(Cpu c) {
            Sse.checkMmx(c);
            long s = immCount ? imm : rm >= 0 ? Sse.mm(c, rm) : c.mmu.read64(ea(c));
            Sse.enterMmx(c);
            Sse.setMm(c, reg, lane(op, Sse.mm(c, reg), s));
        }
    }

    /** One 64-bit half: {@code a op b}. */
    static long lane(int op, long a, long b) {
        return switch (op) {
            case PADDB -> ((a & L8) + (b & L8)) ^ ((a ^ b) & H8);
            case PADDW -> ((a & L16) + (b & L16)) ^ ((a ^ b) & H16);
            case PADDD -> ((a & ~H32) + (b & ~H32)) ^ ((a ^ b) & H32);
            case PADDQ -> a + b;
            case PSUBB -> ((a | H8) - (b & L8)) ^ ((a ^ ~b) & H8);
            case PSUBW -> ((a | H16) - (b & L16)) ^ ((a ^ ~b) & H16);
            case PSUBD -> ((a | H32) - (b & ~H32)) ^ ((a ^ ~b) & H32);
            case PSUBQ -> a - b;
            case PAND -> a & b;
            case PANDN -> ~a & b;
            case POR -> a | b;
            case PXOR -> a ^ b;
            case PCMPEQB -> {
                long z = a ^ b;
                long nonzero = ((z & L8) + L8) | z;
                yield ((~nonzero & H8) >>> 7) * 0xff;
            }
            case PCMPEQW -> {
                long z = a ^ b;
                long nonzero = ((z & L16) + L16) | z;
                yield ((~nonzero & H16) >>> 15) * 0xffff;
            }
            case PCMPEQD -> ((int) a == (int) b ? 0xffff_ffffL : 0)
                    | ((a >>> 32) == (b >>> 32) ? 0xffff_ffff_0000_0000L : 0);
            case PAVGB -> (a | b) - (((a ^ b) & 0xfefe_fefe_fefe_fefeL) >>> 1);
            case PAVGW -> (a | b) - (((a ^ b) & 0xfffe_fffe_fffe_fffeL) >>> 1);
            case PMULUDQ -> (a & 0xffff_ffffL) * (b & 0xffff_ffffL);
            case PMADDWD -> {
                long lo = (long) (short) a * (short) b + (long) (short) (a >>> 16) * (short) (b >>> 16);
                long hi = (long) (short) (a >>> 32) * (short) (b >>> 32)
                        + (long) (short) (a >>> 48) * (short) (b >>> 48);
                yield (lo & 0xffff_ffffL) | (hi << 32);
            }
            case PSADBW -> {
                long sum = 0;
                for (int i = 0; i < 64; i += 8) {
                    sum += Math.abs((int) ((a >>> i) & 0xff) - (int) ((b >>> i) & 0xff));
                }
                yield sum;
            }
            case PSRLW, PSRLD, PSRLQ, PSRAW, PSRAD, PSLLW, PSLLD, PSLLQ -> shift(op, a, b);
            case PCMPGTD -> ((int) a > (int) b ? 0xffff_ffffL : 0)
                    | ((int) (a >>> 32) > (int) (b >>> 32) ? 0xffff_ffff_0000_0000L : 0);
            default -> op <= PSUBUSW || op == PCMPGTB || op == PMINUB || op == PMAXUB ? bytesOrWords(op, a, b)
                    : words(op, a, b);
        };
    }

    /** Saturating add/subtract, byte compares and byte min/max, element by element. */
    private static long bytesOrWords(int op, long a, long b) {
        boolean bytes = op == PADDSB || op == PADDUSB || op == PSUBSB || op == PSUBUSB || op == PCMPGTB
                || op == PMINUB || op == PMAXUB;
        if (!bytes) {
            return words(op, a, b);
        }
        long r = 0;
        for (int i = 0; i < 64; i += 8) {
            int x = (int) (a >>> i) & 0xff;
            int y = (int) (b >>> i) & 0xff;
            int v = switch (op) {
                case PADDSB -> clamp((byte) x + (byte) y, -128, 127);
                case PADDUSB -> Math.min(x + y, 255);
                case PSUBSB -> clamp((byte) x - (byte) y, -128, 127);
                case PSUBUSB -> Math.max(x - y, 0);
                case PCMPGTB -> (byte) x > (byte) y ? 0xff : 0;
                case PMINUB -> Math.min(x, y);
                default -> Math.max(x, y); // PMAXUB
            };
            r |= (long) (v & 0xff) << i;
        }
        return r;
    }

    /** Word operations: saturating add/subtract, multiplies, compares, signed min/max. */
    private static long words(int op, long a, long b) {
        long r = 0;
        for (int i = 0; i < 64; i += 16) {
            int x = (int) (a >>> i) & 0xffff;
            int y = (int) (b >>> i) & 0xffff;
            int v = switch (op) {
                case PADDSW -> clamp((short) x + (short) y, -32768, 32767);
                case PADDUSW -> Math.min(x + y, 0xffff);
                case PSUBSW -> clamp((short) x - (short) y, -32768, 32767);
                case PSUBUSW -> Math.max(x - y, 0);
                case PMULLW -> x * y;
                case PMULHW -> ((short) x * (short) y) >> 16;
                case PMULHUW -> (x * y) >>> 16;
                case PCMPGTW -> (short) x > (short) y ? 0xffff : 0;
                case PMINSW -> Math.min((short) x, (short) y);
                case PMAXSW -> Math.max((short) x, (short) y);
                default -> throw new IllegalStateException("packed op " + op);
            };
            r |= (long) (v & 0xffff) << i;
        }
        return r;
    }

    private static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : Math.min(v, hi);
    }

    /**
     * PSRL/PSRA/PSLL W/D/Q by an unsigned 64-bit count: logical shifts by more than the element
     * width give zero, arithmetic ones fill with the sign (SDM Vol. 2 PSRLW/PSRAW/PSLLW).
     */
    static long shift(int op, long a, long count) {
        int width = switch (op) {
            case PSRLW, PSRAW, PSLLW -> 16;
            case PSRLD, PSRAD, PSLLD -> 32;
            default -> 64;
        };
        boolean big = Long.compareUnsigned(count, width - 1) > 0;
        if (big && op != PSRAW && op != PSRAD) {
            return 0;
        }
        int n = big ? width - 1 : (int) count;
        return switch (op) {
            case PSRLQ -> a >>> n;
            case PSLLQ -> a << n;
            case PSRLW -> (a >>> n) & (0xffffL >>> n) * 0x0001_0001_0001_0001L;
            case PSLLW -> (a << n) & ((0xffffL << n) & 0xffff) * 0x0001_0001_0001_0001L;
            case PSRLD -> (a >>> n) & (0xffff_ffffL >>> n) * 0x0000_0001_0000_0001L;
            case PSLLD -> (a << n) & ((0xffff_ffffL << n) & 0xffff_ffffL) * 0x0000_0001_0000_0001L;
            case PSRAD -> ((long) ((int) a >> n) & 0xffff_ffffL) | ((long) ((int) (a >>> 32) >> n) << 32);
            default -> { // PSRAW
                long r = 0;
                for (int i = 0; i < 64; i += 16) {
                    r |= ((long) ((short) (a >>> i) >> n) & 0xffff) << i;
                }
                yield r;
            }
        };
    }
}
