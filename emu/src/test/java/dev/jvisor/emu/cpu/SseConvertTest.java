package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import org.junit.jupiter.api.Test;

/** The SSE/SSE2 conversions: rounding modes, truncation, integer indefinite, NaN payloads, MMX forms. */
class SseConvertTest extends SseTest {
    private static final int RD = Sse.RD << 13, RU = Sse.RU << 13, RZ = Sse.RZ << 13;

    @Test
    void integerToSingleRoundsByMxcsr() {
        Asm a = code();
        a.mov(RCX, (1 << 24) + 1).mov(RDX, Long.MAX_VALUE);
        rr(a, 0xf3, 0x2a, 0, 1);        // cvtsi2ss xmm0, ecx
        rrW(a, 0xf3, 0x2a, 1, 2);       // cvtsi2ss xmm1, rdx
        rm(a, 0xf3, 0x2a, 2, 0);        // cvtsi2ss xmm2, dword [rbx]
        rmW(a, 0xf2, 0x2a, 3, 8);       // cvtsi2sd xmm3, qword [rbx+8]
        rr(a, 0xf2, 0x2a, 4, 1);        // cvtsi2sd xmm4, ecx (exact)
        for (int mode : new int[] {XMM_MASKED, XMM_MASKED | RU, XMM_MASKED | RZ}) {
            try (CpuHarness h = run(copy(a), s -> {
                put32(s, 0, -5);
                put64(s, 8, (1L << 53) + 1);
                for (int i = 0; i < 5; i++) {
                    xmm(s, i, 0x1111_1111_0000_0000L, 0x2222);
                }
                s.cpu.mxcsr = mode;
            })) {
                boolean up = mode == (XMM_MASKED | RU);
                boolean zero = mode == (XMM_MASKED | RZ);
                assertThat(lo(h, 0)).isEqualTo(0x1111_1111_0000_0000L | f(up ? 16777218f : 16777216f));
                assertThat(hi(h, 0)).isEqualTo(0x2222);
                assertThat((int) lo(h, 1)).isEqualTo(zero ? 0x5eff_ffff : f(0x1p63f));
                assertThat((int) lo(h, 2)).isEqualTo(f(-5f));
                assertThat(lo(h, 3)).isEqualTo(d(up ? 0x1p53 + 2 : 0x1p53));
                assertThat(lo(h, 4)).isEqualTo(d(16777217.0));
                assertThat(h.cpu.mxcsr & Sse.FLAGS).isEqualTo(Sse.PE);
            }
        }
    }

    /** Re-assembles a program so it can be run again (run() appends a stop). */
    private static Asm copy(Asm a) {
        Asm b = new Asm(64, a.origin());
        b.db(a.assemble());
        return b;
    }

    @Test
    void singleToIntegerRoundsTruncatesAndSaturatesToIndefinite() {
        float[] in = {2.5f, -2.5f, 2.7f, -2.7f, Float.NaN, 3e9f, -0x1p63f, 0x1p63f};
        Asm a = code();
        for (int i = 0; i < in.length; i++) {
            rm(a, 0xf3, 0x2d, 8, 4 * i);         // cvtss2si r8d, [rbx+4i]
            rm(a, 0xf3, 0x2c, 9, 4 * i);         // cvttss2si r9d, ...
            rmW(a, 0xf3, 0x2d, 10, 4 * i);       // cvtss2si r10, ...
            rmW(a, 0xf3, 0x2c, 11, 4 * i);       // cvttss2si r11, ...
            a.mov(dev.jvisor.testkit.Mem.at(RBX, 0x100 + 32 * i), R8);
            a.mov(dev.jvisor.testkit.Mem.at(RBX, 0x108 + 32 * i), R9);
            a.mov(dev.jvisor.testkit.Mem.at(RBX, 0x110 + 32 * i), R10);
            a.mov(dev.jvisor.testkit.Mem.at(RBX, 0x118 + 32 * i), R11);
        }
        long ind32 = 0x8000_0000L;
        long ind64 = Long.MIN_VALUE;
        long[][] expected = { // cvt32, cvtt32, cvt64, cvtt64
            {2, 2, 2, 2},
            {-2 & 0xffff_ffffL, -2 & 0xffff_ffffL, -2, -2},
            {3, 2, 3, 2},
            {-3 & 0xffff_ffffL, -2 & 0xffff_ffffL, -3, -2},
            {ind32, ind32, ind64, ind64},
            {ind32, ind32, 3_000_000_000L, 3_000_000_000L},
            {ind32, ind32, Long.MIN_VALUE, Long.MIN_VALUE},
            {ind32, ind32, ind64, ind64},
        };
        try (CpuHarness h = run(a, s -> {
            for (int i = 0; i < in.length; i++) {
                put32(s, 4 * i, f(in[i]));
            }
        })) {
            for (int i = 0; i < in.length; i++) {
                for (int k = 0; k < 4; k++) {
                    assertThat(get64(h, 0x100 + 32 * i + 8 * k)).as("input %s form %d", in[i], k)
                            .isEqualTo(expected[i][k]);
                }
            }
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE | Sse.PE);
        }
    }

    @Test
    void doubleToIntegerByRoundingMode() {
        double[] in = {2147483647.4, 2147483647.5, -2147483648.9, -0.5, 1e-300};
        int[] modes = {XMM_MASKED, XMM_MASKED | RD, XMM_MASKED | RU, XMM_MASKED | RZ};
        long ind = 0x8000_0000L;
        long[][] expected = { // per mode: cvtsd2si of each input
            {2147483647L, ind, ind, 0, 0},
            {2147483647L, 2147483647L, ind, 0xffff_ffffL, 0},
            {ind, ind, 0x8000_0000L, 0, 1},
            {2147483647L, 2147483647L, 0x8000_0000L, 0, 0},
        };
        for (int m = 0; m < modes.length; m++) {
            Asm a = code();
            for (int i = 0; i < in.length; i++) {
                rm(a, 0xf2, 0x2d, 8 + i, 8 * i); // cvtsd2si r(8+i)d, [rbx+8i]
            }
            rm(a, 0xf2, 0x2c, 13, 16);           // cvttsd2si r13d, [rbx+16]: -2147483648.9 truncates in range
            int mode = modes[m];
            try (CpuHarness h = run(a, s -> {
                for (int i = 0; i < in.length; i++) {
                    put64(s, 8 * i, d(in[i]));
                }
                s.cpu.mxcsr = mode;
            })) {
                for (int i = 0; i < in.length; i++) {
                    assertThat(h.reg(8 + i)).as("mode %d input %s", m, in[i]).isEqualTo(expected[m][i]);
                }
                assertThat(h.reg(13)).isEqualTo(0x8000_0000L);
            }
        }
    }

    @Test
    void singleDoubleConversionsKeepNanPayloads() {
        Asm a = code();
        rr(a, 0xf3, 0x5a, 0, 1);        // cvtss2sd xmm0, xmm1 (SNaN)
        rr(a, 0xf2, 0x5a, 2, 3);        // cvtsd2ss xmm2, xmm3 (SNaN with payload)
        rr(a, 0xf2, 0x5a, 4, 5);        // cvtsd2ss xmm4, xmm5 (overflow)
        rr(a, 0xf3, 0x5a, 6, 7);        // cvtss2sd xmm6, xmm7 (denormal: exact)
        rr(a, 0xf2, 0x5a, 8, 9);        // cvtsd2ss xmm8, xmm9 (rounds)
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, 0, 5);
            xmm(s, 1, 0xff80_0001L, 0);
            xmm(s, 2, 0x4444_4444_0000_0000L, 6);
            xmm(s, 3, 0x7ff4_0000_0000_0001L, 0);
            xmm(s, 5, d(-1e300), 0);
            xmm(s, 7, 1, 0);
            xmm(s, 9, d(0.1), 0);
        })) {
            assertThat(lo(h, 0)).isEqualTo(0xfff8_0000_2000_0000L);
            assertThat(hi(h, 0)).isEqualTo(5);
            assertThat(lo(h, 2)).isEqualTo(0x4444_4444_7fe0_0000L);
            assertThat(hi(h, 2)).isEqualTo(6);
            assertThat((int) lo(h, 4)).isEqualTo(f(Float.NEGATIVE_INFINITY));
            assertThat(lo(h, 6)).isEqualTo(d(Float.MIN_VALUE));
            assertThat((int) lo(h, 8)).isEqualTo(f(0.1f));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE | Sse.OE | Sse.PE | Sse.DE);
        }
    }

    @Test
    void packedConversions() {
        Asm a = code();
        rr(a, 0, 0x5a, 0, 1);           // cvtps2pd xmm0, xmm1
        rr(a, 0x66, 0x5a, 2, 3);        // cvtpd2ps xmm2, xmm3
        rr(a, 0, 0x5b, 4, 5);           // cvtdq2ps xmm4, xmm5
        rr(a, 0x66, 0x5b, 6, 7);        // cvtps2dq xmm6, xmm7
        rr(a, 0xf3, 0x5b, 8, 7);        // cvttps2dq xmm8, xmm7
        rr(a, 0xf3, 0xe6, 9, 5);        // cvtdq2pd xmm9, xmm5
        rr(a, 0xf2, 0xe6, 10, 3);       // cvtpd2dq xmm10, xmm3
        rr(a, 0x66, 0xe6, 11, 3);       // cvttpd2dq xmm11, xmm3
        try (CpuHarness h = run(a, s -> {
            xmm(s, 1, f2(1.5f, -0.25f), -1L);
            xmm(s, 3, d(2.5), d(-3.75));
            xmm(s, 5, f2((1 << 24) + 1, -7), f2(Integer.MIN_VALUE, 3));
            xmm(s, 7, f2(0.5f, 1.5f), f2(-1.5f, Float.NaN));
            for (int i : new int[] {2, 10, 11}) {
                xmm(s, i, -1L, -1L);
            }
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(d(1.5), d(-0.25));
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(f2(2.5f, -3.75f), 0L);
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(f2(16777216f, -7f), f2(-0x1p31f, 3f));
            assertThat(new long[] {lo(h, 6), hi(h, 6)}).containsExactly(f2(0, 2), f2(-2, 0x8000_0000));
            assertThat(new long[] {lo(h, 8), hi(h, 8)}).containsExactly(f2(0, 1), f2(-1, 0x8000_0000));
            assertThat(new long[] {lo(h, 9), hi(h, 9)}).containsExactly(d(16777217.0), d(-7.0));
            assertThat(new long[] {lo(h, 10), hi(h, 10)}).containsExactly(f2(2, -4), 0L);
            assertThat(new long[] {lo(h, 11), hi(h, 11)}).containsExactly(f2(2, -3), 0L);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE | Sse.PE);
        }
    }

    @Test
    void mmxConversionsEnterMmxState() {
        Asm a = code();
        rr(a, 0, 0x2a, 0, 2);           // cvtpi2ps xmm0, mm2
        rr(a, 0x66, 0x2a, 1, 2);        // cvtpi2pd xmm1, mm2
        rr(a, 0, 0x2d, 3, 4);           // cvtps2pi mm3, xmm4
        rr(a, 0, 0x2c, 5, 4);           // cvttps2pi mm5, xmm4
        rr(a, 0x66, 0x2d, 6, 1);        // cvtpd2pi mm6, xmm1
        rm(a, 0, 0x2a, 7, 0);           // cvtpi2ps xmm7, [rbx]
        try (CpuHarness h = run(a, s -> {
            s.cpu.fpu.mant[2] = f2(-3, 1 << 30);
            s.cpu.fpu.top = 5;
            s.cpu.fpu.ftw = 0xffff;
            xmm(s, 0, 0, 0x99);
            xmm(s, 4, f2(2.5f, -1.75f), 0);
            put64(s, 0, f2(10, 20));
        })) {
            X87 fpu = h.cpu.fpu;
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(f2(-3f, 0x1p30f), 0x99L);
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(d(-3.0), d(0x1p30));
            assertThat(fpu.mant[3]).isEqualTo(f2(2, -2));
            assertThat(fpu.mant[5]).isEqualTo(f2(2, -1));
            assertThat(fpu.mant[6]).isEqualTo(f2(-3, 1 << 30));
            assertThat(fpu.se[3]).isEqualTo(0xffff);
            assertThat(lo(h, 7)).isEqualTo(f2(10f, 20f));
            assertThat(fpu.top).isZero();
            assertThat(fpu.ftw).isZero();
        }
    }
}
