package dev.jvisor.emu.cpu;

/**
 * The eight classic two-operand ALU operations and TEST (SDM Vol. 2: ADD, OR, ADC, SBB, AND, SUB,
 * XOR, CMP, TEST), in register, memory and immediate forms.
 *
 * <p>{@link Insn#op} selects the operation with the encoding's /digit numbering (0 ADD .. 7 CMP);
 * 8 is TEST. CMP and TEST do not write their result.
 */
final class Alu {
    static final int ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7, TEST = 8;

    private Alu() {
    }

    /** Computes {@code a op b} at {@code size} bytes, records the flags, returns the masked result. */
    static long compute(Cpu c, int op, int size, long a, long b) {
        int bits = size * 8;
        long m = Insn.mask(size);
        long r;
        switch (op) {
            case ADD -> {
                r = (a + b) & m;
                Flags.set(c, Flags.ADD, bits, a, b, r);
            }
            case OR -> {
                r = a | b;
                Flags.logic(c, bits, r);
            }
            case ADC -> {
                boolean cin = carryAfterAddition(c);
                r = (a + b + (cin ? 1 : 0)) & m;
                Flags.set(c, Flags.ADC, bits, a, b, r);
                c.fAux = cin;
            }
            case SBB -> {
                boolean cin = borrowAfterSubtraction(c);
                r = (a - b - (cin ? 1 : 0)) & m;
                Flags.set(c, Flags.SBB, bits, a, b, r);
                c.fAux = cin;
            }
            case AND, TEST -> {
                r = a & b;
                Flags.logic(c, bits, r);
            }
            case SUB, CMP -> {
                r = (a - b) & m;
                Flags.set(c, Flags.SUB, bits, a, b, r);
            }
            case XOR -> {
                r = a ^ b;
                Flags.logic(c, bits, r);
            }
            default -> throw new IllegalStateException("ALU op " + op);
        }
        return r;
    }

    /** LOCK op [mem], src: a compare-and-set loop (the flags are those of the update that took). */
    static void atomically(Cpu c, int op, int size, long addr, long src) {
        AtomicSlot s = c.atomic;
        s.begin(addr, size);
        try {
            long old;
            long r;
            do {
                old = s.load();
                r = compute(c, op, size, old, src);
            } while (!s.compareAndSet(r));
        } finally {
            s.end();
        }
    }

    /**
     * CF for ADC: multi-precision additions chain ADD/ADC/ADC..., so the carry of the previous
     * addition is computed here directly instead of through the general lazy-flags switch.
     */
    private static boolean carryAfterAddition(Cpu c) {
        int prev = c.fOp;
        if (prev == Flags.ADD) {
            return Long.compareUnsigned(c.fRes, c.fA) < 0;
        }
        if (prev == Flags.ADC) {
            return c.fAux ? Long.compareUnsigned(c.fRes, c.fA) <= 0 : Long.compareUnsigned(c.fRes, c.fA) < 0;
        }
        return c.cf();
    }

    /** CF for SBB, likewise after SUB/CMP/SBB. */
    private static boolean borrowAfterSubtraction(Cpu c) {
        int prev = c.fOp;
        if (prev == Flags.SUB) {
            return Long.compareUnsigned(c.fA, c.fB) < 0;
        }
        if (prev == Flags.SBB) {
            return c.fAux ? Long.compareUnsigned(c.fA, c.fB) <= 0 : Long.compareUnsigned(c.fA, c.fB) < 0;
        }
        return c.cf();
    }

    private static boolean writes(int op) {
        return op != CMP && op != TEST;
    }

    /** op reg(rm), reg */
    static final class RR extends Insn {
        @Override
        void exec(Cpu c) {
            long a = getReg(c, rm, rmHi, size);
            long r = compute(c, op, size, a, readReg(c));
            if (writes(op)) {
                setReg(c, rm, rmHi, size, r);
            }
        }
    }

    /** op reg(rm), imm */
    static final class RI extends Insn {
        @Override
        void exec(Cpu c) {
            long a = getReg(c, rm, rmHi, size);
            long r = compute(c, op, size, a, imm & mask(size));
            if (writes(op)) {
                setReg(c, rm, rmHi, size, r);
            }
        }
    }

    /** op reg, [mem] */
    static final class RM extends Insn {
        @Override
        void exec(Cpu c) {
            long b = c.mmu.read(ea(c), size);
            long r = compute(c, op, size, readReg(c), b);
            if (writes(op)) {
                writeReg(c, r);
            }
        }
    }

    /** op [mem], reg */
    static final class MR extends Insn {
        @Override
        void exec(Cpu c) {
            long addr = ea(c);
            if (atomic) {
                atomically(c, op, size, addr, readReg(c));
                return;
            }
            long a = writes(op) ? c.mmu.readForWrite(addr, size) : c.mmu.read(addr, size);
            long r = compute(c, op, size, a, readReg(c));
            if (writes(op)) {
                c.mmu.write(addr, size, r);
            }
        }
    }

    /** op [mem], imm */
    static final class MI extends Insn {
        @Override
        void exec(Cpu c) {
            long addr = ea(c);
            if (atomic) {
                atomically(c, op, size, addr, imm & mask(size));
                return;
            }
            long a = writes(op) ? c.mmu.readForWrite(addr, size) : c.mmu.read(addr, size);
            long r = compute(c, op, size, a, imm & mask(size));
            if (writes(op)) {
                c.mmu.write(addr, size, r);
            }
        }
    }

    /** XOR/SUB reg, same reg: the zeroing idiom, specialised because compilers emit it constantly. */
    static final class Zero extends Insn {
        @Override
        void exec(Cpu c) {
            setReg(c, rm, rmHi, size, 0);
            if (op == XOR) {
                Flags.logic(c, size * 8, 0);
            } else {
                Flags.set(c, Flags.SUB, size * 8, 0, 0, 0);
            }
        }
    }
}
