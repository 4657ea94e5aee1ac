package dev.jvisor.emu.cpu;

/**
 * Base of the x87 instruction classes. {@code rm >= 0} marks a register form whose ST(i) index is
 * {@code rm & 7} (REX.B does not extend x87 register numbers); {@code rm < 0} a memory form.
 */
abstract class X87Insn extends Insn {
    /** Memory operand formats (and REG for an ST(i) operand). */
    static final int M32 = 0, M64 = 1, M80 = 2, I16 = 3, I32 = 4, I64 = 5, BCD = 6, REG = 7;

    /** FOP: the low three bits of the escape opcode and the ModRM byte (SDM Vol. 1 §8.1.9). */
    int fop;

    /** ST(i) of a register form. */
    final int sti() {
        return rm & 7;
    }

    /**
     * The prologue of every non-control instruction (SDM Vol. 1 §8.1.8-8.1.9): #NM, a pending
     * unmasked exception as #MF, then FIP/FCS/FOP and, with a memory operand, FDP/FDS. Clears the
     * exception accumulator.
     */
    final X87 begin(Cpu c) {
        X87 x = c.fpu;
        x.checkWaiting(c);
        x.lastIp = rip;
        x.lastCs = c.seg[Cpu.CS].selector;
        x.lastOpcode = fop;
        if (rm < 0) {
            x.lastDp = offset(c);
            x.lastDs = c.seg[seg].selector;
        }
        x.f.exc = 0;
        return x;
    }

    /**
     * Reads the memory operand of format {@code kind} into {@code f.m}/{@code f.se}, exactly and
     * without raising anything ({@link X87Convert#fromDouble}); {@code f.loadedDenormal} tells whether a
     * 32/64-bit source was a denormal.
     */
    final void loadMemory(Cpu c, X87Float f, int kind) {
        long a = ea(c);
        Mmu mmu = c.mmu;
        switch (kind) {
            case M32 -> X87Convert.fromSingle(f, (int) mmu.read32(a));
            case M64 -> X87Convert.fromDouble(f, mmu.read64(a));
            case I16 -> X87Convert.fromInteger(f, (short) mmu.read16(a));
            case I32 -> X87Convert.fromInteger(f, (int) mmu.read32(a));
            case I64 -> X87Convert.fromInteger(f, mmu.read64(a));
            case M80 -> {
                long m = mmu.read64(a);
                f.result(m, mmu.read16(a + 8));
                f.loadedDenormal = false;
            }
            default -> {
                long low = mmu.read64(a);
                X87Move.fromBcd(f, low, mmu.read16(a + 8));
            }
        }
    }
}
