package dev.jvisor.emu.disasm;

import static dev.jvisor.emu.disasm.Entry.*;
import static dev.jvisor.emu.disasm.Tables.*;

/**
 * The MMX/SSE/SSE2/SSE3 part of the two-byte map (Intel SDM Vol. 2 Table A-3, columns selected by the
 * mandatory prefix none/66/F3/F2, and groups 12..14 of Table A-6).
 *
 * <p>Entries are written in the SDM's VEX notation: {@code "addps Vx,Hx,Wx"}. Decoded without VEX,
 * the {@code H} (VEX.vvvv) operand is dropped and {@code x} means XMM; decoded with VEX, the mnemonic
 * gets its {@code v} and {@code x} follows VEX.L. Forms with MMX operands exist only without VEX.
 */
final class SimdMap {
    private SimdMap() {
    }

    /** "name Pq,Qq" without prefix, "name Vx,Hx,Wx" with 66: the MMX/SSE2 integer pairs. */
    static Entry mmxSse(String name) {
        return pfx(op(name + " Pq,Qq"), op(name + " Vx,Hx,Wx"), null, null);
    }

    /** ps/pd/ss/sd arithmetic: "name{ps,pd,ss,sd} V,H,W". */
    private static Entry arith4(String name) {
        return pfx(op(name + "ps Vx,Hx,Wx"), op(name + "pd Vx,Hx,Wx"), op(name + "ss Vo,Ho,Wd"),
                op(name + "sd Vo,Ho,Wq"));
    }

    /** ps/pd logic: "name{ps,pd} V,H,W". */
    private static Entry arith2(String name) {
        return pfx(op(name + "ps Vx,Hx,Wx"), op(name + "pd Vx,Hx,Wx"), null, null);
    }

    static void fillTwoByte(Entry[] m) {
        m[0x10] = pfx(op("movups Vx,Wx"), op("movupd Vx,Wx"), mod(op("movss Vo,Wd"), op("movss Vo,Ho,Uo")),
                mod(op("movsd Vo,Wq"), op("movsd Vo,Ho,Uo")));
        m[0x11] = pfx(op("movups Wx,Vx"), op("movupd Wx,Vx"), mod(op("movss Wd,Vo"), op("movss Uo,Ho,Vo")),
                mod(op("movsd Wq,Vo"), op("movsd Uo,Ho,Vo")));
        m[0x12] = pfx(mod(op("movlps Vo,Ho,Mq"), op("movhlps Vo,Ho,Uo")), mod(op("movlpd Vo,Ho,Mq"), null),
                op("movsldup Vx,Wx"), op("movddup Vx,Wx"));
        m[0x13] = pfx(mod(op("movlps Mq,Vo"), null), mod(op("movlpd Mq,Vo"), null), null, null);
        m[0x14] = arith2("unpckl");
        m[0x15] = arith2("unpckh");
        m[0x16] = pfx(mod(op("movhps Vo,Ho,Mq"), op("movlhps Vo,Ho,Uo")), mod(op("movhpd Vo,Ho,Mq"), null),
                op("movshdup Vx,Wx"), null);
        m[0x17] = pfx(mod(op("movhps Mq,Vo"), null), mod(op("movhpd Mq,Vo"), null), null, null);
        m[0x28] = pfx(op("movaps Vx,Wx"), op("movapd Vx,Wx"), null, null);
        m[0x29] = pfx(op("movaps Wx,Vx"), op("movapd Wx,Vx"), null, null);
        m[0x2a] = pfx(op("cvtpi2ps Vo,Qq"), op("cvtpi2pd Vo,Qq"), op("cvtsi2ss{S64} Vo,Ho,Ey"),
                op("cvtsi2sd{S64} Vo,Ho,Ey"));
        m[0x2b] = pfx(mod(op("movntps Mx,Vx"), null), mod(op("movntpd Mx,Vx"), null), mod(op("movntss Md,Vo"), null),
                mod(op("movntsd Mq,Vo"), null));
        m[0x2c] = pfx(op("cvttps2pi Pq,Wq"), op("cvttpd2pi Pq,Wo"), op("cvttss2si Gy,Wd"), op("cvttsd2si Gy,Wq"));
        m[0x2d] = pfx(op("cvtps2pi Pq,Wq"), op("cvtpd2pi Pq,Wo"), op("cvtss2si Gy,Wd"), op("cvtsd2si Gy,Wq"));
        m[0x2e] = pfx(op("ucomiss Vo,Wd"), op("ucomisd Vo,Wq"), null, null);
        m[0x2f] = pfx(op("comiss Vo,Wd"), op("comisd Vo,Wq"), null, null);
        m[0x50] = pfx(mod(null, op("movmskps Gy,Ux")), mod(null, op("movmskpd Gy,Ux")), null, null);
        m[0x51] = pfx(op("sqrtps Vx,Wx"), op("sqrtpd Vx,Wx"), op("sqrtss Vo,Ho,Wd"), op("sqrtsd Vo,Ho,Wq"));
        m[0x52] = pfx(op("rsqrtps Vx,Wx"), null, op("rsqrtss Vo,Ho,Wd"), null);
        m[0x53] = pfx(op("rcpps Vx,Wx"), null, op("rcpss Vo,Ho,Wd"), null);
        m[0x54] = arith2("and");
        m[0x55] = arith2("andn");
        m[0x56] = arith2("or");
        m[0x57] = arith2("xor");
        m[0x58] = arith4("add");
        m[0x59] = arith4("mul");
        m[0x5a] = pfx(op("cvtps2pd Vx,Wo"), op("cvtpd2ps{X} Vo,Wx"), op("cvtss2sd Vo,Ho,Wd"),
                op("cvtsd2ss Vo,Ho,Wq"));
        m[0x5b] = pfx(op("cvtdq2ps Vx,Wx"), op("cvtps2dq Vx,Wx"), op("cvttps2dq Vx,Wx"), null);
        m[0x5c] = arith4("sub");
        m[0x5d] = arith4("min");
        m[0x5e] = arith4("div");
        m[0x5f] = arith4("max");
        String[] m60 = {"punpcklbw", "punpcklwd", "punpckldq", "packsswb", "pcmpgtb", "pcmpgtw", "pcmpgtd",
                "packuswb", "punpckhbw", "punpckhwd", "punpckhdq", "packssdw"};
        for (int i = 0; i < m60.length; i++) {
            m[0x60 + i] = mmxSse(m60[i]);
        }
        m[0x6c] = pfx(null, op("punpcklqdq Vx,Hx,Wx"), null, null);
        m[0x6d] = pfx(null, op("punpckhqdq Vx,Hx,Wx"), null, null);
        m[0x6e] = pfx(op("{w:movd,movq} Pq,Ey"), op("{w:movd,movq} Vo,Ey"), null, null);
        m[0x6f] = pfx(op("movq Pq,Qq"), op("movdqa Vx,Wx"), op("movdqu Vx,Wx"), null);
        m[0x70] = pfx(op("pshufw Pq,Qq,Ib"), op("pshufd Vx,Wx,Ib"), op("pshufhw Vx,Wx,Ib"),
                op("pshuflw Vx,Wx,Ib"));
        m[0x71] = shiftGroup(null, "psrlw", null, "psraw", null, "psllw", null);
        m[0x72] = shiftGroup(null, "psrld", null, "psrad", null, "pslld", null);
        m[0x73] = shiftGroup(null, "psrlq", "psrldq", null, null, "psllq", "pslldq");
        m[0x74] = mmxSse("pcmpeqb");
        m[0x75] = mmxSse("pcmpeqw");
        m[0x76] = mmxSse("pcmpeqd");
        m[0x77] = pfx(op("emms"), null, null, null);
        m[0x7c] = pfx(null, op("haddpd Vx,Hx,Wx"), null, op("haddps Vx,Hx,Wx"));
        m[0x7d] = pfx(null, op("hsubpd Vx,Hx,Wx"), null, op("hsubps Vx,Hx,Wx"));
        m[0x7e] = pfx(op("{w:movd,movq} Ey,Pq"), op("{w:movd,movq} Ey,Vo"), op("movq Vo,Wq"), null);
        m[0x7f] = pfx(op("movq Qq,Pq"), op("movdqa Wx,Vx"), op("movdqu Wx,Vx"), null);
        m[0xc2] = pfx(op("cmp{P}ps Vx,Hx,Wx,Ib"), op("cmp{P}pd Vx,Hx,Wx,Ib"), op("cmp{P}ss Vo,Ho,Wd,Ib"),
                op("cmp{P}sd Vo,Ho,Wq,Ib"));
        m[0xc3] = pfx(mod(op("movnti My,Gy"), null), null, null, null);
        m[0xc4] = pfx(op("pinsrw Pq,Ed,Ib"), op("pinsrw Vo,Ho,Ed,Ib"), null, null);
        m[0xc5] = pfx(mod(null, op("pextrw Gd,Nq,Ib")), mod(null, op("pextrw Gd,Uo,Ib")), null, null);
        m[0xc6] = pfx(op("shufps Vx,Hx,Wx,Ib"), op("shufpd Vx,Hx,Wx,Ib"), null, null);
        m[0xd0] = pfx(null, op("addsubpd Vx,Hx,Wx"), null, op("addsubps Vx,Hx,Wx"));
        String[] md0 = {null, "psrlw", "psrld", "psrlq", "paddq", "pmullw", null, null, "psubusb", "psubusw",
                "pminub", "pand", "paddusb", "paddusw", "pmaxub", "pandn", "pavgb", "psraw", "psrad", "pavgw",
                "pmulhuw", "pmulhw", null, null, "psubsb", "psubsw", "pminsw", "por", "paddsb", "paddsw", "pmaxsw",
                "pxor", null, "psllw", "pslld", "psllq", "pmuludq", "pmaddwd", "psadbw", null, "psubb", "psubw",
                "psubd", "psubq", "paddb", "paddw", "paddd", null};
        for (int i = 0; i < md0.length; i++) {
            if (md0[i] != null) {
                m[0xd0 + i] = mmxSse(md0[i]);
            }
        }
        // Vector shifts by an XMM count keep the count an XMM even under VEX.256 (SDM VPSRLW etc.).
        for (int opc : new int[] {0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3}) {
            m[opc] = pfx(op(md0[opc - 0xd0] + " Pq,Qq"), op(md0[opc - 0xd0] + " Vx,Hx,Wo"), null, null);
        }
        m[0xd6] = pfx(null, op("movq Wq,Vo"), mod(null, op("movq2dq Vo,Nq")), mod(null, op("movdq2q Pq,Uo")));
        Entry pmovmskb = mod(null, op("pmovmskb Gy,Nq", KEEP_PREFIX));
        m[0xd7] = pfx(pmovmskb, mod(null, op("pmovmskb Gy,Ux")), pmovmskb, pmovmskb);
        m[0xe6] = pfx(null, op("cvttpd2dq{X} Vo,Wx"), op("cvtdq2pd Vx,Wo"), op("cvtpd2dq{X} Vo,Wx"));
        m[0xe7] = pfx(mod(op("movntq Mq,Pq"), null), mod(op("movntdq Mx,Vx"), null), null, null);
        m[0xf0] = pfx(null, null, null, mod(op("lddqu Vx,Mx"), null));
        m[0xf7] = pfx(mod(null, op("maskmovq Pq,Nq")), mod(null, op("maskmovdqu Vo,Uo")), null, null);
    }

    /**
     * Groups 12..14 (0F 71..73): shift an MMX or XMM register (ModRM.rm) by an immediate. The
     * arguments name ModRM.reg = 2, 3, 4, 5(unused), 6, 7 forms; 3 and 7 exist only with 66.
     */
    private static Entry shiftGroup(String unused, String r2, String r3, String r4, String r5, String r6,
            String r7) {
        Entry[] e = new Entry[8];
        String[] names = {null, null, r2, r3, r4, r5, r6, r7};
        for (int i = 0; i < 8; i++) {
            if (names[i] == null) {
                continue;
            }
            boolean onlySse = i == 3 || i == 7;
            e[i] = pfx(onlySse ? null : op(names[i] + " Nq,Ib"), op(names[i] + " Hx,Ux,Ib"), null, null);
        }
        return mod(null, reg(e));
    }
}
