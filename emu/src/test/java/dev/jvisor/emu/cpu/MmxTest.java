package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import org.junit.jupiter.api.Test;

/** MMX registers alias the x87 significands; moves, EMMS, MOVQ2DQ/MOVDQ2Q, MASKMOVQ, and the MMX exceptions. */
class MmxTest extends SseTest {

    @Test
    void mmxWritesAliasTheX87RegistersAndEnterMmxState() {
        Asm a = code();
        rm(a, 0, 0x6f, 3, 0);           // movq mm3, [rbx]
        a.db(0x4c, 0x0f, 0x6f, 0xe3);   // REX.WR movq mm4, mm3: REX bits do not extend MMX registers
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0x0123_4567_89ab_cdefL);
            X87 f = s.cpu.fpu;
            f.top = 6;
            f.ftw = 0xffff;
            f.se[3] = 0x3fff;
        })) {
            X87 f = h.cpu.fpu;
            assertThat(f.mant[3]).isEqualTo(0x0123_4567_89ab_cdefL);
            assertThat(f.se[3]).isEqualTo(0xffff);
            assertThat(f.mant[4]).isEqualTo(0x0123_4567_89ab_cdefL);
            assertThat(f.top).isZero();
            assertThat(f.ftw).isZero(); // every register valid
            assertThat(f.statusWord() & 0x3800).isZero();
        }
    }

    @Test
    void emmsEmptiesTheTagWord() {
        Asm a = code();
        rr(a, 0, 0xef, 0, 0);           // pxor mm0, mm0
        a.db(0x0f, 0x77);               // emms
        try (CpuHarness h = run(a)) {
            assertThat(h.cpu.fpu.ftw).isEqualTo(0xffff);
            assertThat(h.cpu.fpu.mant[0]).isZero();
            assertThat(h.cpu.fpu.se[0]).isEqualTo(0xffff);
        }
    }

    @Test
    void movdAndMovqWithGeneralRegistersAndMemory() {
        Asm a = code();
        a.mov(RCX, 0x1122_3344_5566_7788L);
        rr(a, 0, 0x6e, 0, 1);           // movd mm0, ecx
        rrW(a, 0, 0x6e, 1, 1);          // movq mm1, rcx
        rm(a, 0, 0x6e, 2, 0);           // movd mm2, [rbx]
        rr(a, 0, 0x7e, 1, 10);          // movd r10d, mm1
        rrW(a, 0, 0x7e, 1, 11);         // movq r11, mm1
        rm(a, 0, 0x7e, 1, 0x10);        // movd [rbx+0x10], mm1
        rm(a, 0, 0x7f, 1, 0x18);        // movq [rbx+0x18], mm1
        rm(a, 0, 0xe7, 0, 0x20);        // movntq [rbx+0x20], mm0
        try (CpuHarness h = run(a, s -> {
            put64(s, 0, 0xaaaa_bbbb_cccc_ddddL, 0, -1L, 0, 0);
            s.cpu.r[10] = -1L;
        })) {
            X87 f = h.cpu.fpu;
            assertThat(f.mant[0]).isEqualTo(0x5566_7788L);
            assertThat(f.mant[1]).isEqualTo(0x1122_3344_5566_7788L);
            assertThat(f.mant[2]).isEqualTo(0xcccc_ddddL);
            assertThat(h.reg(10)).isEqualTo(0x5566_7788L);
            assertThat(h.reg(11)).isEqualTo(0x1122_3344_5566_7788L);
            assertThat(get64(h, 0x10)).isEqualTo(0xffff_ffff_5566_7788L);
            assertThat(get64(h, 0x18)).isEqualTo(0x1122_3344_5566_7788L);
            assertThat(get64(h, 0x20)).isEqualTo(0x5566_7788L);
        }
    }

    @Test
    void movesBetweenMmxAndXmm() {
        Asm a = code();
        rr(a, 0xf3, 0xd6, 9, 5);        // movq2dq xmm9, mm5
        rr(a, 0xf2, 0xd6, 6, 10);       // movdq2q mm6, xmm10
        try (CpuHarness h = run(a, s -> {
            s.cpu.fpu.mant[5] = 0x5555L;
            xmm(s, 9, -1L, -1L);
            xmm(s, 10, 0xaaaaL, 0xbbbbL);
            s.cpu.fpu.ftw = 0xffff;
        })) {
            assertThat(new long[] {lo(h, 9), hi(h, 9)}).containsExactly(0x5555L, 0L);
            assertThat(h.cpu.fpu.mant[6]).isEqualTo(0xaaaaL);
            assertThat(h.cpu.fpu.ftw).isZero();
        }
    }

    @Test
    void maskmovqStoresSelectedBytes() {
        Asm a = code();
        a.lea(RDI, Mem.at(RBX, 8));
        rr(a, 0, 0xf7, 1, 2);           // maskmovq mm1, mm2
        try (CpuHarness h = run(a, s -> {
            put64(s, 8, 0);
            s.cpu.fpu.mant[1] = 0x8877_6655_4433_2211L;
            s.cpu.fpu.mant[2] = 0x8000_0080_7f00_ff80L;
        })) {
            assertThat(get64(h, 8)).isEqualTo(0x8800_0055_0000_2211L);
        }
    }

    @Test
    void pmovmskbOnMmxRegisters() {
        Asm a = code();
        rr(a, 0, 0xd7, 9, 3);           // pmovmskb r9d, mm3
        try (CpuHarness h = run(a, s -> {
            s.cpu.fpu.mant[3] = 0x80ff_7f00_0180_7f81L;
            s.cpu.r[9] = -1L;
        })) {
            assertThat(h.reg(9)).isEqualTo(0b1100_0101L);
            assertThat(h.cpu.fpu.ftw).isZero();
        }
    }

    @Test
    void pendingX87ExceptionRaisesMf() {
        Asm a = code();
        rr(a, 0, 0xfc, 0, 1);           // paddb mm0, mm1
        try (CpuHarness h = run(a, s -> {
            s.cpu.fpu.fsw = 0x80 | 0x01; // ES with an unmasked IE
            s.cpu.fpu.fcw = 0x37e;
            s.cpu.fpu.top = 3;
        })) {
            assertThat(vector(h)).isEqualTo(CpuException.MF);
            assertThat(h.cpu.fpu.top).isEqualTo(3); // the faulting instruction changed nothing
        }
    }

    @Test
    void emulationAndTaskSwitchedBits() {
        Asm a = code();
        a.db(0x0f, 0x77);               // emms
        try (CpuHarness h = run(a, s -> s.cpu.cr0 |= ControlRegisters.CR0_EM)) {
            assertThat(vector(h)).isEqualTo(CpuException.UD);
        }
        Asm b = code();
        rr(b, 0, 0x6f, 0, 1);           // movq mm0, mm1
        try (CpuHarness h = run(b, s -> s.cpu.cr0 |= ControlRegisters.CR0_TS)) {
            assertThat(vector(h)).isEqualTo(CpuException.NM);
        }
        Asm c = code();
        rr(c, 0, 0xd4, 0, 1);           // paddq mm0, mm1: MMX needs no CR4.OSFXSR
        try (CpuHarness h = run(c, s -> {
            s.cpu.cr4 &= ~ControlRegisters.CR4_OSFXSR;
            s.cpu.fpu.mant[0] = 5;
            s.cpu.fpu.mant[1] = 7;
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(h.cpu.fpu.mant[0]).isEqualTo(12);
        }
    }
}
