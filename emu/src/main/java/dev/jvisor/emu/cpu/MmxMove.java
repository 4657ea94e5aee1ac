package dev.jvisor.emu.cpu;

/**
 * MMX data movement and state (SDM Vol. 2 MOVD/MOVQ, MOVQ2DQ, MOVDQ2Q, EMMS; Vol. 1 §9.5-9.6).
 * MMX register numbers are ModRM fields without REX extension (MM0-MM7 alias the x87 physical
 * registers R0-R7).
 */
final class MmxMove {
    static final int TO_MM = 0, FROM_MM = 1, LOAD = 2, STORE = 3, MOVQ2DQ = 4, MOVDQ2Q = 5;

    private MmxMove() {
    }

    /**
     * {@code op}: TO_MM (MOVD/MOVQ mm, r/m32/64 of {@code size}), FROM_MM (MOVD/MOVQ r/m, mm), LOAD
     * (MOVQ mm, mm/m64), STORE (MOVQ/MOVNTQ m64, mm), MOVQ2DQ xmm, mm and MOVDQ2Q mm, xmm.
     */
    static final class Move extends SseInsn {
        @Override
        void exec(Cpu c) {
            if (op >= MOVQ2DQ) {
                Sse.check(c);
            }
            Sse.checkMmx(c);
            switch (op) {
                case TO_MM -> {
                    long v = rm >= 0 ? c.r[rm] & Insn.mask(size) : c.mmu.read(ea(c), size);
                    Sse.enterMmx(c);
                    Sse.setMm(c, reg, v);
                }
                case FROM_MM -> {
                    long v = Sse.mm(c, reg);
                    if (rm >= 0) {
                        c.r[rm] = v & Insn.mask(size);
                    } else {
                        c.mmu.write(ea(c), size, v);
                    }
                    Sse.enterMmx(c);
                }
                case LOAD -> {
                    long v = rm >= 0 ? Sse.mm(c, rm) : c.mmu.read64(ea(c));
                    Sse.enterMmx(c);
                    Sse.setMm(c, reg, v);
                }
                case STORE -> {
                    c.mmu.write64(ea(c), Sse.mm(c, reg));
                    Sse.enterMmx(c);
                }
                case MOVQ2DQ -> {
                    Sse.enterMmx(c);
                    c.xmm[2 * reg] = Sse.mm(c, rm);
                    c.xmm[2 * reg + 1] = 0;
                }
                default -> { // MOVDQ2Q
                    Sse.enterMmx(c);
                    Sse.setMm(c, reg, c.xmm[2 * rm]);
                }
            }
        }
    }

    /** EMMS: marks every x87 register empty, leaving MMX state (SDM Vol. 2 EMMS). */
    static final class Emms extends Insn {
        @Override
        void exec(Cpu c) {
            Sse.checkMmx(c);
            c.fpu.ftw = 0xffff;
        }
    }
}
