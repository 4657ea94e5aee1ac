package dev.jvisor.emu.cpu;

/**
 * Near control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ (SDM Vol. 2). Relative targets
 * are resolved at decode time into {@code imm} (already truncated to the operand size).
 */
final class Branch {
    private Branch() {
    }

    abstract static class Transfer extends Insn {
        @Override
        final boolean endsBlock() {
            return true;
        }
    }

    /** JMP rel */
    static final class Jmp extends Transfer {
        @Override
        void exec(Cpu c) {
            c.rip = imm;
        }
    }

    /** Jcc rel ({@code op} = condition code) */
    static final class Jcc extends Transfer {
        @Override
        void exec(Cpu c) {
            c.rip = Flags.cond(c, op) ? imm : rip + length;
        }
    }

    /** JMP r/m (near, absolute indirect) */
    static final class JmpRm extends Transfer {
        @Override
        void exec(Cpu c) {
            c.rip = readRm(c);
        }
    }

    /** CALL rel */
    static final class Call extends Transfer {
        @Override
        boolean usesStackSegment() {
            return true;
        }

        @Override
        void exec(Cpu c) {
            c.push(size, rip + length);
            c.rip = imm;
        }
    }

    /** CALL r/m */
    static final class CallRm extends Transfer {
        @Override
        boolean usesStackSegment() {
            return rm >= 0 || seg == Cpu.SS; // a fault on a DS-based target operand is #GP
        }

        @Override
        void exec(Cpu c) {
            long target = readRm(c);
            c.push(size, (rip + length) & mask(size));
            c.rip = target;
        }
    }

    /** RET / RET imm16 ({@code imm} = bytes to release) */
    static final class Ret extends Transfer {
        @Override
        boolean usesStackSegment() {
            return true;
        }

        @Override
        void exec(Cpu c) {
            long target = c.pop(size);
            if (imm != 0) {
                c.setRsp(c.rsp() + imm);
            }
            c.rip = target;
        }
    }

    /** RET in 64-bit mode with no immediate. */
    static final class Ret64 extends Transfer {
        @Override
        boolean usesStackSegment() {
            return true;
        }

        @Override
        void exec(Cpu c) {
            c.rip = c.pop64();
        }
    }

    /**
     * LOOP (op 2), LOOPE (op 1), LOOPNE (op 0), JrCXZ (op 3); the counter width is the address size.
     */
    static final class Loop extends Transfer {
        @Override
        void exec(Cpu c) {
            long m = mask(addrSize);
            long count = c.r[1] & m;
            boolean take;
            if (op == 3) {
                take = count == 0;
            } else {
                count = (count - 1) & m;
                c.r[1] = addrSize == 4 ? count : (c.r[1] & ~m) | count;
                take = count != 0 && switch (op) {
                    case 0 -> !Flags.zf(c);
                    case 1 -> Flags.zf(c);
                    default -> true;
                };
            }
            c.rip = take ? imm : rip + length;
        }
    }
}
