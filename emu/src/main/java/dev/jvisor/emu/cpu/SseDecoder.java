package dev.jvisor.emu.cpu;

/**
 * The SSE/SSE2/MMX part of the two-byte opcode map (SDM Vol. 2D Appendix A, Table A-3) and
 * FXSAVE/FXRSTOR/LDMXCSR/STMXCSR.
 *
 * <p>An instruction is chosen by opcode and mandatory prefix. The mandatory prefix is F3 or F2
 * when either is present (the last of them), else 66: on real processors F2/F3 take precedence
 * over 66 whatever the order (66 is then an ignored operand-size prefix). This class decodes
 * 0F 10-17, 28-2F, 50-5F and C2-C6; the packed-integer rows 60-7F and D0-FF are in
 * {@link SseIntDecoder}. SSE3 and later encodings in this space (MOVDDUP, MOVSLDUP, HADDPS,
 * LDDQU, the 0F 38 / 0F 3A maps...) are not advertised by CPUID and raise #UD, as does a LOCK
 * prefix on any of these instructions.
 */
final class SseDecoder {
    private SseDecoder() {
    }

    /** Whether 0F {@code b} belongs to the SSE/MMX opcode space. */
    static boolean handles(int b) {
        return (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2f) || (b >= 0x50 && b <= 0x7f)
                || (b >= 0xc2 && b <= 0xc6) || b >= 0xd0 || b == 0x38 || b == 0x3a;
    }

    /** The mandatory prefix: 0, 0x66, 0xF3 or 0xF2. */
    static int mandatory(Decoder d) {
        return d.repPrefix == 1 ? 0xf3 : d.repPrefix == 2 ? 0xf2 : d.opsize ? 0x66 : 0;
    }

    static Insn decode(Decoder d, int b) {
        if (d.lock || b == 0x38 || b == 0x3a) {
            return d.undefined();
        }
        int mp = mandatory(d);
        if ((b >= 0x60 && b <= 0x7f) || b >= 0xd0) {
            return SseIntDecoder.decode(d, b, mp);
        }
        Insn t = d.t;
        d.modrm(4);
        boolean mem = d.isMem();
        boolean ps = mp == 0;
        boolean pd = mp == 0x66;
        switch (b) {
            case 0x10, 0x11 -> {
                if (ps || pd) {
                    if (b == 0x11 && mem) {
                        return sse(d, new SseMove.Store128(), 0, false);
                    }
                    return swapIf(b == 0x11, sse(d, new SseMove.Load128(), 0, false));
                }
                t.size = mp == 0xf3 ? 4 : 8;
                if (b == 0x11 && mem) {
                    return sse(d, new SseMove.Scalar(), 1, false);
                }
                return swapIf(b == 0x11, sse(d, new SseMove.Scalar(), 0, false));
            }
            case 0x12, 0x13, 0x16, 0x17 -> {
                if (!(ps || pd) || (!mem && (pd || (b & 1) != 0))) {
                    return d.undefined(); // SSE3 MOVDDUP/MOVSLDUP/MOVSHDUP; no register form
                }
                boolean high = b >= 0x16;
                int op;
                if ((b & 1) != 0) {
                    op = high ? SseMove.STORE_HIGH : SseMove.STORE_LOW;
                } else if (mem) {
                    op = high ? SseMove.LOAD_HIGH : SseMove.LOAD_LOW;
                } else {
                    op = high ? SseMove.LOW_TO_HIGH : SseMove.HIGH_TO_LOW; // MOVLHPS, MOVHLPS
                }
                return sse(d, new SseMove.Half(), op, false);
            }
            case 0x14, 0x15 -> {
                if (!(ps || pd)) {
                    return d.undefined();
                }
                int op = b == 0x14 ? (ps ? SseShuffle.PUNPCKLDQ : SseShuffle.PUNPCKLQDQ)
                        : (ps ? SseShuffle.PUNPCKHDQ : SseShuffle.PUNPCKHQDQ);
                return sse(d, new SseShuffle.Xmm(), op, true); // UNPCKLPS/PD, UNPCKHPS/PD
            }
            case 0x28, 0x29, 0x2b -> {
                if (!(ps || pd) || (b == 0x2b && !mem)) {
                    return d.undefined();
                }
                if (b != 0x28 && mem) {
                    return sse(d, new SseMove.Store128(), 0, true); // MOVAPS/MOVAPD, MOVNTPS/MOVNTPD
                }
                return swapIf(b == 0x29, sse(d, new SseMove.Load128(), 0, true));
            }
            case 0x2a, 0x2c, 0x2d -> {
                return convert(d, b, mp);
            }
            case 0x2e, 0x2f -> {
                if (!(ps || pd)) {
                    return d.undefined();
                }
                SseFp.Comis c = sse(d, new SseFp.Comis(), 0, false);
                c.dbl = pd;
                c.signaling = b == 0x2f;
                return c;
            }
            case 0x50 -> {
                if (mem || !(ps || pd)) {
                    return d.undefined();
                }
                SseShuffle.MoveMask m = sse(d, new SseShuffle.MoveMask(), ps ? SseShuffle.MOVMSKPS
                        : SseShuffle.MOVMSKPD, false);
                return m;
            }
            case 0x51, 0x52, 0x53, 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f -> {
                int op = switch (b) {
                    case 0x51 -> SseFloat.SQRT;
                    case 0x52 -> SseFloat.RSQRT;
                    case 0x53 -> SseFloat.RCP;
                    case 0x58 -> SseFloat.ADD;
                    case 0x59 -> SseFloat.MUL;
                    case 0x5c -> SseFloat.SUB;
                    case 0x5d -> SseFloat.MIN;
                    case 0x5e -> SseFloat.DIV;
                    default -> SseFloat.MAX;
                };
                if ((b == 0x52 || b == 0x53) && (pd || mp == 0xf2)) {
                    return d.undefined(); // RSQRT/RCP exist in single precision only
                }
                return arith(d, op, mp);
            }
            case 0xc2 -> {
                // Legacy-encoded compares use imm8[2:0] only (SDM Vol. 2 CMPPS: "imm8[2:0]").
                t.imm = d.fetch8() & 7;
                return arith(d, SseFp.CMP, mp);
            }
            case 0x54, 0x55, 0x56, 0x57 -> {
                if (!(ps || pd)) {
                    return d.undefined();
                }
                int op = switch (b) {
                    case 0x54 -> SsePackedInt.PAND;
                    case 0x55 -> SsePackedInt.PANDN;
                    case 0x56 -> SsePackedInt.POR;
                    default -> SsePackedInt.PXOR;
                };
                return sse(d, new SsePackedInt.Xmm(), op, true); // ANDPS/ANDPD... are bitwise
            }
            case 0x5a, 0x5b -> {
                return convert(d, b, mp);
            }
            case 0xc3 -> {
                if (mp != 0 || !mem) {
                    return d.undefined();
                }
                t.size = d.rexW ? 8 : 4;
                return d.make(new SseMove.Movnti());
            }
            case 0xc4, 0xc5 -> {
                if (!(ps || pd) || (b == 0xc5 && mem)) {
                    return d.undefined(); // PEXTRW with a memory destination is SSE4.1
                }
                t.imm = d.fetch8();
                if (b == 0xc4) {
                    SseShuffle.Pinsrw p = sse(d, new SseShuffle.Pinsrw(), 0, false);
                    p.mmx = ps;
                    if (ps) {
                        p.reg &= 7;
                    }
                    return p;
                }
                SseShuffle.Pextrw p = sse(d, new SseShuffle.Pextrw(), 0, false);
                p.mmx = ps;
                if (ps) {
                    p.rm &= 7;
                }
                return p;
            }
            case 0xc6 -> {
                if (!(ps || pd)) {
                    return d.undefined();
                }
                t.imm = d.fetch8();
                return sse(d, new SseShuffle.Xmm(), ps ? SseShuffle.SHUFPS : SseShuffle.SHUFPD, true);
            }
            default -> {
                return d.undefined();
            }
        }
    }

    /** ADD..DIV, MIN, MAX, SQRT, RCP, RSQRT, CMP: PS, PD, SS or SD by the mandatory prefix. */
    private static Insn arith(Decoder d, int op, int mp) {
        boolean dbl = mp == 0x66 || mp == 0xf2;
        if (mp == 0 || mp == 0x66) {
            SseFp.Packed p = sse(d, new SseFp.Packed(), op, true);
            p.dbl = dbl;
            return p;
        }
        SseFp.Scalar s = sse(d, new SseFp.Scalar(), op, false);
        s.dbl = dbl;
        return s;
    }

    /** 0F 2A, 2C, 2D, 5A, 5B: the conversions (the ones at 0F E6 are in {@link SseIntDecoder}). */
    private static Insn convert(Decoder d, int b, int mp) {
        int op;
        boolean trunc = b == 0x2c || (b == 0x5b && mp == 0xf3);
        switch (b) {
            case 0x2a -> op = switch (mp) {
                case 0 -> SseConvert.PI2PS;
                case 0x66 -> SseConvert.PI2PD;
                case 0xf3 -> SseConvert.SI2SS;
                default -> SseConvert.SI2SD;
            };
            case 0x2c, 0x2d -> op = switch (mp) {
                case 0 -> SseConvert.PS2PI;
                case 0x66 -> SseConvert.PD2PI;
                case 0xf3 -> SseConvert.SS2SI;
                default -> SseConvert.SD2SI;
            };
            case 0x5a -> op = switch (mp) {
                case 0 -> SseConvert.PS2PD;
                case 0x66 -> SseConvert.PD2PS;
                case 0xf3 -> SseConvert.SS2SD;
                default -> SseConvert.SD2SS;
            };
            default -> { // 0x5b
                if (mp == 0xf2) {
                    return d.undefined();
                }
                op = mp == 0 ? SseConvert.DQ2PS : SseConvert.PS2DQ;
            }
        }
        return cvt(d, op, trunc);
    }

    /** Builds a conversion, fixing up MMX register numbers and general-register operand sizes. */
    static Insn cvt(Decoder d, int op, boolean trunc) {
        d.t.size = d.rexW ? 8 : 4;
        boolean aligned = op == SseConvert.PD2PI || op == SseConvert.PD2PS || op == SseConvert.DQ2PS
                || op == SseConvert.PS2DQ || op == SseConvert.PD2DQ;
        SseConvert.Cvt c = sse(d, new SseConvert.Cvt(), op, aligned);
        c.trunc = trunc;
        if (op == SseConvert.PS2PI || op == SseConvert.PD2PI) {
            c.reg &= 7;
        }
        if ((op == SseConvert.PI2PS || op == SseConvert.PI2PD) && c.rm >= 0) {
            c.rm &= 7;
        }
        return c;
    }

    /** Builds {@code insn} from the template with {@code op} and the alignment rule. */
    static <T extends SseInsn> T sse(Decoder d, T insn, int op, boolean aligned) {
        d.t.op = op;
        T i = d.make(insn);
        i.aligned = aligned;
        return i;
    }

    /** A store form with a register destination runs as the load form with the operands swapped. */
    static Insn swapIf(boolean swap, Insn i) {
        if (swap) {
            int r = i.reg;
            i.reg = i.rm;
            i.rm = r;
        }
        return i;
    }

    /**
     * 0F AE /0-/3 with a memory operand: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR. An operand-size prefix
     * is ignored; F2/F3 select other (unsupported) instructions.
     */
    static Insn group15(Decoder d) {
        if (d.lock || d.repPrefix != 0) {
            return d.undefined();
        }
        Insn t = d.t;
        t.op = switch (d.modReg) {
            case 0 -> Fxsave.FXSAVE;
            case 1 -> Fxsave.FXRSTOR;
            case 2 -> Fxsave.LDMXCSR;
            default -> Fxsave.STMXCSR;
        };
        t.size = d.rexW ? 8 : 4;
        return d.make(new Fxsave.Op());
    }
}
