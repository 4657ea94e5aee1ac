package dev.jvisor.emu.cpu;

/**
 * SSE/SSE2 data movement on XMM registers (SDM Vol. 2): full-register moves (MOVAPS, MOVUPS,
 * MOVAPD, MOVUPD, MOVDQA, MOVDQU and the non-temporal stores MOVNTPS/MOVNTPD/MOVNTDQ, which need
 * no cache hints here), scalar moves (MOVSS, MOVSD), half moves (MOVLPS, MOVHPS, MOVLPD, MOVHPD,
 * MOVHLPS, MOVLHPS, MOVQ) and MOVD/MOVQ between XMM and general registers or memory.
 *
 * <p>Stores with a register destination are decoded as the matching load with the operands
 * swapped, so every class here reads {@code rm} and writes {@code reg} unless it is a store to
 * memory.
 */
final class SseMove {
    /** {@link Half} operations. */
    static final int LOAD_LOW = 0, LOAD_HIGH = 1, HIGH_TO_LOW = 2, LOW_TO_HIGH = 3, STORE_LOW = 4, STORE_HIGH = 5;

    private SseMove() {
    }

    /** xmm = xmm/m128 (MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU loads; {@code aligned} for the A forms). */
    static final class Load128 extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            int d = 2 * reg;
            if (rm >= 0) {
                x[d] = x[2 * rm];
                x[d + 1] = x[2 * rm + 1];
            } else {
                long a = addr16(c);
                long lo = c.mmu.read64(a);
                x[d + 1] = c.mmu.read64(a + 8);
                x[d] = lo;
            }
        }
    }

    /** m128 = xmm (the stores of the above and MOVNTPS/MOVNTPD/MOVNTDQ). */
    static final class Store128 extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long a = addr16(c);
            store128(c, a, c.xmm[2 * reg], c.xmm[2 * reg + 1]);
        }
    }

    /**
     * MOVSS ({@code size} 4) and MOVSD ({@code size} 8): a memory source zeroes the rest of the
     * register, a register source only replaces the low element; {@code op} 1 stores to memory.
     */
    static final class Scalar extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            int d = 2 * reg;
            long mask = size == 8 ? -1L : 0xffff_ffffL;
            if (op == 1) {
                c.mmu.write(ea(c), size, x[d]);
            } else if (rm >= 0) {
                x[d] = (x[d] & ~mask) | (x[2 * rm] & mask);
            } else {
                x[d] = c.mmu.read(ea(c), size);
                x[d + 1] = 0;
            }
        }
    }

    /** MOVLPS/MOVLPD/MOVHPS/MOVHPD loads and stores, MOVHLPS, MOVLHPS. */
    static final class Half extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long[] x = c.xmm;
            int d = 2 * reg;
            switch (op) {
                case LOAD_LOW -> x[d] = c.mmu.read64(ea(c));
                case LOAD_HIGH -> x[d + 1] = c.mmu.read64(ea(c));
                case HIGH_TO_LOW -> x[d] = x[2 * rm + 1];
                case LOW_TO_HIGH -> x[d + 1] = x[2 * rm];
                case STORE_LOW -> c.mmu.write64(ea(c), x[d]);
                default -> c.mmu.write64(ea(c), x[d + 1]); // STORE_HIGH
            }
        }
    }

    /**
     * Zero-extending moves into an XMM register: MOVD/MOVQ xmm, r/m32/r/m64 ({@code op} 0, the
     * source is a general register or memory of {@code size} bytes) and MOVQ xmm, xmm/m64
     * ({@code op} 1).
     */
    static final class ToXmm extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long v;
            if (rm < 0) {
                v = c.mmu.read(ea(c), size);
            } else if (op == 0) {
                v = c.r[rm] & Insn.mask(size);
            } else {
                v = c.xmm[2 * rm];
            }
            c.xmm[2 * reg] = v;
            c.xmm[2 * reg + 1] = 0;
        }
    }

    /** MOVD/MOVQ r/m32/r/m64, xmm: the low {@code size} bytes of the register {@code reg}. */
    static final class FromXmm extends SseInsn {
        @Override
        void exec(Cpu c) {
            Sse.check(c);
            long v = c.xmm[2 * reg];
            if (rm >= 0) {
                c.r[rm] = v & Insn.mask(size); // 32-bit writes zero-extend
            } else {
                c.mmu.write(ea(c), size, v);
            }
        }
    }

    /** MOVNTI m32/m64, r32/r64: an ordinary store (no cache to bypass). No CR0/CR4 checks apply. */
    static final class Movnti extends Insn {
        @Override
        void exec(Cpu c) {
            c.mmu.write(ea(c), size, c.r[reg]);
        }
    }

    /**
     * MASKMOVQ ({@code size} 8) and MASKMOVDQU ({@code size} 16): the bytes of {@code reg} whose
     * mask byte in {@code rm} has its top bit set are stored at DS:rDI (segment overridable,
     * address-size masked). The whole range is probed first so a fault stores nothing.
     */
    static final class MaskMov extends SseInsn {
        @Override
        void exec(Cpu c) {
            long d0;
            long d1 = 0;
            long m0;
            long m1 = 0;
            if (size == 8) {
                Sse.checkMmx(c);
                Sse.enterMmx(c);
                d0 = Sse.mm(c, reg);
                m0 = Sse.mm(c, rm);
            } else {
                Sse.check(c);
                d0 = c.xmm[2 * reg];
                d1 = c.xmm[2 * reg + 1];
                m0 = c.xmm[2 * rm];
                m1 = c.xmm[2 * rm + 1];
            }
            m0 &= 0x8080_8080_8080_8080L;
            m1 &= 0x8080_8080_8080_8080L;
            if ((m0 | m1) == 0) {
                return;
            }
            long a = (c.r[7] & amask) + c.segBase[seg];
            c.mmu.probeWrite(a, size);
            for (int i = 0; i < size; i++) {
                long m = i < 8 ? m0 : m1;
                if ((m & (0x80L << (8 * (i & 7)))) != 0) {
                    long v = i < 8 ? d0 : d1;
                    c.mmu.write8(a + i, v >>> (8 * (i & 7)));
                }
            }
        }
    }
}
