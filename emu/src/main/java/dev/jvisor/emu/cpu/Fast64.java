package dev.jvisor.emu.cpu;

/**
 * Specialised forms of the most frequent integer instructions (measured on the Linux boot: 64-bit
 * register ALU operations, shifts by an immediate and IMUL make up about 40% of all instructions).
 * Each class does one operation at one width, with no operation or size switch and no masking, and
 * records the lazy flags exactly as {@link Alu#compute} / {@link Shifts#shift} would.
 */
final class Fast64 {
    private Fast64() {
    }

    /** Picks a specialised class for {@code op reg(rm), reg} at 64 bits, or null. */
    static Insn aluRR64(int op) {
        return switch (op) {
            case Alu.ADD -> new AddRR();
            case Alu.SUB -> new SubRR();
            case Alu.CMP -> new CmpRR();
            case Alu.AND -> new AndRR();
            case Alu.OR -> new OrRR();
            case Alu.XOR -> new XorRR();
            case Alu.TEST -> new TestRR();
            default -> null;
        };
    }

    /** Picks a specialised class for {@code op reg(rm), imm} at 64 bits, or null. */
    static Insn aluRI64(int op) {
        return switch (op) {
            case Alu.ADD -> new AddRI();
            case Alu.SUB -> new SubRI();
            case Alu.CMP -> new CmpRI();
            case Alu.AND -> new AndRI();
            default -> null;
        };
    }

    private static void flags(Cpu c, int op, long a, long b, long res) {
        c.fOp = op;
        c.fBits = 64;
        c.fA = a;
        c.fB = b;
        c.fRes = res;
    }

    private static void logic(Cpu c, long res) {
        c.fOp = Flags.LOGIC;
        c.fBits = 64;
        c.fRes = res;
    }

    static final class AddRR extends Insn {
        @Override
        void exec(Cpu c) {
            long[] r = c.r;
            long a = r[rm];
            long b = r[reg];
            long res = a + b;
            r[rm] = res;
            flags(c, Flags.ADD, a, b, res);
        }
    }

    static final class SubRR extends Insn {
        @Override
        void exec(Cpu c) {
            long[] r = c.r;
            long a = r[rm];
            long b = r[reg];
            long res = a - b;
            r[rm] = res;
            flags(c, Flags.SUB, a, b, res);
        }
    }

    static final class CmpRR extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[rm];
            long b = c.r[reg];
            flags(c, Flags.SUB, a, b, a - b);
        }
    }

    static final class AndRR extends Insn {
        @Override
        void exec(Cpu c) {
            long res = c.r[rm] & c.r[reg];
            c.r[rm] = res;
            logic(c, res);
        }
    }

    static final class OrRR extends Insn {
        @Override
        void exec(Cpu c) {
            long res = c.r[rm] | c.r[reg];
            c.r[rm] = res;
            logic(c, res);
        }
    }

    static final class XorRR extends Insn {
        @Override
        void exec(Cpu c) {
            long res = c.r[rm] ^ c.r[reg];
            c.r[rm] = res;
            logic(c, res);
        }
    }

    static final class TestRR extends Insn {
        @Override
        void exec(Cpu c) {
            logic(c, c.r[rm] & c.r[reg]);
        }
    }

    static final class AddRI extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[rm];
            long res = a + imm;
            c.r[rm] = res;
            flags(c, Flags.ADD, a, imm, res);
        }
    }

    static final class SubRI extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[rm];
            long res = a - imm;
            c.r[rm] = res;
            flags(c, Flags.SUB, a, imm, res);
        }
    }

    static final class CmpRI extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[rm];
            flags(c, Flags.SUB, a, imm, a - imm);
        }
    }

    static final class AndRI extends Insn {
        @Override
        void exec(Cpu c) {
            long res = c.r[rm] & imm;
            c.r[rm] = res;
            logic(c, res);
        }
    }

    /** SHL/SHR/SAR r64, imm8 with a non-zero masked count (zero counts keep the generic class). */
    static final class ShiftRI extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[rm];
            int n = (int) imm;
            long res;
            int kind;
            if (op == Shifts.SHR) {
                res = a >>> n;
                kind = Flags.SHR;
            } else if (op == Shifts.SAR) {
                res = a >> n;
                kind = Flags.SAR;
            } else {
                res = a << n;
                kind = Flags.SHL;
            }
            c.r[rm] = res;
            flags(c, kind, a, n, res);
        }
    }

    /** IMUL r64, r/m64 (register source). */
    static final class ImulRR extends Insn {
        @Override
        void exec(Cpu c) {
            long a = c.r[reg];
            long b = c.r[rm];
            long lo = a * b;
            c.r[reg] = lo;
            c.fOp = Flags.MUL;
            c.fBits = 64;
            c.fRes = lo;
            c.fAux = Math.multiplyHigh(a, b) != (lo >> 63);
        }
    }
}
