package dev.jvisor.emu.cpu;

/**
 * FXSAVE, FXRSTOR, LDMXCSR and STMXCSR (0F AE /0-/3 with a memory operand; SDM Vol. 2 FXSAVE,
 * Tables 10-2 and 10-3).
 *
 * <p>The 512-byte area: FCW, FSW, the abridged tag byte (bit i set when physical register i is not
 * empty), FOP, the last instruction and data pointers (64-bit offsets with REX.W, else 32-bit
 * offsets followed by selectors, which this CPU does not track and stores as zero, like CPUs with
 * deprecated FCS/FDS), MXCSR, MXCSR_MASK ({@link Sse#MXCSR_MASK}), ST(0)-ST(7) in stack order, and
 * XMM0-XMM15 in 64-bit mode or XMM0-XMM7 otherwise. Bytes 464-511 and the unused XMM slots are left
 * untouched. XMM and MXCSR state is saved and restored whatever CR4.OSFXSR says (the SDM leaves
 * that implementation-dependent).
 */
final class Fxsave {
    static final int FXSAVE = 0, FXRSTOR = 1, LDMXCSR = 2, STMXCSR = 3;

    private Fxsave() {
    }

    /** One of the four, by {@code op}; {@code size} 8 selects the 64-bit (REX.W) format. */
    static final class Op extends Insn {
        @Override
        void exec(Cpu c) {
            switch (op) {
                case LDMXCSR -> {
                    Sse.check(c);
                    long v = c.mmu.read32(ea(c));
                    if ((v & ~(long) Sse.MXCSR_MASK) != 0) {
                        throw c.gp0();
                    }
                    c.mxcsr = (int) v;
                }
                case STMXCSR -> {
                    Sse.check(c);
                    c.mmu.write32(ea(c), c.mxcsr);
                }
                default -> {
                    if ((c.cr0 & (ControlRegisters.CR0_EM | ControlRegisters.CR0_TS)) != 0) {
                        throw c.fault(CpuException.NM);
                    }
                    long a = ea(c);
                    if ((a & 15) != 0) {
                        throw c.gp0();
                    }
                    if (op == FXSAVE) {
                        save(c, a, size == 8);
                    } else {
                        restore(c, a, size == 8);
                    }
                }
            }
        }
    }

    private static int xmmCount(Cpu c) {
        return c.codeSize == 64 ? 16 : 8;
    }

    static void save(Cpu c, long a, boolean wide) {
        Mmu m = c.mmu;
        m.probeWrite(a, 512); // nothing is written unless everything can be
        X87 f = c.fpu;
        m.write16(a, f.fcw);
        m.write16(a + 2, f.statusWord());
        m.write8(a + 4, f.abridgedTags());
        m.write8(a + 5, 0);
        m.write16(a + 6, f.lastOpcode & 0x7ff);
        if (wide) {
            m.write64(a + 8, f.lastIp);
            m.write64(a + 16, f.lastDp);
        } else {
            m.write32(a + 8, f.lastIp);
            m.write32(a + 12, 0); // FCS and reserved
            m.write32(a + 16, f.lastDp);
            m.write32(a + 20, 0); // FDS and reserved
        }
        m.write32(a + 24, c.mxcsr);
        m.write32(a + 28, Sse.MXCSR_MASK);
        for (int i = 0; i < 8; i++) {
            int p = f.phys(i);
            long s = a + 32 + 16 * i;
            m.write64(s, f.mant[p]);
            m.write16(s + 8, f.se[p]);
            m.write16(s + 10, 0);
            m.write32(s + 12, 0);
        }
        int n = xmmCount(c);
        for (int i = 0; i < 2 * n; i++) {
            m.write64(a + 160 + 8 * i, c.xmm[i]);
        }
    }

    static void restore(Cpu c, long a, boolean wide) {
        Mmu m = c.mmu;
        long mx = m.read32(a + 24);
        if ((mx & ~(long) Sse.MXCSR_MASK) != 0) {
            throw c.gp0();
        }
        // Touch both pages the area may span, so no read below can fault half way.
        m.read8(a);
        m.read8(a + 511);
        X87 f = c.fpu;
        f.fcw = m.read16(a);
        f.setStatusWord(m.read16(a + 2));
        int tags = m.read8(a + 4);
        f.lastOpcode = m.read16(a + 6) & 0x7ff;
        if (wide) {
            f.lastIp = m.read64(a + 8);
            f.lastDp = m.read64(a + 16);
        } else {
            f.lastIp = m.read32(a + 8);
            f.lastDp = m.read32(a + 16);
        }
        for (int i = 0; i < 8; i++) {
            int p = f.phys(i);
            long s = a + 32 + 16 * i;
            f.mant[p] = m.read64(s);
            f.se[p] = m.read16(s + 8);
        }
        f.setAbridgedTags(tags); // after the registers: valid ones are classified by content
        c.mxcsr = (int) mx;
        int n = xmmCount(c);
        for (int i = 0; i < 2 * n; i++) {
            c.xmm[i] = m.read64(a + 160 + 8 * i);
        }
    }
}
