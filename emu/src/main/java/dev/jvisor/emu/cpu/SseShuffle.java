package dev.jvisor.emu.cpu;

/**
 * Instructions that move elements across lanes: unpacks (PUNPCKLBW..PUNPCKHQDQ, UNPCKLPS..
 * UNPCKHPD, which are the same dword/qword interleaves), packs with saturation, shuffles (PSHUFD,
 * PSHUFHW, PSHUFLW, PSHUFW, SHUFPS, SHUFPD), byte shifts (PSLLDQ/PSRLDQ), PINSRW/PEXTRW and the
 * sign-mask extractions PMOVMSKB/MOVMSKPS/MOVMSKPD (SDM Vol. 2).
 */
final class SseShuffle {
    static final int PUNPCKLBW = 0, PUNPCKLWD = 1, PUNPCKLDQ = 2, PUNPCKLQDQ = 3, PUNPCKHBW = 4, PUNPCKHWD = 5,
            PUNPCKHDQ = 6, PUNPCKHQDQ = 7, PACKSSWB = 8, PACKSSDW = 9, PACKUSWB = 10, PSHUFD = 11, PSHUFHW = 12,
            PSHUFLW = 13, SHUFPS = 14, SHUFPD = 15, PSHUFW = 16;
    static final int PMOVMSKB = 0, MOVMSKPS = 1, MOVMSKPD = 2;

    private SseShuffle() {
    }

    /** XMM forms: xmm = f(xmm, xmm/m128 (aligned), imm8). */
    static final class Xmm extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            long s0;
            long s1;
            if (rm >= 0) {
                s0 = x[2 * rm];
                s1 = x[2 * rm + 1];
            } else {
                long a = addr16(c);
                s0 = c.mmu.read64(a);
                s1 = c.mmu.read64(a + 8);
            }
            int d = 2 * reg;
            long a0 = x[d];
            long a1 = x[d + 1];
            int i = (int) imm;
            long r0;
            long r1;
            switch (op) {
                case PUNPCKLBW, PUNPCKLWD, PUNPCKLDQ -> {
                    r0 = interleave(op, (int) a0, (int) s0);
                    r1 = interleave(op, (int) (a0 >>> 32), (int) (s0 >>> 32));
                }
                case PUNPCKHBW, PUNPCKHWD, PUNPCKHDQ -> {
                    r0 = interleave(op - 4, (int) a1, (int) s1);
                    r1 = interleave(op - 4, (int) (a1 >>> 32), (int) (s1 >>> 32));
                }
                case PUNPCKLQDQ -> {
                    r0 = a0;
                    r1 = s0;
                }
                case PUNPCKHQDQ -> {
                    r0 = a1;
                    r1 = s1;
                }
                case PACKSSWB, PACKSSDW, PACKUSWB -> {
                    r0 = (pack(op, a0) & 0xffff_ffffL) | ((long) pack(op, a1) << 32);
                    r1 = (pack(op, s0) & 0xffff_ffffL) | ((long) pack(op, s1) << 32);
                }
                case PSHUFD -> {
                    r0 = dword(s0, s1, i) | dword(s0, s1, i >> 2) << 32;
                    r1 = dword(s0, s1, i >> 4) | dword(s0, s1, i >> 6) << 32;
                }
                case PSHUFHW -> {
                    r0 = s0;
                    r1 = shuffleWords(s1, i);
                }
                case PSHUFLW -> {
                    r0 = shuffleWords(s0, i);
                    r1 = s1;
                }
                case SHUFPS -> {
                    r0 = dword(a0, a1, i) | dword(a0, a1, i >> 2) << 32;
                    r1 = dword(s0, s1, i >> 4) | dword(s0, s1, i >> 6) << 32;
                }
                default -> { // SHUFPD
                    r0 = (i & 1) != 0 ? a1 : a0;
                    r1 = (i & 2) != 0 ? s1 : s0;
                }
            }
            x[d] = r0;
            x[d + 1] = r1;
        }
    }

    /** MMX forms: PUNPCKL* (the memory operand is only 32 bits), PUNPCKH*, PACK*, PSHUFW. */
    static final class Mmx extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.checkMmx(c);
            long s;
            if (rm >= 0) {
                s = Sse.mm(c, rm);
            } else {
                s = op <= PUNPCKLDQ ? c.mmu.read32(ea(c)) : c.mmu.read64(ea(c));
            }
            Sse.enterMmx(c);
            long a = Sse.mm(c, reg);
            long r = switch (op) {
                case PUNPCKLBW, PUNPCKLWD, PUNPCKLDQ -> interleave(op, (int) a, (int) s);
                case PUNPCKHBW, PUNPCKHWD, PUNPCKHDQ -> interleave(op - 4, (int) (a >>> 32), (int) (s >>> 32));
                case PACKSSWB, PACKSSDW, PACKUSWB -> (pack(op, a) & 0xffff_ffffL) | ((long) pack(op, s) << 32);
                default -> shuffleWords(s, (int) imm); // PSHUFW
            };
            Sse.setMm(c, reg, r);
        }
    }

    /** Interleaves the elements of two 32-bit halves: a0 b0 a1 b1... ({@code op} gives the element size). */
    static long interleave(int op, int a, int b) {
        long x = a & 0xffff_ffffL;
        long y = b & 0xffff_ffffL;
        return switch (op) {
            case PUNPCKLBW -> spreadBytes(x) | spreadBytes(y) << 8;
            case PUNPCKLWD -> spreadWords(x) | spreadWords(y) << 16;
            default -> x | y << 32;
        };
    }

    /** Moves byte i of a 32-bit value to bits 16i..16i+7. */
    private static long spreadBytes(long x) {
        x = spreadWords(x);
        return (x | x << 8) & 0x00ff_00ff_00ff_00ffL;
    }

    /** Moves word i of a 32-bit value to bits 32i..32i+15. */
    private static long spreadWords(long x) {
        return (x | x << 16) & 0x0000_ffff_0000_ffffL;
    }

    /** Packs the elements of one quadword into 32 bits with saturation. */
    static int pack(int op, long v) {
        int r = 0;
        switch (op) {
            case PACKSSWB -> {
                for (int i = 0; i < 4; i++) {
                    int w = (short) (v >>> (16 * i));
                    r |= (Math.max(-128, Math.min(127, w)) & 0xff) << (8 * i);
                }
            }
            case PACKUSWB -> {
                for (int i = 0; i < 4; i++) {
                    int w = (short) (v >>> (16 * i));
                    r |= Math.max(0, Math.min(255, w)) << (8 * i);
                }
            }
            default -> { // PACKSSDW
                for (int i = 0; i < 2; i++) {
                    int dw = (int) (v >>> (32 * i));
                    r |= (Math.max(-32768, Math.min(32767, dw)) & 0xffff) << (16 * i);
                }
            }
        }
        return r;
    }

    /** Dword {@code sel & 3} of the 128-bit value (lo, hi), zero-extended. */
    private static long dword(long lo, long hi, int sel) {
        long q = (sel & 2) != 0 ? hi : lo;
        return (sel & 1) != 0 ? q >>> 32 : q & 0xffff_ffffL;
    }

    /** PSHUFW/PSHUFLW/PSHUFHW on one quadword: word i of the result is word (sel >> 2i) & 3. */
    static long shuffleWords(long v, int sel) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            int from = (sel >> (2 * i)) & 3;
            r |= ((v >>> (16 * from)) & 0xffff) << (16 * i);
        }
        return r;
    }

    /** PSLLDQ ({@code op} 1) and PSRLDQ ({@code op} 0) xmm, imm8: shift by bytes; counts over 15 clear. */
    static final class ByteShift extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            int d = 2 * reg;
            long lo = x[d];
            long hi = x[d + 1];
            int bits = (int) Math.min(imm & 0xff, 16) * 8;
            if (bits == 0) {
                return;
            }
            long rlo;
            long rhi;
            if (op == 1) { // left
                if (bits >= 64) {
                    rhi = bits == 128 ? 0 : lo << (bits - 64);
                    rlo = 0;
                } else {
                    rhi = (hi << bits) | (lo >>> (64 - bits));
                    rlo = lo << bits;
                }
            } else if (bits >= 64) {
                rlo = bits == 128 ? 0 : hi >>> (bits - 64);
                rhi = 0;
            } else {
                rlo = (lo >>> bits) | (hi << (64 - bits));
                rhi = hi >>> bits;
            }
            x[d] = rlo;
            x[d + 1] = rhi;
        }
    }

    /** PINSRW mm/xmm, r32/m16, imm8 ({@code mmx} selects the register file). */
    static final class Pinsrw extends SseInsn {
        boolean mmx;

        @Override
        void exec(Cpu c) {
            if (mmx) {
                Sse.checkMmx(c);
            } else {
                Sse.check(c);
            }
            long w = rm >= 0 ? c.r[rm] & 0xffff : c.mmu.read16(ea(c));
            if (mmx) {
                Sse.enterMmx(c);
                int sh = 16 * ((int) imm & 3);
                Sse.setMm(c, reg, (Sse.mm(c, reg) & ~(0xffffL << sh)) | (w << sh));
            } else {
                int i = (int) imm & 7;
                int q = 2 * reg + (i >> 2);
                int sh = 16 * (i & 3);
                c.xmm[q] = (c.xmm[q] & ~(0xffffL << sh)) | (w << sh);
            }
        }
    }

    /** PEXTRW r32/r64, mm/xmm, imm8: the word, zero-extended into the general register {@code reg}. */
    static final class Pextrw extends SseInsn {
        boolean mmx;

        @Override
        void exec(Cpu c) {
            long v;
            int i = (int) imm;
            if (mmx) {
                Sse.checkMmx(c);
                Sse.enterMmx(c);
                v = Sse.mm(c, rm) >>> (16 * (i & 3));
            } else {
                Sse.check(c);
                v = c.xmm[2 * rm + ((i >> 2) & 1)] >>> (16 * (i & 3));
            }
            c.r[reg] = v & 0xffff;
        }
    }

    /** PMOVMSKB, MOVMSKPS, MOVMSKPD: element sign bits into the general register {@code reg}. */
    static final class MoveMask extends SseInsn {
        boolean mmx;

        @Override
        void exec(Cpu c) {
            long m;
            if (mmx) {
                Sse.checkMmx(c);
                Sse.enterMmx(c);
                m = byteSigns(Sse.mm(c, rm));
            } else {
                Sse.check(c);
                long lo = c.xmm[2 * rm];
                long hi = c.xmm[2 * rm + 1];
                m = switch (op) {
                    case PMOVMSKB -> byteSigns(lo) | byteSigns(hi) << 8;
                    case MOVMSKPS -> (lo >>> 31 & 1) | (lo >>> 62 & 2) | (hi >>> 29 & 4) | (hi >>> 60 & 8);
                    default -> (lo >>> 63) | (hi >>> 62 & 2);
                };
            }
            c.r[reg] = m;
        }
    }

    /** The top bit of each byte, byte i to bit i (one multiply gathers them without carries). */
    static long byteSigns(long v) {
        return ((v & 0x8080_8080_8080_8080L) * 0x0002_0408_1020_4081L) >>> 56;
    }
}
