package dev.jvisor.emu.cpu;

/** PUSH, POP, PUSHF, POPF, ENTER, LEAVE, PUSHA, POPA (SDM Vol. 2). */
final class Stack {
    private Stack() {
    }

    /** Instructions whose implicit memory operand is the stack. */
    abstract static class StackInsn extends Insn {
        @Override
        boolean usesStackSegment() {
            return true;
        }
    }

    /** PUSH r64 */
    static final class PushR64 extends StackInsn {
        @Override
        void exec(Cpu c) {
            c.push64(c.r[reg]);
        }
    }

    /** POP r64 */
    static final class PopR64 extends StackInsn {
        @Override
        void exec(Cpu c) {
            long v = c.pop64();
            c.r[reg] = v;
        }
    }

    /** PUSH reg (any size) */
    static final class PushR extends StackInsn {
        @Override
        void exec(Cpu c) {
            c.push(size, getReg(c, reg, false, size));
        }
    }

    /** POP reg (any size) */
    static final class PopR extends StackInsn {
        @Override
        void exec(Cpu c) {
            long v = c.pop(size);
            setReg(c, reg, false, size, v);
        }
    }

    /** PUSH imm (sign-extended at decode time) */
    static final class PushI extends StackInsn {
        @Override
        void exec(Cpu c) {
            c.push(size, imm);
        }
    }

    /** PUSH r/m */
    static final class PushRm extends StackInsn {
        @Override
        boolean usesStackSegment() {
            return rm >= 0 || seg == Cpu.SS; // a fault on a DS-based operand is #GP
        }

        @Override
        void exec(Cpu c) {
            c.push(size, readRm(c));
        }
    }

    /**
     * POP r/m. The stack pointer is incremented before the destination address is computed
     * (SDM Vol. 2 "POP": "If the ESP register is used as a base register ... after it is
     * incremented"); a faulting store leaves RSP unchanged.
     */
    static final class PopRm extends StackInsn {
        @Override
        boolean usesStackSegment() {
            return rm >= 0 || seg == Cpu.SS; // a fault on a DS-based operand is #GP
        }

        @Override
        void exec(Cpu c) {
            long oldSp = c.r[4];
            long v = c.pop(size);
            try {
                writeRm(c, v);
            } catch (CpuException e) {
                c.r[4] = oldSp;
                throw e;
            }
        }
    }

    /** PUSHF/PUSHFD/PUSHFQ: VM and RF are pushed as zero. */
    static final class Pushf extends StackInsn {
        @Override
        void exec(Cpu c) {
            c.push(size, c.rflags() & ~(Cpu.VM | Cpu.RF));
        }
    }

    /**
     * POPF: which bits change depends on CPL and IOPL (SDM Vol. 2 "POPF", Table "Effect of POPF on
     * the EFLAGS register"): IOPL only at CPL 0, IF only when CPL <= IOPL; VM, VIP, VIF and RF are
     * never set by POPF in protected mode; a 16-bit POPF touches only the low 16 bits.
     */
    static final class Popf extends StackInsn {
        @Override
        void exec(Cpu c) {
            long v = c.pop(size);
            c.setRflags(mergeFlags(c, c.rflags(), v, size));
        }

        @Override
        boolean endsBlock() {
            return true; // IF or TF may change
        }
    }

    static long mergeFlags(Cpu c, long old, long v, int size) {
        long changeable = Cpu.ARITH_FLAGS | Cpu.TF | Cpu.DF | Cpu.NT | Cpu.AC | Cpu.ID;
        int iopl = (int) ((old >> 12) & 3);
        if (!c.protectedMode() || c.cpl == 0) {
            changeable |= Cpu.IOPL | Cpu.IF;
        } else if (c.cpl <= iopl) {
            changeable |= Cpu.IF;
        }
        if (size == 2) {
            changeable &= 0xffff;
        }
        return (old & ~changeable) | (v & changeable);
    }

    /** LEAVE: RSP ← RBP; pop RBP. */
    static final class Leave extends StackInsn {
        @Override
        void exec(Cpu c) {
            long oldSp = c.r[4];
            c.setRsp(c.r[5]);
            try {
                long v = c.pop(size);
                setReg(c, 5, false, size, v);
            } catch (CpuException e) {
                c.r[4] = oldSp;
                throw e;
            }
        }
    }

    /** ENTER imm16, imm8 (frame size in {@code imm}, nesting level in {@code op}). */
    static final class Enter extends StackInsn {
        @Override
        void exec(Cpu c) {
            int level = op & 31;
            long oldSp = c.r[4];
            try {
                c.push(size, getReg(c, 5, false, size));
                long frame = c.rsp();
                long bp = getReg(c, 5, false, size);
                for (int i = 1; i < level; i++) {
                    bp -= size;
                    long v = c.mmu.read(c.segBase[Cpu.SS] + (bp & c.stackMask), size);
                    c.push(size, v);
                }
                if (level > 0) {
                    c.push(size, frame);
                }
                setReg(c, 5, false, size, frame);
                c.setRsp(c.rsp() - imm);
            } catch (CpuException e) {
                c.r[4] = oldSp;
                throw e;
            }
        }
    }

    /** PUSHA/PUSHAD (legacy modes only). */
    static final class Pusha extends StackInsn {
        @Override
        void exec(Cpu c) {
            long sp = getReg(c, 4, false, size);
            for (int i = 0; i < 8; i++) {
                c.push(size, i == 4 ? sp : getReg(c, i, false, size));
            }
        }
    }

    /** POPA/POPAD (legacy modes only); the stored SP is discarded. */
    static final class Popa extends StackInsn {
        @Override
        void exec(Cpu c) {
            for (int i = 7; i >= 0; i--) {
                long v = c.pop(size);
                if (i != 4) {
                    setReg(c, i, false, size, v);
                }
            }
        }
    }
}
