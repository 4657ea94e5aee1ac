package dev.jvisor.emu.cpu;

/**
 * Near control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ (SDM Vol. 2). Relative targets
 * are resolved at decode time into {@code imm} (already truncated to the operand size).
 *
 * <p>A transfer to a non-canonical address raises #GP(0) at the branch itself, with nothing changed
 * (no push, pop or counter update), as the SDM's "IF tempRIP is not canonical THEN #GP(0)" says;
 * RIP never holds a non-canonical value. Outside 64-bit mode targets are at most 32 bits wide, so
 * the check never fires there.
 */
final class Branch {
    private Branch() {
    }

    /** Whether {@code target} is not canonical (48-bit linear addresses). */
    static boolean nonCanonical(long target) {
        return ((target << 16) >> 16) != target;
    }

    /** #GP(0) for a branch to {@code target} if it is not canonical. */
    static void checkTarget(Cpu c, long target) {
        if (nonCanonical(target)) {
            c.nonCanonicalFault = false; // a #GP(0) of the branch, never the #SS(0) of a stack access
            throw c.gp0();
        }
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
            checkTarget(c, imm);
            c.rip = imm;
        }
    }

    /** Jcc rel ({@code op} = condition code) */
    static final class Jcc extends Transfer {
        @Override
        void exec(Cpu c) {
            if (Flags.cond(c, op)) {
                checkTarget(c, imm);
                c.rip = imm;
            } else {
                c.rip = rip + length;
            }
        }
    }

    /** JMP r/m (near, absolute indirect) */
    static final class JmpRm extends Transfer {
        @Override
        void exec(Cpu c) {
            long target = readRm(c);
            checkTarget(c, target);
            c.rip = target;
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
            checkTarget(c, imm);
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
            checkTarget(c, target);
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
            long target = c.peek(size);
            checkTarget(c, target);
            c.pop(size);
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
            c.rip = c.popReturnAddress64();
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
                take = count != 0 && switch (op) {
                    case 0 -> !Flags.zf(c);
                    case 1 -> Flags.zf(c);
                    default -> true;
                };
            }
            if (take) {
                checkTarget(c, imm); // before the counter changes: a faulting LOOP changes nothing
            }
            if (op != 3) {
                c.r[1] = addrSize == 4 ? count : (c.r[1] & ~m) | count;
            }
            c.rip = take ? imm : rip + length;
        }
    }
}
