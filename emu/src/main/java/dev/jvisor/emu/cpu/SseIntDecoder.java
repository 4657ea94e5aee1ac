package dev.jvisor.emu.cpu;

/**
 * The packed-integer rows of the two-byte opcode map, 0F 60-7F and 0F D0-FF (SDM Vol. 2D Table
 * without a mandatory prefix they operate on MMX registers (64 bits), with 66 on XMM
 * registers (128 bits, aligned memory operands). A few opcodes take F2/F3 (MOVDQU, MOVQ,
 * PSHUFHW/PSHUFLW, MOVQ2DQ/MOVDQ2Q, the 0F E6 conversions). MMX register numbers ignore REX.
 */
final class SseIntDecoder {
    /** Lane-wise {@link SsePackedInt} operation of each opcode 0F 60..FF, or -1. */
    private static final int[] LANE = new int[0xa0];
    /** {@link SseShuffle} operation of each opcode, or -1. */
    private static final int[] SHUFFLE = new int[0xa0];

    static {
        java.util.Arrays.fill(LANE, -1);
        java.util.Arrays.fill(SHUFFLE, -1);
        lane(0x64, SsePackedInt.PCMPGTB, 0x65, SsePackedInt.PCMPGTW, 0x66, SsePackedInt.PCMPGTD,
                0x74, SsePackedInt.PCMPEQB, 0x75, SsePackedInt.PCMPEQW, 0x76, SsePackedInt.PCMPEQD,
                0xd1, SsePackedInt.PSRLW, 0xd2, SsePackedInt.PSRLD, 0xd3, SsePackedInt.PSRLQ,
                0xd4, SsePackedInt.PADDQ, 0xd5, SsePackedInt.PMULLW, 0xd8, SsePackedInt.PSUBUSB,
                0xd9, SsePackedInt.PSUBUSW, 0xda, SsePackedInt.PMINUB, 0xdb, SsePackedInt.PAND,
                0xdc, SsePackedInt.PADDUSB, 0xdd, SsePackedInt.PADDUSW, 0xde, SsePackedInt.PMAXUB,
                0xdf, SsePackedInt.PANDN, 0xe0, SsePackedInt.PAVGB, 0xe1, SsePackedInt.PSRAW,
                0xe2, SsePackedInt.PSRAD, 0xe3, SsePackedInt.PAVGW, 0xe4, SsePackedInt.PMULHUW,
                0xe5, SsePackedInt.PMULHW, 0xe8, SsePackedInt.PSUBSB, 0xe9, SsePackedInt.PSUBSW,
                0xea, SsePackedInt.PMINSW, 0xeb, SsePackedInt.POR, 0xec, SsePackedInt.PADDSB,
                0xed, SsePackedInt.PADDSW, 0xee, SsePackedInt.PMAXSW, 0xef, SsePackedInt.PXOR,
                0xf1, SsePackedInt.PSLLW, 0xf2, SsePackedInt.PSLLD, 0xf3, SsePackedInt.PSLLQ,
                0xf4, SsePackedInt.PMULUDQ, 0xf5, SsePackedInt.PMADDWD, 0xf6, SsePackedInt.PSADBW,
                0xf8, SsePackedInt.PSUBB, 0xf9, SsePackedInt.PSUBW, 0xfa, SsePackedInt.PSUBD,
                0xfb, SsePackedInt.PSUBQ, 0xfc, SsePackedInt.PADDB, 0xfd, SsePackedInt.PADDW,
                0xfe, SsePackedInt.PADDD);
        int[] shuffles = {SseShuffle.PUNPCKLBW, SseShuffle.PUNPCKLWD, SseShuffle.PUNPCKLDQ, SseShuffle.PACKSSWB,
            -1, -1, -1, SseShuffle.PACKUSWB, SseShuffle.PUNPCKHBW, SseShuffle.PUNPCKHWD, SseShuffle.PUNPCKHDQ,
            SseShuffle.PACKSSDW, SseShuffle.PUNPCKLQDQ, SseShuffle.PUNPCKHQDQ};
        System.arraycopy(shuffles, 0, SHUFFLE, 0, shuffles.length);
    }

    private static void lane(int... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            LANE[pairs[i] - 0x60] = pairs[i + 1];
        }
    }

    private SseIntDecoder() {
    }

    static Insn decode(Decoder d, int b, int mp) {
        Insn t = d.t;
        if (b == 0x77) {
            return mp == 0 ? d.make(new MmxMove.Emms()) : d.undefined();
        }
        if ((b >= 0x78 && b <= 0x7d) || b == 0xd0 || b == 0xf0 || b == 0xff) {
            return d.undefined(); // VMREAD/VMWRITE, SSE3, SSE4a, UD0: not advertised
        }
        d.modrm(4);
        boolean mem = d.isMem();
        boolean mmx = mp == 0;
        int lane = LANE[b - 0x60];
        int shuffle = SHUFFLE[b - 0x60];
        if (lane >= 0 || shuffle >= 0) {
            if (mp != 0 && mp != 0x66 || (mmx && (b == 0x6c || b == 0x6d))) {
                return d.undefined();
            }
            if (lane >= 0) {
                return mmx ? mmx(d, new SsePackedInt.Mmx(), lane)
                        : SseDecoder.sse(d, new SsePackedInt.Xmm(), lane, true);
            }
            return mmx ? mmx(d, new SseShuffle.Mmx(), shuffle) : SseDecoder.sse(d, new SseShuffle.Xmm(), shuffle, true);
        }
        switch (b) {
            case 0x6e, 0x7e -> { // MOVD/MOVQ between general registers or memory and MMX/XMM
                t.size = d.rexW ? 8 : 4;
                if (b == 0x7e && mp == 0xf3) {
                    t.size = 8;
                    return SseDecoder.sse(d, new SseMove.ToXmm(), 1, false); // MOVQ xmm, xmm/m64
                }
                if (mmx) {
                    MmxMove.Move m = SseDecoder.sse(d, new MmxMove.Move(), b == 0x6e ? MmxMove.TO_MM : MmxMove.FROM_MM,
                            false);
                    m.reg &= 7;
                    return m;
                }
                if (mp != 0x66) {
                    return d.undefined();
                }
                return b == 0x6e ? SseDecoder.sse(d, new SseMove.ToXmm(), 0, false)
                        : SseDecoder.sse(d, new SseMove.FromXmm(), 0, false);
            }
            case 0x6f, 0x7f -> { // MOVQ mm / MOVDQA / MOVDQU
                if (mmx) {
                    if (b == 0x7f && mem) {
                        return mmx(d, new MmxMove.Move(), MmxMove.STORE);
                    }
                    return SseDecoder.swapIf(b == 0x7f, mmx(d, new MmxMove.Move(), MmxMove.LOAD));
                }
                if (mp == 0xf2) {
                    return d.undefined();
                }
                boolean aligned = mp == 0x66;
                if (b == 0x7f && mem) {
                    return SseDecoder.sse(d, new SseMove.Store128(), 0, aligned);
                }
                return SseDecoder.swapIf(b == 0x7f, SseDecoder.sse(d, new SseMove.Load128(), 0, aligned));
            }
            case 0x70 -> {
                t.imm = d.fetch8();
                return switch (mp) {
                    case 0 -> mmx(d, new SseShuffle.Mmx(), SseShuffle.PSHUFW);
                    case 0x66 -> SseDecoder.sse(d, new SseShuffle.Xmm(), SseShuffle.PSHUFD, true);
                    case 0xf3 -> SseDecoder.sse(d, new SseShuffle.Xmm(), SseShuffle.PSHUFHW, true);
                    default -> SseDecoder.sse(d, new SseShuffle.Xmm(), SseShuffle.PSHUFLW, true);
                };
            }
            case 0x71, 0x72, 0x73 -> {
                return shiftGroup(d, b, mp);
            }
            case 0xd6 -> {
                if (mp == 0x66) {
                    if (mem) {
                        return SseDecoder.sse(d, new SseMove.Half(), SseMove.STORE_LOW, false); // MOVQ m64, xmm
                    }
                    return SseDecoder.swapIf(true, SseDecoder.sse(d, new SseMove.ToXmm(), 1, false));
                }
                if (mem || mmx) {
                    return d.undefined();
                }
                MmxMove.Move m = SseDecoder.sse(d, new MmxMove.Move(),
                        mp == 0xf3 ? MmxMove.MOVQ2DQ : MmxMove.MOVDQ2Q, false);
                if (mp == 0xf3) {
                    m.rm &= 7;
                } else {
                    m.reg &= 7;
                }
                return m;
            }
            case 0xd7 -> { // PMOVMSKB r32, mm/xmm
                if (mem || (mp != 0 && mp != 0x66)) {
                    return d.undefined();
                }
                SseShuffle.MoveMask m = SseDecoder.sse(d, new SseShuffle.MoveMask(), SseShuffle.PMOVMSKB, false);
                m.mmx = mmx;
                if (mmx) {
                    m.rm &= 7;
                }
                return m;
            }
            case 0xe6 -> {
                return switch (mp) {
                    case 0x66 -> SseDecoder.cvt(d, SseConvert.PD2DQ, true);
                    case 0xf2 -> SseDecoder.cvt(d, SseConvert.PD2DQ, false);
                    case 0xf3 -> SseDecoder.cvt(d, SseConvert.DQ2PD, false);
                    default -> d.undefined();
                };
            }
            case 0xe7 -> { // MOVNTQ m64, mm / MOVNTDQ m128, xmm
                if (!mem || (mp != 0 && mp != 0x66)) {
                    return d.undefined();
                }
                return mmx ? mmx(d, new MmxMove.Move(), MmxMove.STORE)
                        : SseDecoder.sse(d, new SseMove.Store128(), 0, true);
            }
            case 0xf7 -> { // MASKMOVQ / MASKMOVDQU
                if (mem || (mp != 0 && mp != 0x66)) {
                    return d.undefined();
                }
                t.size = mmx ? 8 : 16;
                return mmx ? mmx(d, new SseMove.MaskMov(), 0) : SseDecoder.sse(d, new SseMove.MaskMov(), 0, false);
            }
            default -> {
                return d.undefined();
            }
        }
    }

    /** 0F 71/72/73 /2 /4 /6 (and 73 /3 /7 on XMM): shifts by an immediate of the register ModRM.rm. */
    private static Insn shiftGroup(Decoder d, int b, int mp) {
        Insn t = d.t;
        if (d.isMem() || (mp != 0 && mp != 0x66)) {
            return d.undefined();
        }
        boolean mmx = mp == 0;
        int r = d.modReg;
        int op;
        switch (b) {
            case 0x71 -> op = r == 2 ? SsePackedInt.PSRLW
                    : r == 4 ? SsePackedInt.PSRAW : r == 6 ? SsePackedInt.PSLLW : -1;
            case 0x72 -> op = r == 2 ? SsePackedInt.PSRLD
                    : r == 4 ? SsePackedInt.PSRAD : r == 6 ? SsePackedInt.PSLLD : -1;
            default -> {
                if (!mmx && (r == 3 || r == 7)) { // PSRLDQ, PSLLDQ
                    t.imm = d.fetch8();
                    t.reg = t.rm;
                    return SseDecoder.sse(d, new SseShuffle.ByteShift(), r == 7 ? 1 : 0, false);
                }
                op = r == 2 ? SsePackedInt.PSRLQ : r == 6 ? SsePackedInt.PSLLQ : -1;
            }
        }
        if (op < 0) {
            return d.undefined();
        }
        t.imm = d.fetch8();
        t.reg = t.rm;
        if (mmx) {
            SsePackedInt.Mmx m = mmx(d, new SsePackedInt.Mmx(), op);
            m.immCount = true;
            return m;
        }
        SsePackedInt.Xmm x = SseDecoder.sse(d, new SsePackedInt.Xmm(), op, false);
        x.immCount = true;
        return x;
    }

    /** An MMX-register instruction: register numbers lose their REX extension. */
    private static <T extends SseInsn> T mmx(Decoder d, T insn, int op) {
        T i = SseDecoder.sse(d, insn, op, false);
        i.reg &= 7;
        if (i.rm >= 0) {
            i.rm &= 7;
        }
        return i;
    }
}
