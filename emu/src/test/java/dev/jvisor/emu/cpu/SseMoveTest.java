package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import org.junit.jupiter.api.Test;

/** Data movement: MOVAPS..MOVDQU, MOVSS/MOVSD, half moves, MOVD/MOVQ, MOVMSK, MASKMOVDQU, MOVNT*. */
class SseMoveTest extends SseTest {

    @Test
    void alignedAndUnalignedFullMoves() {
        Asm a = code();
        rm(a, 0, 0x28, 0, 0x00);        // movaps xmm0, [rbx]
        rm(a, 0x66, 0x6f, 9, 0x10);     // movdqa xmm9, [rbx+0x10]
        rm(a, 0xf3, 0x6f, 10, 0x21);    // movdqu xmm10, [rbx+0x21]
        rm(a, 0, 0x10, 11, 0x23);       // movups xmm11, [rbx+0x23]
        rr(a, 0x66, 0x28, 12, 9);       // movapd xmm12, xmm9
        rr(a, 0, 0x29, 13, 10);         // movaps xmm10, xmm13 (store form, register destination)
        rm(a, 0x66, 0x7f, 0, 0x40);     // movdqa [rbx+0x40], xmm0
        rm(a, 0x66, 0x11, 9, 0x51);     // movupd [rbx+0x51], xmm9
        rm(a, 0, 0x2b, 12, 0x80);       // movntps [rbx+0x80], xmm12
        rm(a, 0x66, 0xe7, 11, 0x90);    // movntdq [rbx+0x90], xmm11
        try (CpuHarness h = run(a, s -> {
            for (int i = 0; i < 0x40; i++) {
                s.memory.writeU8(DATA + i, i + 1);
            }
            xmm(s, 13, 0x1313, 0x3131);
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(lo(h, 0)).isEqualTo(0x0807060504030201L);
            assertThat(hi(h, 0)).isEqualTo(0x100f0e0d0c0b0a09L);
            assertThat(lo(h, 9)).isEqualTo(0x1817161514131211L);
            assertThat(lo(h, 10)).isEqualTo(0x1313L); // movdqu result, then overwritten from xmm13
            assertThat(hi(h, 10)).isEqualTo(0x3131L);
            assertThat(lo(h, 11)).isEqualTo(0x2b2a292827262524L);
            assertThat(hi(h, 11)).isEqualTo(0x333231302f2e2d2cL);
            assertThat(lo(h, 12)).isEqualTo(lo(h, 9));
            assertThat(get64(h, 0x40)).isEqualTo(0x0807060504030201L);
            assertThat(get64(h, 0x48)).isEqualTo(0x100f0e0d0c0b0a09L);
            assertThat(h.memory.readU64(DATA + 0x51)).isEqualTo(0x1817161514131211L);
            assertThat(get64(h, 0x80)).isEqualTo(lo(h, 9));
            assertThat(get64(h, 0x98)).isEqualTo(hi(h, 11));
        }
    }

    @Test
    void misalignedAlignedFormsRaiseGp() {
        for (int[] enc : new int[][] {{0, 0x28}, {0x66, 0x6f}, {0x66, 0x29}, {0, 0x58}, {0x66, 0xef}, {0, 0x2b}}) {
            Asm a = code();
            rm(a, enc[0], enc[1], 1, 0x08);
            try (CpuHarness h = run(a)) {
                assertThat(vector(h)).as("%02x %02x", enc[0], enc[1]).isEqualTo(CpuException.GP);
                assertThat(h.reg(14)).isZero(); // error code 0
            }
        }
    }

    @Test
    void unalignedMovesCrossPages() {
        Asm a = code();
        rm(a, 0, 0x11, 2, 0xffa);  // movups [rbx+0xffa], xmm2
        rm(a, 0xf3, 0x6f, 3, 0xffa); // movdqu xmm3, [rbx+0xffa]
        try (CpuHarness h = run(a, s -> xmm(s, 2, 0x1122334455667788L, 0x99aabbccddeeff00L))) {
            assertThat(lo(h, 3)).isEqualTo(0x1122334455667788L);
            assertThat(hi(h, 3)).isEqualTo(0x99aabbccddeeff00L);
        }
    }

    @Test
    void scalarMovesZeroOrMerge() {
        Asm a = code();
        rm(a, 0xf3, 0x10, 0, 0);        // movss xmm0, [rbx]
        rm(a, 0xf2, 0x10, 1, 0);        // movsd xmm1, [rbx]
        rr(a, 0xf3, 0x10, 2, 3);        // movss xmm2, xmm3
        rr(a, 0xf2, 0x10, 4, 3);        // movsd xmm4, xmm3
        rr(a, 0xf3, 0x11, 6, 5);        // movss xmm5, xmm6 (0F 11 register form)
        rm(a, 0xf3, 0x11, 3, 0x20);     // movss [rbx+0x20], xmm3
        rm(a, 0xf2, 0x11, 3, 0x30);     // movsd [rbx+0x30], xmm3
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0xaaaabbbbccccddddL);
            put64(s, 0x20, -1L, -1L, -1L);
            for (int i = 0; i < 7; i++) {
                xmm(s, i, 0x1111111111111111L * (i + 1), 0x0101010101010101L * (i + 1));
            }
        })) {
            assertThat(lo(h, 0)).isEqualTo(0xccccddddL);
            assertThat(hi(h, 0)).isZero();
            assertThat(lo(h, 1)).isEqualTo(0xaaaabbbbccccddddL);
            assertThat(hi(h, 1)).isZero();
            assertThat(lo(h, 2)).isEqualTo(0x3333333344444444L);
            assertThat(hi(h, 2)).isEqualTo(0x0303030303030303L);
            assertThat(lo(h, 4)).isEqualTo(0x4444444444444444L);
            assertThat(hi(h, 4)).isEqualTo(0x0505050505050505L);
            assertThat(lo(h, 5)).isEqualTo(0x6666666677777777L);
            assertThat(get64(h, 0x20)).isEqualTo(0xffffffff44444444L);
            assertThat(get64(h, 0x30)).isEqualTo(0x4444444444444444L);
        }
    }

    @Test
    void halfMoves() {
        Asm a = code();
        rm(a, 0, 0x12, 0, 0);           // movlps xmm0, [rbx]
        rm(a, 0, 0x16, 1, 0);           // movhps xmm1, [rbx]
        rm(a, 0x66, 0x12, 2, 8);        // movlpd xmm2, [rbx+8]
        rm(a, 0x66, 0x16, 3, 8);        // movhpd xmm3, [rbx+8]
        rr(a, 0, 0x12, 4, 9);           // movhlps xmm4, xmm9
        rr(a, 0, 0x16, 5, 9);           // movlhps xmm5, xmm9
        rm(a, 0, 0x13, 9, 0x20);        // movlps [rbx+0x20], xmm9
        rm(a, 0x66, 0x17, 9, 0x28);     // movhpd [rbx+0x28], xmm9
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0x1111L, 0x2222L);
            for (int i = 0; i < 6; i++) {
                xmm(s, i, 0xa0 + i, 0xb0 + i);
            }
            xmm(s, 9, 0x9999L, 0x8888L);
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x1111L, 0xb0L);
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(0xa1L, 0x1111L);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(0x2222L, 0xb2L);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0xa3L, 0x2222L);
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(0x8888L, 0xb4L);
            assertThat(new long[] {lo(h, 5), hi(h, 5)}).containsExactly(0xa5L, 0x9999L);
            assertThat(get64(h, 0x20)).isEqualTo(0x9999L);
            assertThat(get64(h, 0x28)).isEqualTo(0x8888L);
        }
    }

    @Test
    void movdAndMovqBetweenRegisterFiles() {
        Asm a = code();
        a.mov(RAX, 0x8877665544332211L);
        rr(a, 0x66, 0x6e, 0, 0);        // movd xmm0, eax
        rrW(a, 0x66, 0x6e, 9, 0);       // movq xmm9, rax
        rm(a, 0x66, 0x6e, 2, 0);        // movd xmm2, [rbx]
        rmW(a, 0x66, 0x6e, 3, 0);       // movq xmm3, [rbx]
        rr(a, 0x66, 0x7e, 9, 12);       // movd r12d, xmm9
        rrW(a, 0x66, 0x7e, 9, 13);      // movq r13, xmm9
        rm(a, 0x66, 0x7e, 9, 0x20);     // movd [rbx+0x20], xmm9
        rmW(a, 0x66, 0x7e, 9, 0x28);    // movq [rbx+0x28], xmm9
        rr(a, 0xf3, 0x7e, 4, 10);       // movq xmm4, xmm10
        rm(a, 0xf3, 0x7e, 5, 0);        // movq xmm5, [rbx]
        rm(a, 0x66, 0xd6, 10, 0x30);    // movq [rbx+0x30], xmm10
        rr(a, 0x66, 0xd6, 10, 6);       // movq xmm6, xmm10
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0xfedcba9876543210L);
            put64(s, 0x20, -1L, -1L);
            for (int i = 0; i < 7; i++) {
                xmm(s, i, -1L, -1L);
            }
            xmm(s, 10, 0x1010L, 0x2020L);
            s.cpu.r[12] = -1L;
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x44332211L, 0L);
            assertThat(new long[] {lo(h, 9), hi(h, 9)}).containsExactly(0x8877665544332211L, 0L);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(0x76543210L, 0L);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0xfedcba9876543210L, 0L);
            assertThat(h.reg(12)).isEqualTo(0x44332211L);
            assertThat(h.reg(13)).isEqualTo(0x8877665544332211L);
            assertThat(get64(h, 0x20)).isEqualTo(0xffffffff44332211L);
            assertThat(get64(h, 0x28)).isEqualTo(0x8877665544332211L);
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(0x1010L, 0L);
            assertThat(new long[] {lo(h, 5), hi(h, 5)}).containsExactly(0xfedcba9876543210L, 0L);
            assertThat(get64(h, 0x30)).isEqualTo(0x1010L);
            assertThat(new long[] {lo(h, 6), hi(h, 6)}).containsExactly(0x1010L, 0L);
        }
    }

    @Test
    void signMasks() {
        Asm a = code();
        rr(a, 0, 0x50, 9, 1);           // movmskps r9d, xmm1
        rr(a, 0x66, 0x50, 10, 1);       // movmskpd r10d, xmm1
        rr(a, 0x66, 0xd7, 11, 2);       // pmovmskb r11d, xmm2
        rrW(a, 0x66, 0xd7, 12, 2);      // pmovmskb r12, xmm2
        try (CpuHarness h = run(a, s -> {
            xmm(s, 1, 0x8000000000000000L, 0x0000000080000000L);
            xmm(s, 2, 0x80ff7f0001807f81L, 0xf000000000000080L);
            s.cpu.r[9] = -1L;
        })) {
            assertThat(h.reg(9)).isEqualTo(0b0110);
            assertThat(h.reg(10)).isEqualTo(0b01);
            assertThat(h.reg(11)).isEqualTo(0b1000_0001_1100_0101L);
            assertThat(h.reg(12)).isEqualTo(h.reg(11));
        }
    }

    @Test
    void maskmovdquStoresSelectedBytesAtRdi() {
        Asm a = code();
        a.lea(RDI, Mem.at(RBX, 0x40));
        rr(a, 0x66, 0xf7, 1, 2);        // maskmovdqu xmm1, xmm2
        a.lea(RDI, Mem.at(RBX, 0x60));
        rr(a, 0x66, 0xf7, 1, 3);        // all-zero mask: nothing stored
        try (CpuHarness h = run(a, s -> {
            put64(s, 0x40, -1L, -1L);
            put64(s, 0x60, -1L, -1L);
            xmm(s, 1, 0x0807060504030201L, 0x100f0e0d0c0b0a09L);
            xmm(s, 2, 0x0000000000ff0080L, 0x8000000000000000L);
        })) {
            assertThat(get64(h, 0x40)).isEqualTo(0xffffffffff03ff01L);
            assertThat(get64(h, 0x48)).isEqualTo(0x10ffffffffffffffL);
            assertThat(get64(h, 0x60)).isEqualTo(-1L);
        }
    }

    @Test
    void movntiStoresAGeneralRegister() {
        Asm a = code();
        a.mov(RAX, 0x1234567890abcdefL);
        rm(a, 0, 0xc3, 0, 0);           // movnti [rbx], eax
        rmW(a, 0, 0xc3, 0, 8);          // movnti [rbx+8], rax
        try (CpuHarness h = run(a, s -> put64(s, 0, -1L, -1L))) {
            assertThat(get64(h, 0)).isEqualTo(0xffffffff90abcdefL);
            assertThat(get64(h, 8)).isEqualTo(0x1234567890abcdefL);
        }
    }

    @Test
    void protectedModeUsesXmm0To7WithoutRex() {
        Asm a = code32();
        rm(a, 0x66, 0x6f, 7, 0);        // movdqa xmm7, [ebx]
        rr(a, 0x66, 0xef, 7, 6);        // pxor xmm7, xmm6
        rm(a, 0x66, 0x7f, 7, 0x10);     // movdqa [ebx+0x10], xmm7
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0x0f0f0f0f0f0f0f0fL, 0x00ff00ff00ff00ffL);
            xmm(s, 6, -1L, 0x00000000ffffffffL);
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(get64(h, 0x10)).isEqualTo(0xf0f0f0f0f0f0f0f0L);
            assertThat(get64(h, 0x18)).isEqualTo(0x00ff00ffff00ff00L);
        }
    }
}
