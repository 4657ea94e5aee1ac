package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.util.function.Consumer;

/**
 * Shared support for the SSE/MMX/FXSAVE tests: a long-mode (or protected-mode) guest whose
 * exception vectors 0-31 each record their vector in R15 and stop, RBX pointing at a data area,
 * and an encoder for the 0F-map instructions the test assembler lacks.
 */
abstract class SseTest {
    /** Data area; RBX/EBX points here when the program starts. */
    static final long DATA = 0x30000;
    static final long HANDLERS = TinyGuest.CODE + 0x8000;
    /** R15 after a run without exception. */
    static final long NO_EXCEPTION = -1;
    static final int XMM_MASKED = 0x1f80;

    /** A 64-bit program with RBX = DATA. */
    static Asm code() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RBX, DATA);
        return a;
    }

    /** A 32-bit protected-mode program with EBX = DATA. */
    static Asm code32() {
        Asm a = new Asm(32, TinyGuest.CODE);
        a.mov(EBX, DATA);
        return a;
    }

    static void stop(Asm a) {
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
    }

    /**
     * Runs {@code a} (a stop is appended) after {@code setup} adjusted the CPU. R14 holds the
     * word at the top of the stack (the error code or RIP) and R13 the next one after an
     * exception. The caller closes the harness.
     */
    static CpuHarness run(Asm a, Consumer<CpuHarness> setup) {
        stop(a);
        boolean bits64 = a.bits() == 64;
        Asm h = new Asm(bits64 ? 64 : 32, HANDLERS);
        TinyGuest g = bits64 ? TinyGuest.longMode() : TinyGuest.protectedMode();
        for (int v = 0; v < 32; v++) {
            long at = h.address();
            if (bits64) {
                h.mov(R15, v).mov(R14, Mem.at(RSP)).mov(R13, Mem.at(RSP, 8));
            } else {
                h.mov(EDI, v).mov(ESI, Mem.at(ESP)).mov(EBP, Mem.at(ESP, 4));
            }
            stop(h);
            g.interruptGate(v, at);
        }
        CpuHarness harness = new CpuHarness(g.load(a).load(h));
        harness.cpu.r[15] = NO_EXCEPTION;
        harness.cpu.r[7] = bits64 ? 0 : NO_EXCEPTION & 0xffff_ffffL;
        if (!bits64) {
            harness.cpu.cr4 |= ControlRegisters.CR4_OSFXSR | ControlRegisters.CR4_OSXMMEXCPT;
        }
        if (setup != null) {
            setup.accept(harness);
        }
        assertThat(harness.run()).isEqualTo(VcpuExit.KICKED);
        return harness;
    }

    static CpuHarness run(Asm a) {
        return run(a, null);
    }

    /** The exception vector the guest took, or -1. */
    static long vector(CpuHarness h) {
        return h.cpu.codeSize == 64 ? h.cpu.r[15] : (h.cpu.r[7] == (NO_EXCEPTION & 0xffff_ffffL) ? -1 : h.cpu.r[7]);
    }

    // --- Encoding -------------------------------------------------------------------------------------

    /**
     * Emits {@code [prefix] [REX] 0F op ModRM [imm8]} with register operands {@code reg} and
     * {@code rm} (0-15); {@code prefix} 0 for none.
     */
    static void rr(Asm a, int prefix, int op, int reg, int rm, int... imm) {
        emit(a, prefix, false, op, reg, rm, -1, imm);
    }

    /** As {@link #rr} with REX.W. */
    static void rrW(Asm a, int prefix, int op, int reg, int rm, int... imm) {
        emit(a, prefix, true, op, reg, rm, -1, imm);
    }

    /** {@code reg} with the memory operand [RBX + disp32]. */
    static void rm(Asm a, int prefix, int op, int reg, int disp, int... imm) {
        emit(a, prefix, false, op, reg, 3, disp, imm);
    }

    static void rmW(Asm a, int prefix, int op, int reg, int disp, int... imm) {
        emit(a, prefix, true, op, reg, 3, disp, imm);
    }

    private static void emit(Asm a, int prefix, boolean w, int op, int reg, int rm, long disp, int[] imm) {
        if (prefix != 0) {
            a.db(prefix);
        }
        int rex = (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
        if (rex != 0) {
            a.db(0x40 | rex);
        }
        a.db(0x0f, op);
        if (disp < 0) {
            a.db(0xc0 | (reg & 7) << 3 | (rm & 7));
        } else {
            a.db(0x80 | (reg & 7) << 3 | (rm & 7));
            a.dd(disp);
        }
        for (int i : imm) {
            a.db(i);
        }
    }

    // --- Data ---------------------------------------------------------------------------------------

    static void put64(CpuHarness h, long off, long... values) {
        for (int i = 0; i < values.length; i++) {
            h.memory.writeU64(DATA + off + 8L * i, values[i]);
        }
    }

    static void put32(CpuHarness h, long off, int... values) {
        for (int i = 0; i < values.length; i++) {
            h.memory.writeU32(DATA + off + 4L * i, values[i]);
        }
    }

    static long get64(CpuHarness h, long off) {
        return h.memory.readU64(DATA + off);
    }

    static int get32(CpuHarness h, long off) {
        return h.memory.readU32AsInt(DATA + off);
    }

    /** Sets XMMn to (lo, hi). */
    static void xmm(CpuHarness h, int n, long lo, long hi) {
        h.cpu.xmm[2 * n] = lo;
        h.cpu.xmm[2 * n + 1] = hi;
    }

    static long lo(CpuHarness h, int n) {
        return h.cpu.xmm[2 * n];
    }

    static long hi(CpuHarness h, int n) {
        return h.cpu.xmm[2 * n + 1];
    }

    static long f2(float lo, float hi) {
        return (Float.floatToRawIntBits(lo) & 0xffff_ffffL) | (long) Float.floatToRawIntBits(hi) << 32;
    }

    static long f2(int lo, int hi) {
        return (lo & 0xffff_ffffL) | (long) hi << 32;
    }

    static long d(double v) {
        return Double.doubleToRawLongBits(v);
    }

    static int f(float v) {
        return Float.floatToRawIntBits(v);
    }
}
