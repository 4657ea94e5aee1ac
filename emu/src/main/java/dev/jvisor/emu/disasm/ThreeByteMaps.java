package dev.jvisor.emu.disasm;

import static dev.jvisor.emu.disasm.Entry.*;
import static dev.jvisor.emu.disasm.Tables.*;

/**
 * The three-byte opcode maps 0F 38 xx and 0F 3A xx (Intel SDM Vol. 2 Tables ): SSSE3,
 * SSE4.1/4.2, AES, SHA, CRC32, MOVBE, and the VEX-only AVX/AVX2/FMA/BMI forms. Entries whose
 * mnemonic starts with {@code v} exist only VEX-encoded; see {@link SimdMap} for the notation.
 */
final class ThreeByteMaps {
    static final Entry[] MAP_38 = new Entry[256];
    static final Entry[] MAP_3A = new Entry[256];

    private ThreeByteMaps() {
    }

    /** 66-prefixed SSE4 form "name Vx,Hx,Wx". */
    private static Entry sse66(String operands, String name) {
        return pfx(null, op(name + " " + operands), null, null);
    }

    /** A VEX-only form with the 66 prefix that requires VEX.W0 (W1 is #UD). */
    private static Entry vex66W0(String text) {
        return pfx(null, w(op(text), null), null, null);
    }

    /** A VEX-only form with the 66 prefix that requires VEX.W1. */
    private static Entry vex66W1(String text) {
        return pfx(null, w(null, op(text)), null, null);
    }

    /** A VEX.256-only form (VEX.L0 is #UD) with the 66 prefix and VEX.W0. */
    private static Entry vex66L1W0(String text) {
        return pfx(null, w(l(null, op(text)), null), null, null);
    }

    /** A VEX.256-only form with the 66 prefix and VEX.W1. */
    private static Entry vex66L1W1(String text) {
        return pfx(null, w(null, l(null, op(text))), null, null);
    }

    /** A VEX-only form with the 66 prefix. */
    private static Entry vex66(String text) {
        return pfx(null, op(text), null, null);
    }

    static {
        java.util.Arrays.fill(MAP_38, BAD);
        java.util.Arrays.fill(MAP_3A, BAD);
        Entry[] m = MAP_38;
        String[] ssse3 = {"pshufb", "phaddw", "phaddd", "phaddsw", "pmaddubsw", "phsubw", "phsubd", "phsubsw",
                "psignb", "psignw", "psignd", "pmulhrsw"};
        for (int i = 0; i < ssse3.length; i++) {
            m[i] = SimdMap.mmxSse(ssse3[i]);
        }
        m[0x0c] = vex66W0("~vpermilps Vx,Hx,Wx");
        m[0x0d] = vex66W0("~vpermilpd Vx,Hx,Wx");
        m[0x0e] = vex66W0("~vtestps Vx,Wx");
        m[0x0f] = vex66W0("~vtestpd Vx,Wx");
        m[0x10] = sse66("Vo,Wo,XMM0", "pblendvb");
        m[0x13] = vex66W0("~vcvtph2ps Vx,Wo");
        m[0x14] = sse66("Vo,Wo,XMM0", "blendvps");
        m[0x15] = sse66("Vo,Wo,XMM0", "blendvpd");
        m[0x16] = vex66L1W0("~vpermps Vx,Hx,Wx");
        m[0x17] = sse66("Vx,Wx", "ptest");
        m[0x18] = vex66W0("~vbroadcastss Vx,Wd");
        m[0x19] = vex66L1W0("~vbroadcastsd Vx,Wq");
        m[0x1a] = vex66L1W0("~vbroadcastf128 Vx,Mo");
        m[0x1c] = pfx(op("pabsb Pq,Qq"), op("pabsb Vx,Wx"), null, null);
        m[0x1d] = pfx(op("pabsw Pq,Qq"), op("pabsw Vx,Wx"), null, null);
        m[0x1e] = pfx(op("pabsd Pq,Qq"), op("pabsd Vx,Wx"), null, null);
        String[] widen = {"bw", "bd", "bq", "wd", "wq", "dq"};
        for (int i = 0; i < widen.length; i++) {
            m[0x20 + i] = sse66("Vx,Wo", "pmovsx" + widen[i]);
            m[0x30 + i] = sse66("Vx,Wo", "pmovzx" + widen[i]);
        }
        m[0x28] = sse66("Vx,Hx,Wx", "pmuldq");
        m[0x29] = sse66("Vx,Hx,Wx", "pcmpeqq");
        m[0x2a] = pfx(null, mod(op("movntdqa Vx,Mx"), null), null, null);
        m[0x2b] = sse66("Vx,Hx,Wx", "packusdw");
        m[0x2c] = vex66W0("~vmaskmovps Vx,Hx,Mx");
        m[0x2d] = vex66W0("~vmaskmovpd Vx,Hx,Mx");
        m[0x2e] = vex66W0("~vmaskmovps Mx,Hx,Vx");
        m[0x2f] = vex66W0("~vmaskmovpd Mx,Hx,Vx");
        m[0x36] = vex66L1W0("~vpermd Vx,Hx,Wx");
        String[] m37 = {"pcmpgtq", "pminsb", "pminsd", "pminuw", "pminud", "pmaxsb", "pmaxsd", "pmaxuw", "pmaxud",
                "pmulld"};
        for (int i = 0; i < m37.length; i++) {
            m[0x37 + i] = sse66("Vx,Hx,Wx", m37[i]);
        }
        m[0x41] = sse66("Vo,Wo", "phminposuw");
        m[0x45] = vex66("~vpsrlv{W:d,q} Vx,Hx,Wx");
        m[0x46] = vex66W0("~vpsravd Vx,Hx,Wx");
        m[0x47] = vex66("~vpsllv{W:d,q} Vx,Hx,Wx");
        m[0x58] = vex66W0("~vpbroadcastd Vx,Wd");
        m[0x59] = vex66W0("~vpbroadcastq Vx,Wq");
        m[0x5a] = vex66L1W0("~vbroadcasti128 Vx,Mo");
        m[0x78] = vex66W0("~vpbroadcastb Vx,Wb");
        m[0x79] = vex66W0("~vpbroadcastw Vx,Ww");
        m[0x80] = pfx(null, mod(op("invept Gs,Mo"), null), null, null);
        m[0x81] = pfx(null, mod(op("invvpid Gs,Mo"), null), null, null);
        m[0x82] = pfx(null, mod(op("invpcid Gs,Mo"), null), null, null);
        m[0x8c] = vex66("~vpmaskmov{W:d,q} Vx,Hx,Mx");
        m[0x8e] = vex66("~vpmaskmov{W:d,q} Mx,Hx,Vx");
        fma(m);
        m[0xc8] = pfx(op("sha1nexte Vo,Wo"), null, null, null);
        m[0xc9] = pfx(op("sha1msg1 Vo,Wo"), null, null, null);
        m[0xca] = pfx(op("sha1msg2 Vo,Wo"), null, null, null);
        m[0xcb] = pfx(op("sha256rnds2 Vo,Wo,XMM0"), null, null, null);
        m[0xcc] = pfx(op("sha256msg1 Vo,Wo"), null, null, null);
        m[0xcd] = pfx(op("sha256msg2 Vo,Wo"), null, null, null);
        m[0xcf] = pfx(null, op("gf2p8mulb Vx,Hx,Wx", VEX_W0), null, null);
        m[0xdb] = sse66("Vo,Wo", "aesimc");
        m[0xdc] = sse66("Vx,Hx,Wx", "aesenc");
        m[0xdd] = sse66("Vx,Hx,Wx", "aesenclast");
        m[0xde] = sse66("Vx,Hx,Wx", "aesdec");
        m[0xdf] = sse66("Vx,Hx,Wx", "aesdeclast");
        m[0xf0] = pfx(mod(op("movbe Gv,Mv"), null), mod(op("movbe Gv,Mv", KEEP_PREFIX), null), null,
                op("crc32{S} Gy,Eb"));
        m[0xf1] = pfx(mod(op("movbe Mv,Gv"), null), mod(op("movbe Mv,Gv", KEEP_PREFIX), null), null,
                op("crc32{S} Gy,Ev"));
        m[0xf5] = pfx(op("~bzhi Gy,Ey,By"), mod(op("wruss{w:d,q} My,Gy"), null), op("~pext Gy,By,Ey"),
                op("~pdep Gy,By,Ey"));
        m[0xf8] = pfx(null, mod(op("movdir64b Ga,M"), null), null, null);
        m[0xf9] = pfx(mod(op("movdiri My,Gy"), null), null, null, null);
        m[0xf2] = pfx(op("~andn Gy,By,Ey"), null, null, null);
        m[0xf3] = pfx(reg(null, op("~blsr By,Ey"), op("~blsmsk By,Ey"), op("~blsi By,Ey"), null, null, null, null),
                null, null, null);

        m[0xf6] = pfx(mod(op("wrss{w:d,q} My,Gy"), null), op("adcx Gy,Ey"), op("adox Gy,Ey"),
                op("~mulx Gy,By,Ey"));
        m[0xf7] = pfx(op("~bextr Gy,Ey,By"), op("~shlx Gy,Ey,By"), op("~sarx Gy,Ey,By"), op("~shrx Gy,Ey,By"));

        m = MAP_3A;
        m[0x00] = vex66L1W1("~vpermq Vx,Wx,Ib");
        m[0x01] = vex66L1W1("~vpermpd Vx,Wx,Ib");
        m[0x02] = vex66W0("~vpblendd Vx,Hx,Wx,Ib");
        m[0x04] = vex66W0("~vpermilps Vx,Wx,Ib");
        m[0x05] = vex66W0("~vpermilpd Vx,Wx,Ib");
        m[0x06] = vex66L1W0("~vperm2f128 Vx,Hx,Wx,Ib");
        m[0x08] = sse66("Vx,Wx,Ib", "roundps");
        m[0x09] = sse66("Vx,Wx,Ib", "roundpd");
        m[0x0a] = sse66("Vo,Ho,Wd,Ib", "roundss");
        m[0x0b] = sse66("Vo,Ho,Wq,Ib", "roundsd");
        m[0x0c] = sse66("Vx,Hx,Wx,Ib", "blendps");
        m[0x0d] = sse66("Vx,Hx,Wx,Ib", "blendpd");
        m[0x0e] = sse66("Vx,Hx,Wx,Ib", "pblendw");
        m[0x0f] = pfx(op("palignr Pq,Qq,Ib"), op("palignr Vx,Hx,Wx,Ib"), null, null);
        m[0x14] = sse66("Ed,Vo,Ib", "pextrb");
        m[0x15] = sse66("Ed,Vo,Ib", "pextrw");
        m[0x16] = pfx(null, op("{w:pextrd,pextrq} Ey,Vo,Ib"), null, null);
        m[0x17] = sse66("Ed,Vo,Ib", "extractps");
        m[0x18] = vex66L1W0("~vinsertf128 Vx,Hx,Wo,Ib");
        m[0x19] = vex66L1W0("~vextractf128 Wo,Vx,Ib");
        m[0x1d] = vex66W0("~vcvtps2ph Wo,Vx,Ib");
        m[0x20] = sse66("Vo,Ho,Ed,Ib", "pinsrb");
        m[0x21] = sse66("Vo,Ho,Wd,Ib", "insertps");
        m[0x22] = pfx(null, op("{w:pinsrd,pinsrq} Vo,Ho,Ey,Ib"), null, null);
        m[0x38] = vex66L1W0("~vinserti128 Vx,Hx,Wo,Ib");
        m[0x39] = vex66L1W0("~vextracti128 Wo,Vx,Ib");
        m[0x40] = sse66("Vx,Hx,Wx,Ib", "dpps");
        m[0x41] = sse66("Vo,Ho,Wo,Ib", "dppd");
        m[0x42] = sse66("Vx,Hx,Wx,Ib", "mpsadbw");
        m[0x44] = sse66("Vx,Hx,Wx,Ib", "pclmul{C}dq");
        m[0x46] = vex66L1W0("~vperm2i128 Vx,Hx,Wx,Ib");
        m[0x4a] = vex66W0("~vblendvps Vx,Hx,Wx,Lx");
        m[0x4b] = vex66W0("~vblendvpd Vx,Hx,Wx,Lx");
        m[0x4c] = vex66W0("~vpblendvb Vx,Hx,Wx,Lx");
        m[0x60] = sse66("Vo,Wo,Ib", "pcmpestrm{w:,q}");
        m[0x61] = sse66("Vo,Wo,Ib", "pcmpestri{w:,q}");
        m[0x62] = sse66("Vo,Wo,Ib", "pcmpistrm");
        m[0x63] = sse66("Vo,Wo,Ib", "pcmpistri");
        m[0xcc] = pfx(op("sha1rnds4 Vo,Wo,Ib"), null, null, null);
        m[0xce] = pfx(null, op("gf2p8affineqb Vx,Hx,Wx,Ib", VEX_W1), null, null);
        m[0xcf] = pfx(null, op("gf2p8affineinvqb Vx,Hx,Wx,Ib", VEX_W1), null, null);
        m[0xdf] = sse66("Vo,Wo,Ib", "aeskeygenassist");
        m[0xf0] = pfx(null, null, null, op("~rorx Gy,Ey,Ib"));
    }

    /**
     * FMA3 (0F 38 96..BF, VEX.66): vfmadd/vfmsub/vfnmadd/vfnmsub and the alternating forms, in operand
     * orders 132/213/231, packed and scalar, single (W0) and double (W1) precision.
     */
    private static void fma(Entry[] m) {
        String[] ops = {null, null, null, null, null, null, "fmaddsub", "fmsubadd", "fmadd", "fmadd", "fmsub",
                "fmsub", "fnmadd", "fnmadd", "fnmsub", "fnmsub"};
        for (int order = 0; order < 3; order++) {
            String n = new String[] {"132", "213", "231"}[order];
            for (int low = 6; low < 16; low++) {
                boolean scalar = low >= 8 && (low & 1) == 1;
                String base = "~v" + ops[low] + n;
                Entry e = scalar
                        ? w(op(base + "ss Vo,Ho,Wd"), op(base + "sd Vo,Ho,Wq"))
                        : w(op(base + "ps Vx,Hx,Wx"), op(base + "pd Vx,Hx,Wx"));
                m[0x90 + order * 16 + low] = pfx(null, e, null, null);
            }
        }
    }
}
