package dev.jvisor.emu.cpu;

/**
 * Base of the SSE/SSE2/MMX instruction classes: 128-bit memory operand helpers.
 *
 * <p>Decoded instructions are shared by every CPU of the VM (the block cache is global), so the
 * fields here are fixed at decode time and never written while executing.
 */
abstract class SseInsn extends Insn {
    /**
     * The 16-byte memory operand must be 16-byte aligned: every legacy SSE instruction with an m128
     * operand except MOVUPS/MOVUPD/MOVDQU raises #GP(0) otherwise (SDM Vol. 1 §11.6.8; Vol. 3A
     * §13.1.4).
     */
    boolean aligned;

    /** Linear address of a 16-byte memory operand, after the alignment check. */
    final long addr16(Cpu c) {
        long a = ea(c);
        if (aligned && (a & 15) != 0) {
            throw c.gp0();
        }
        return a;
    }

    /**
     * Stores 16 bytes. An unaligned store that crosses a page is probed first so that a page fault
     * on the second page leaves memory untouched.
     */
    static void store128(Cpu c, long a, long lo, long hi) {
        Mmu m = c.mmu;
        if ((a & 0xfff) > 0xff0) {
            m.probeWrite(a, 16);
        }
        m.write64(a, lo);
        m.write64(a + 8, hi);
    }
}
