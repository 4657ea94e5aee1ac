package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import org.junit.jupiter.api.Test;

/** CMPPS/CMPSS/CMPPD/CMPSD with all eight predicates, COMISS/UCOMISS/COMISD/UCOMISD and their EFLAGS. */
class SseCompareTest extends SseTest {
    private static final float QNAN = Float.intBitsToFloat(0x7fc0_0000);
    private static final long ARITH = Cpu.CF | Cpu.PF | Cpu.AF | Cpu.ZF | Cpu.SF | Cpu.OF;

    @Test
    void cmppsAllPredicates() {
        // Lanes: 1 vs 2, 2 vs 2, QNaN vs 1, 3 vs 2.
        boolean[][] expected = {
            {false, true, false, false}, // EQ
            {true, false, false, false}, // LT
            {true, true, false, false}, // LE
            {false, false, true, false}, // UNORD
            {true, false, true, true}, // NEQ
            {false, true, true, true}, // NLT
            {false, false, true, true}, // NLE
            {true, true, false, true}, // ORD
        };
        Asm a = code();
        for (int p = 0; p < 8; p++) {
            rr(a, 0, 0x28, 2 + p, 0);       // movaps xmm(2+p), xmm0
            rr(a, 0, 0xc2, 2 + p, 1, p);    // cmpps xmm(2+p), xmm1, p
        }
        rr(a, 0, 0x28, 10, 0);
        rr(a, 0, 0xc2, 10, 1, 0x0f);        // only imm8[2:0] counts: 0x0f is ORD
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, f2(1f, 2f), f2(QNAN, 3f));
            xmm(s, 1, f2(2f, 2f), f2(1f, 2f));
        })) {
            for (int p = 0; p < 8; p++) {
                boolean[] e = expected[p];
                assertThat(lo(h, 2 + p)).as("predicate %d", p).isEqualTo(mask(e[0], e[1]));
                assertThat(hi(h, 2 + p)).as("predicate %d", p).isEqualTo(mask(e[2], e[3]));
            }
            assertThat(lo(h, 10)).isEqualTo(lo(h, 9));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE); // LT, LE, NLT, NLE signal on QNaN
        }
    }

    private static long mask(boolean lo, boolean hi) {
        return (lo ? 0xffff_ffffL : 0) | (hi ? 0xffff_ffff_0000_0000L : 0);
    }

    @Test
    void quietPredicatesOnlySignalOnSnan() {
        Asm a = code();
        rr(a, 0x66, 0xc2, 0, 1, 0);         // cmpeqpd xmm0, xmm1 (QNaN)
        rr(a, 0xf2, 0xc2, 2, 1, 4);         // cmpneqsd xmm2, xmm1
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, d(1.0), d(2.0));
            xmm(s, 1, 0x7ff8_0000_0000_0000L, d(2.0));
            xmm(s, 2, d(5.0), 77);
        })) {
            assertThat(lo(h, 0)).isZero();
            assertThat(hi(h, 0)).isEqualTo(-1L);
            assertThat(lo(h, 2)).isEqualTo(-1L);
            assertThat(hi(h, 2)).isEqualTo(77);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED);
        }
        Asm b = code();
        rr(b, 0xf3, 0xc2, 0, 1, 3);         // cmpunordss xmm0, xmm1 (SNaN)
        try (CpuHarness h = run(b, s -> {
            xmm(s, 0, f2(1f, 9f), 0);
            xmm(s, 1, 0x7f80_0001L, 0);
        })) {
            assertThat(lo(h, 0)).isEqualTo(f2(-1, f(9f)));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
    }

    @Test
    void denormalOperandsSetDeUnlessDaz() {
        Asm a = code();
        rr(a, 0xf3, 0xc2, 0, 1, 0);         // cmpeqss xmm0, xmm1: denormal vs 0
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, 1, 0);
            xmm(s, 1, 0, 0);
        })) {
            assertThat(lo(h, 0)).isZero();
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.DE);
        }
        Asm b = code();
        rr(b, 0xf3, 0xc2, 0, 1, 0);
        try (CpuHarness h = run(b, s -> {
            xmm(s, 0, 1, 0);
            xmm(s, 1, 0, 0);
            s.cpu.mxcsr = XMM_MASKED | Sse.DAZ;
        })) {
            assertThat(lo(h, 0)).isEqualTo(0xffff_ffffL); // the denormal is zero
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.DAZ);
        }
    }

    @Test
    void comisAndUcomisSetZfPfCf() {
        Asm a = code();
        int[][] pairs = {{0, 1}, {1, 0}, {0, 2}, {0, 3}};  // less, greater, equal, unordered (QNaN)
        for (int i = 0; i < pairs.length; i++) {
            rr(a, 0, 0x2e, pairs[i][0], pairs[i][1]);   // ucomiss
            a.db(0x9c, 0x41, 0x58 + i);                // pushfq; pop r8+i
        }
        rr(a, 0x66, 0x2f, 4, 5);                       // comisd xmm4, xmm5 (less)
        a.db(0x9c, 0x41, 0x5c);                        // pushfq; pop r12
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, f(1f), 0);
            xmm(s, 1, f(2f), 0);
            xmm(s, 2, f(1f), 0);
            xmm(s, 3, f(QNAN), 0);
            xmm(s, 4, d(-3.0), 0);
            xmm(s, 5, d(-2.5), 0);
            s.cpu.setRflags(2 | ARITH);
        })) {
            assertThat(h.reg(8) & ARITH).isEqualTo(Cpu.CF);
            assertThat(h.reg(9) & ARITH).isZero();
            assertThat(h.reg(10) & ARITH).isEqualTo(Cpu.ZF);
            assertThat(h.reg(11) & ARITH).isEqualTo(Cpu.ZF | Cpu.PF | Cpu.CF);
            assertThat(h.reg(12) & ARITH).isEqualTo(Cpu.CF);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED); // UCOMISS is quiet on QNaN
        }
    }

    @Test
    void comisSignalsOnQnanAndMayFault() {
        Asm a = code();
        rm(a, 0, 0x2f, 0, 0);                          // comiss xmm0, [rbx]
        try (CpuHarness h = run(a, s -> {
            put32(s, 0, f(QNAN));
            xmm(s, 0, f(1f), 0);
        })) {
            assertThat(h.cpu.rflags() & ARITH).isEqualTo(Cpu.ZF | Cpu.PF | Cpu.CF);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
        Asm b = code();
        rm(b, 0, 0x2f, 0, 0);
        try (CpuHarness h = run(b, s -> {
            put32(s, 0, f(QNAN));
            s.cpu.mxcsr = XMM_MASKED & ~Sse.IM;
            s.cpu.setRflags(2);
        })) {
            assertThat(vector(h)).isEqualTo(CpuException.XM);
            assertThat(h.cpu.mxcsr & Sse.FLAGS).isEqualTo(Sse.IE);
        }
    }
}
