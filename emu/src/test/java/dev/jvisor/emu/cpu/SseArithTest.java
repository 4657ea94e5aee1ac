package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import org.junit.jupiter.api.Test;

/**
 * SSE/SSE2 floating-point arithmetic special cases: NaN propagation, invalid operations,
 * divide-by-zero, denormals with and without DAZ, MIN/MAX operand rules, signed zeros, packed and
 * scalar forms, unmasked exceptions (#XM or #UD, destination untouched), RCP/RSQRT.
 */
class SseArithTest extends SseTest {
    private static final int QNAN_S = 0x7fc0_1234, SNAN_S = 0x7f80_0002;
    private static final long QNAN_D = 0xfff8_0000_0000_0abcL, SNAN_D = 0x7ff0_0000_0000_0001L;
    private static final int DEN_S = 0x0000_0003;

    /** Runs one instruction on xmm0 (dst), xmm1 (src) with the given MXCSR. */
    private static CpuHarness one(int prefix, int op, long dlo, long dhi, long slo, long shi, int mxcsr, int... imm) {
        Asm a = code();
        rr(a, prefix, op, 0, 1, imm);
        return run(a, s -> {
            xmm(s, 0, dlo, dhi);
            xmm(s, 1, slo, shi);
            s.cpu.mxcsr = mxcsr;
        });
    }

    @Test
    void packedSingleAddHandlesInfinityZeroAndQuietNan() {
        try (CpuHarness h = one(0, 0x58, f2(1.5f, -2f), f2(Float.POSITIVE_INFINITY, 3f), f2(2.25f, 2f),
                f2(1f, Float.intBitsToFloat(QNAN_S)), XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(f2(3.75f, 0f));
            assertThat(hi(h, 0)).isEqualTo(f2(f(Float.POSITIVE_INFINITY), QNAN_S));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED); // a QNaN operand is no exception
        }
    }

    @Test
    void nanOperandsFollowTheFirstSourceRule() {
        // mulpd: SNaN in the destination is quieted (#I); a QNaN source passes through.
        try (CpuHarness h = one(0x66, 0x59, SNAN_D, d(2.0), d(3.0), QNAN_D, XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(SNAN_D | 1L << 51);
            assertThat(hi(h, 0)).isEqualTo(QNAN_D);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
        // addss: two NaNs give the first source even when the second one is the SNaN.
        try (CpuHarness h = one(0xf3, 0x58, 0x7fc0_0001, 0, SNAN_S, 0, XMM_MASKED)) {
            assertThat((int) lo(h, 0)).isEqualTo(0x7fc0_0001);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
        // divsd: an SNaN source alone is quieted, keeping sign and payload.
        try (CpuHarness h = one(0xf2, 0x5e, d(1.0), 7, SNAN_D | Long.MIN_VALUE, 0, XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(0xfff8_0000_0000_0001L);
            assertThat(hi(h, 0)).isEqualTo(7);
        }
    }

    @Test
    void invalidOperationsGiveTheDefaultNan() {
        int inf = f(Float.POSITIVE_INFINITY);
        try (CpuHarness h = one(0xf3, 0x5c, inf, 0, inf, 0, XMM_MASKED)) { // subss inf - inf
            assertThat((int) lo(h, 0)).isEqualTo(SseFloat.DEFAULT_NAN_S);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
        try (CpuHarness h = one(0xf2, 0x59, d(0.0), 0, d(Double.NEGATIVE_INFINITY), 0, XMM_MASKED)) { // mulsd 0*inf
            assertThat(lo(h, 0)).isEqualTo(SseFloat.DEFAULT_NAN_D);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
        try (CpuHarness h = one(0, 0x5e, f2(0f, 1f), 0, f2(-0f, 0f), 0, XMM_MASKED)) { // divps 0/0, 1/0
            assertThat(lo(h, 0)).isEqualTo(f2(SseFloat.DEFAULT_NAN_S, f(Float.POSITIVE_INFINITY)));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE | Sse.ZE);
        }
        try (CpuHarness h = one(0x66, 0x51, 0, 0, d(-1.0), d(-0.0), XMM_MASKED)) { // sqrtpd
            assertThat(lo(h, 0)).isEqualTo(SseFloat.DEFAULT_NAN_D);
            assertThat(hi(h, 0)).isEqualTo(d(-0.0));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE);
        }
    }

    @Test
    void divideByZeroOnlyForFiniteNonZeroDividends() {
        try (CpuHarness h = one(0x66, 0x5e, d(-1.0), d(Double.POSITIVE_INFINITY), d(0.0), d(-0.0), XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(d(Double.NEGATIVE_INFINITY));
            assertThat(hi(h, 0)).isEqualTo(d(Double.NEGATIVE_INFINITY));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.ZE);
        }
        try (CpuHarness h = one(0xf3, 0x5e, QNAN_S, 0, 0, 0, XMM_MASKED)) { // QNaN / 0: no #Z
            assertThat((int) lo(h, 0)).isEqualTo(QNAN_S);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED);
        }
    }

    @Test
    void denormalsSetDeOrBecomeZeroWithDaz() {
        try (CpuHarness h = one(0xf3, 0x58, f(1f), 0, DEN_S, 0, XMM_MASKED)) {
            assertThat((int) lo(h, 0)).isEqualTo(f(1f)); // 1 + tiny rounds to 1
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.DE | Sse.PE);
        }
        try (CpuHarness h = one(0xf3, 0x58, f(1f), 0, DEN_S, 0, XMM_MASKED | Sse.DAZ)) {
            assertThat((int) lo(h, 0)).isEqualTo(f(1f));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.DAZ);
        }
        try (CpuHarness h = one(0xf3, 0x59, DEN_S | 0x8000_0000, 0, f(2f), 0, XMM_MASKED | Sse.DAZ)) {
            assertThat((int) lo(h, 0)).isEqualTo(0x8000_0000); // -0
        }
        try (CpuHarness h = one(0xf2, 0x59, 1, 0, d(0.5), 0, XMM_MASKED)) { // min denormal * 0.5: ties to 0
            assertThat(lo(h, 0)).isZero();
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.DE | Sse.UE | Sse.PE);
        }
        try (CpuHarness h = one(0xf2, 0x59, d(Double.MIN_NORMAL), 0, d(0.5), 0, XMM_MASKED)) { // exact denormal
            assertThat(lo(h, 0)).isEqualTo(1L << 51);
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED);
        }
        try (CpuHarness h = one(0xf2, 0x59, d(Double.MIN_NORMAL), 0, d(0.5), 0, XMM_MASKED | Sse.FTZ)) {
            assertThat(lo(h, 0)).isZero(); // flush-to-zero also flushes exact tiny results
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.FTZ | Sse.UE | Sse.PE);
        }
    }

    @Test
    void tininessIsDetectedAfterRounding() {
        // (1 - 2^-53) * 2^-1022 rounds to 2^-1022, but with an unbounded exponent it is
        // 2^-1022 - 2^-1075: tiny, so UE is set although the result is normal.
        try (CpuHarness h = one(0xf2, 0x59, 0x3fef_ffff_ffff_ffffL, 0, d(Double.MIN_NORMAL), 0, XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(d(Double.MIN_NORMAL));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.UE | Sse.PE);
        }
    }

    @Test
    void overflowByRoundingMode() {
        long max = d(Double.MAX_VALUE);
        int[] modes = {Sse.RN, Sse.RD, Sse.RU, Sse.RZ};
        long[] positive = {d(Double.POSITIVE_INFINITY), max, d(Double.POSITIVE_INFINITY), max};
        for (int i = 0; i < 4; i++) {
            try (CpuHarness h = one(0xf2, 0x58, max, 0, max, 0, XMM_MASKED | modes[i] << 13)) {
                assertThat(lo(h, 0)).as("mode %d", modes[i]).isEqualTo(positive[i]);
                assertThat(h.cpu.mxcsr & Sse.FLAGS).isEqualTo(Sse.OE | Sse.PE);
            }
        }
        try (CpuHarness h = one(0xf3, 0x59, f(-3e38f), 0, f(10f), 0, XMM_MASKED | Sse.RU << 13)) {
            assertThat((int) lo(h, 0)).isEqualTo(f(-Float.MAX_VALUE));
        }
    }

    @Test
    void directedRoundingAndSignedZeroSums() {
        long tiny = d(0x1p-60);
        try (CpuHarness h = one(0x66, 0x58, d(1.0), d(-1.0), tiny, tiny, XMM_MASKED | Sse.RU << 13)) {
            assertThat(lo(h, 0)).isEqualTo(d(Math.nextUp(1.0)));
            assertThat(hi(h, 0)).isEqualTo(d(-1.0 + 0x1p-53));
        }
        try (CpuHarness h = one(0x66, 0x58, d(1.0), d(-1.0), tiny, tiny, XMM_MASKED | Sse.RZ << 13)) {
            assertThat(lo(h, 0)).isEqualTo(d(1.0));
            assertThat(hi(h, 0)).isEqualTo(d(-1.0 + 0x1p-53));
        }
        try (CpuHarness h = one(0x66, 0x5c, d(2.5), d(0.0), d(2.5), d(0.0), XMM_MASKED | Sse.RD << 13)) {
            assertThat(lo(h, 0)).isEqualTo(d(-0.0)); // x - x = -0 when rounding down
            assertThat(hi(h, 0)).isEqualTo(d(-0.0));
            assertThat(h.cpu.mxcsr & Sse.FLAGS).isZero();
        }
        try (CpuHarness h = one(0x66, 0x5c, d(2.5), d(0.0), d(2.5), d(0.0), XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(d(0.0));
            assertThat(hi(h, 0)).isEqualTo(d(0.0));
        }
    }

    @Test
    void minAndMaxReturnTheSecondOperandForNansAndEqualValues() {
        float qnan = Float.intBitsToFloat(QNAN_S);
        try (CpuHarness h = one(0, 0x5d, f2(1f, 0f), f2(-0f, 5f), f2(2f, -0f), f2(0f, qnan), XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(f2(1f, -0f)); // min(1,2)=1, min(+0,-0)=-0 (second)
            assertThat(hi(h, 0)).isEqualTo(f2(0f, qnan)); // min(-0,+0)=+0; NaN: the source
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED | Sse.IE); // MIN signals #I on QNaNs
        }
        try (CpuHarness h = one(0xf2, 0x5f, QNAN_D, 9, d(-4.0), 0, XMM_MASKED)) { // maxsd NaN, -4
            assertThat(lo(h, 0)).isEqualTo(d(-4.0));
            assertThat(hi(h, 0)).isEqualTo(9);
        }
        try (CpuHarness h = one(0x66, 0x5f, d(3.0), d(-1.0), d(2.0), d(-0.5), XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(d(3.0));
            assertThat(hi(h, 0)).isEqualTo(d(-0.5));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED);
        }
    }

    @Test
    void scalarFormsKeepTheUpperElements() {
        try (CpuHarness h = one(0xf3, 0x51, f2(7f, 8f), 99, f2(16f, 25f), 77, XMM_MASKED)) { // sqrtss
            assertThat(lo(h, 0)).isEqualTo(f2(4f, 8f));
            assertThat(hi(h, 0)).isEqualTo(99);
        }
        Asm a = code();
        rm(a, 0xf2, 0x5c, 0, 0);        // subsd xmm0, [rbx]
        rm(a, 0xf3, 0x59, 1, 0x10);     // mulss xmm1, [rbx+0x10]
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, d(0.25));
            put32(s, 0x10, f(3f));
            xmm(s, 0, d(1.0), 5);
            xmm(s, 1, f2(2f, 6f), 6);
        })) {
            assertThat(lo(h, 0)).isEqualTo(d(0.75));
            assertThat(hi(h, 0)).isEqualTo(5);
            assertThat(lo(h, 1)).isEqualTo(f2(6f, 6f));
        }
    }

    @Test
    void unmaskedExceptionsFaultWithoutWritingTheDestination() {
        int zeroDivideUnmasked = XMM_MASKED & ~Sse.ZM;
        Asm div = code();
        long divAt = div.address();
        rr(div, 0xf3, 0x5e, 0, 1); // divss xmm0, xmm1
        try (CpuHarness h = run(div, s -> {
            xmm(s, 0, f(1f), 0);
            s.cpu.mxcsr = zeroDivideUnmasked;
        })) {
            assertThat(vector(h)).isEqualTo(CpuException.XM);
            assertThat(lo(h, 0)).isEqualTo(f(1f));
            assertThat(h.cpu.mxcsr).isEqualTo(zeroDivideUnmasked | Sse.ZE);
            assertThat(h.reg(14)).isEqualTo(divAt); // #XM is a fault: RIP of the divss
        }
        try (CpuHarness h = run(oneInsn(0xf3, 0x5e), s -> {
            xmm(s, 0, f(1f), 0);
            s.cpu.mxcsr = zeroDivideUnmasked;
            s.cpu.cr4 &= ~ControlRegisters.CR4_OSXMMEXCPT;
        })) {
            assertThat(vector(h)).isEqualTo(CpuException.UD);
        }
        // An unmasked pre-computation exception in one element suppresses the post-computation
        // flags of the others: IE is recorded, the overflow of element 1 is not.
        int invalidUnmasked = XMM_MASKED & ~Sse.IM;
        long inf = d(Double.POSITIVE_INFINITY);
        long max = d(Double.MAX_VALUE);
        try (CpuHarness h = one(0x66, 0x58, inf, max, d(Double.NEGATIVE_INFINITY), max, invalidUnmasked)) {
            assertThat(vector(h)).isEqualTo(CpuException.XM);
            assertThat(h.cpu.mxcsr).isEqualTo(invalidUnmasked | Sse.IE);
            assertThat(hi(h, 0)).isEqualTo(max);
        }
        int inexactUnmasked = XMM_MASKED & ~Sse.PM;
        try (CpuHarness h = one(0xf2, 0x5e, d(1.0), 0, d(3.0), 0, inexactUnmasked)) {
            assertThat(vector(h)).isEqualTo(CpuException.XM);
            assertThat(lo(h, 0)).isEqualTo(d(1.0));
            assertThat(h.cpu.mxcsr).isEqualTo(inexactUnmasked | Sse.PE);
        }
        // A flag left set by earlier code does not fault again.
        try (CpuHarness h = one(0xf2, 0x58, d(1.0), 0, d(2.0), 0, zeroDivideUnmasked | Sse.ZE)) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(lo(h, 0)).isEqualTo(d(3.0));
        }
    }

    private static Asm oneInsn(int prefix, int op) {
        Asm a = code();
        rr(a, prefix, op, 0, 1);
        return a;
    }

    @Test
    void reciprocalApproximations() {
        try (CpuHarness h = one(0, 0x53, 0, 0, f2(2f, 3f), f2(0f, Float.NEGATIVE_INFINITY), XMM_MASKED & ~Sse.PM)) {
            assertThat(vector(h)).isEqualTo(-1); // no exceptions at all, even unmasked #P
            assertThat((int) lo(h, 0)).isEqualTo(f(0.5f));
            float third = Float.intBitsToFloat((int) (lo(h, 0) >>> 32));
            assertThat(Math.abs(third * 3 - 1)).isLessThanOrEqualTo(1.5f * 0x1p-12f);
            assertThat(hi(h, 0)).isEqualTo(f2(Float.POSITIVE_INFINITY, -0f));
            assertThat(h.cpu.mxcsr & Sse.FLAGS).isZero();
        }
        try (CpuHarness h = one(0, 0x52, 0, 0, f2(4f, -1f), f2(-0f, Float.intBitsToFloat(DEN_S)), XMM_MASKED)) {
            assertThat((int) lo(h, 0)).isEqualTo(f(0.5f));
            assertThat((int) (lo(h, 0) >>> 32)).isEqualTo(SseFloat.DEFAULT_NAN_S);
            assertThat(hi(h, 0)).isEqualTo(f2(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY));
            assertThat(h.cpu.mxcsr).isEqualTo(XMM_MASKED);
        }
        try (CpuHarness h = one(0xf3, 0x53, f2(1f, 2f), 3, f(Float.MAX_VALUE), 0, XMM_MASKED)) {
            assertThat(lo(h, 0)).isEqualTo(f2(0f, 2f)); // tiny reciprocal flushed to zero
            assertThat(hi(h, 0)).isEqualTo(3);
        }
    }
}
