package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import org.junit.jupiter.api.Test;

/** Shuffles and element moves: PSHUFD/HW/LW/W, SHUFPS/PD, UNPCK*PS/PD, PINSRW/PEXTRW, MMX PUNPCKL with m32. */
class SseShuffleTest extends SseTest {
    private static final long LO = 0x3333_2222_1111_0000L, HI = 0x7777_6666_5555_4444L;

    @Test
    void wordAndDwordShuffles() {
        Asm a = code();
        rr(a, 0x66, 0x70, 0, 8, 0x1b);  // pshufd xmm0, xmm8, 0x1b (reverse dwords)
        rr(a, 0xf3, 0x70, 1, 8, 0x00);  // pshufhw xmm1, xmm8, 0 (broadcast word 4)
        rr(a, 0xf2, 0x70, 2, 8, 0xe4);  // pshuflw xmm2, xmm8, identity
        rm(a, 0xf2, 0x70, 3, 0, 0x4e);  // pshuflw xmm3, [rbx], swap dword halves of the low qword
        rr(a, 0, 0x70, 4, 1, 0x39);     // pshufw mm4, mm1, 0x39 (rotate words)
        try (CpuHarness h = run(a, s -> {
            xmm(s, 8, LO, HI);
            put64(s, 0, LO, HI);
            s.cpu.fpu.mant[1] = LO;
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x5555_4444_7777_6666L, 0x1111_0000_3333_2222L);
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(LO, 0x4444_4444_4444_4444L);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(LO, HI);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0x1111_0000_3333_2222L, HI);
            assertThat(h.cpu.fpu.mant[4]).isEqualTo(0x0000_3333_2222_1111L);
        }
    }

    @Test
    void floatShufflesAndUnpacks() {
        Asm a = code();
        for (int i = 0; i < 6; i++) {
            rr(a, 0, 0x28, i, 8);       // movaps xmm(i), xmm8
        }
        rr(a, 0, 0xc6, 0, 9, 0xb1);     // shufps xmm0, xmm9, 0b10_11_00_01
        rr(a, 0x66, 0xc6, 1, 9, 0x1);   // shufpd xmm1, xmm9, 1
        rr(a, 0, 0x14, 2, 9);           // unpcklps
        rr(a, 0, 0x15, 3, 9);           // unpckhps
        rr(a, 0x66, 0x14, 4, 9);        // unpcklpd
        rm(a, 0x66, 0x15, 5, 0);        // unpckhpd xmm5, [rbx]
        try (CpuHarness h = run(a, s -> {
            xmm(s, 8, f2(0, 1), f2(2, 3));
            xmm(s, 9, f2(10, 11), f2(12, 13));
            put64(s, 0, f2(20, 21), f2(22, 23));
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(f2(1, 0), f2(13, 12));
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(f2(2, 3), f2(10, 11));
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(f2(0, 10), f2(1, 11));
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(f2(2, 12), f2(3, 13));
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(f2(0, 1), f2(10, 11));
            assertThat(new long[] {lo(h, 5), hi(h, 5)}).containsExactly(f2(2, 3), f2(22, 23));
        }
    }

    @Test
    void insertAndExtractWords() {
        Asm a = code();
        a.mov(RCX, 0xabcd_1234L);
        rr(a, 0x66, 0xc4, 0, 1, 5);     // pinsrw xmm0, ecx, 5
        rm(a, 0x66, 0xc4, 0, 0, 0x0a);  // pinsrw xmm0, [rbx], 2 (imm & 7)
        rr(a, 0, 0xc4, 2, 1, 7);        // pinsrw mm2, ecx, 3 (imm & 3)
        rr(a, 0x66, 0xc5, 8, 0, 5);     // pextrw r8d, xmm0, 5
        rrW(a, 0x66, 0xc5, 9, 0, 2);    // pextrw r9, xmm0, 2
        rr(a, 0, 0xc5, 10, 2, 3);       // pextrw r10d, mm2, 3
        try (CpuHarness h = run(a, s -> {
            xmm(s, 0, LO, HI);
            put64(s, 0, 0xbeefL);
            s.cpu.fpu.mant[2] = LO;
            s.cpu.r[8] = s.cpu.r[9] = s.cpu.r[10] = -1L;
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x3333_beef_1111_0000L, 0x7777_6666_1234_4444L);
            assertThat(h.cpu.fpu.mant[2]).isEqualTo(0x1234_2222_1111_0000L);
            assertThat(h.reg(8)).isEqualTo(0x1234);
            assertThat(h.reg(9)).isEqualTo(0xbeef);
            assertThat(h.reg(10)).isEqualTo(0x1234);
        }
    }

    @Test
    void mmxUnpackLowReadsOnlyFourBytesOfMemory() {
        // The dword right below the top of guest RAM: an 8-byte read would leave RAM.
        long top = 16L << 20;
        Asm a = code();
        a.mov(RSI, top - 4);
        a.db(0x0f, 0x60, 0x0e);         // punpcklbw mm1, [rsi]
        a.db(0x0f, 0x62, 0x16);         // punpckldq mm2, [rsi]
        try (CpuHarness h = run(a, s -> {
            s.memory.writeU32(top - 4, 0xd4c3b2a1);
            s.cpu.fpu.mant[1] = 0x0807_0605_0403_0201L;
            s.cpu.fpu.mant[2] = 0x0807_0605_0403_0201L;
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(h.env.accesses).isEmpty();
            assertThat(h.cpu.fpu.mant[1]).isEqualTo(0xd404_c303_b202_a101L);
            assertThat(h.cpu.fpu.mant[2]).isEqualTo(0xd4c3_b2a1_0403_0201L);
        }
    }
}
