package dev.jvisor.conformance.differential;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.SegReg;

/** Small helpers the generators share for choosing and sizing operands. */
final class Operands {
    private Operands() {
    }

    /** {@code m} with the access size {@code bits}. */
    static Mem sized(Mem m, int bits) {
        return switch (bits) {
            case 8 -> m.bytePtr();
            case 16 -> m.wordPtr();
            case 32 -> m.dwordPtr();
            default -> m.qwordPtr();
        };
    }

    /**
     * A register or (one time in {@code memOdds}) memory operand of {@code bits}, with a random
     * value: registers get an interesting value, memory keeps the slot's random bytes unless
     * {@code interesting} asks for an interesting value there too.
     */
    static Operand regOrMem(CaseBuilder b, int bits, int memOdds) {
        if (b.oneIn(memOdds)) {
            Mem m = b.mem(bits / 8);
            return sized(m, bits);
        }
        Reg r = b.reg(bits);
        b.randomize(r);
        return r;
    }

    /** Where a memory operand points, recomputed from the pinned registers. */
    static long address(CaseBuilder b, Mem m) {
        long a = m.disp();
        boolean addr32 = false;
        if (m.base() != null) {
            a += b.get(Reg.gpr(m.base().code(), 64));
            addr32 = m.base().bits() == 32;
        }
        if (m.index() != null) {
            a += b.get(Reg.gpr(m.index().code(), 64)) * m.scale();
            addr32 = m.index().bits() == 32;
        }
        a = addr32 ? a & 0xffff_ffffL : a;
        // In 64-bit mode only FS and GS add their base (SDM Vol. 3A §3.4.4).
        if (m.segment() == SegReg.FS) {
            a += BatchProgram.FS_BASE;
        } else if (m.segment() == SegReg.GS) {
            a += BatchProgram.GS_BASE;
        }
        return a;
    }

    /** The current value of a register or memory operand (zero-extended). */
    static long valueOf(CaseBuilder b, Operand o, int bits) {
        return switch (o) {
            case Reg r -> b.get(r);
            case Mem m -> b.read(address(b, m), bits / 8);
        };
    }

    /** Sets a register or memory operand's initial value. */
    static void setValue(CaseBuilder b, Operand o, int bits, long value) {
        switch (o) {
            case Reg r -> b.set(r, value);
            case Mem m -> b.write(address(b, m), bits / 8, value);
        }
    }

    /** A sign-extended immediate that fits the instruction's immediate field for {@code bits}. */
    static long immediate(CaseBuilder b, int bits) {
        return b.value(Math.min(bits, 32));
    }
}
