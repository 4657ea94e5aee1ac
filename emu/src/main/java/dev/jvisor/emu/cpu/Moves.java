package dev.jvisor.emu.cpu;

/**
 * Data movement: MOV, MOVZX, MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, BSWAP (SDM Vol. 2).
 */
final class Moves {
    private Moves() {
    }

    /** MOV reg(rm) ← reg */
    static final class RR extends Insn {
        @Override
        void exec(Cpu c) {
            setReg(c, rm, rmHi, size, getReg(c, reg, regHi, size));
        }
    }

    /** MOV r64 ← r64, the most common instruction of all. */
    static final class RR64 extends Insn {
        @Override
        void exec(Cpu c) {
            c.r[rm] = c.r[reg];
        }
    }

    /** MOV reg ← [mem] */
    static final class Load extends Insn {
        @Override
        void exec(Cpu c) {
            writeReg(c, c.mmu.read(ea(c), size));
        }
    }

    /** MOV r64 ← [mem] */
    static final class Load64 extends Insn {
        @Override
        void exec(Cpu c) {
            c.r[reg] = c.mmu.read64(ea(c));
        }
    }

    /** MOV [mem] ← reg */
    static final class Store extends Insn {
        @Override
        void exec(Cpu c) {
            c.mmu.write(ea(c), size, readReg(c));
        }
    }

    /** MOV [mem] ← r64 */
    static final class Store64 extends Insn {
        @Override
        void exec(Cpu c) {
            c.mmu.write64(ea(c), c.r[reg]);
        }
    }

    /** MOV reg(rm) ← imm */
    static final class RI extends Insn {
        @Override
        void exec(Cpu c) {
            setReg(c, rm, rmHi, size, imm);
        }
    }

    /** MOV [mem] ← imm */
    static final class MI extends Insn {
        @Override
        void exec(Cpu c) {
            c.mmu.write(ea(c), size, imm);
        }
    }

    /**
     * MOVZX/MOVSX/MOVSXD reg ← r/m of {@link #srcSize()} bytes; {@code op} holds the source size
     * and {@code imm} is 1 for sign extension.
     */
    static final class Extend extends Insn {
        @Override
        void exec(Cpu c) {
            int src = op;
            long v = rm >= 0 ? getReg(c, rm, rmHi, src) : c.mmu.read(ea(c), src);
            if (imm != 0) {
                v = Flags.sext(v, src * 8);
            }
            writeReg(c, v);
        }

        int srcSize() {
            return op;
        }
    }

    /** LEA reg ← effective address (no segment base), truncated to the operand size. */
    static final class Lea extends Insn {
        @Override
        void exec(Cpu c) {
            writeReg(c, offset(c));
        }
    }

    /** XCHG reg, r/m (with memory: implicitly locked, atomic with respect to this CPU). */
    static final class Xchg extends Insn {
        @Override
        void exec(Cpu c) {
            if (rm >= 0) {
                long a = getReg(c, rm, rmHi, size);
                long b = readReg(c);
                setReg(c, rm, rmHi, size, b);
                writeReg(c, a);
            } else if (atomic) {
                AtomicSlot s = c.atomic;
                s.begin(ea(c), size);
                try {
                    long v = readReg(c);
                    long old;
                    do {
                        old = s.load();
                    } while (!s.compareAndSet(v));
                    writeReg(c, old);
                } finally {
                    s.end();
                }
            } else {
                long addr = ea(c);
                long a = c.mmu.readForWrite(addr, size);
                c.mmu.write(addr, size, readReg(c));
                writeReg(c, a);
            }
        }
    }

    /** CMOVcc reg ← r/m. The source is always read; a 32-bit destination is zero-extended either way. */
    static final class Cmov extends Insn {
        @Override
        void exec(Cpu c) {
            long v = readRm(c);
            if (Flags.cond(c, op)) {
                writeReg(c, v);
            } else if (size == 4) {
                c.r[reg] &= 0xffff_ffffL;
            }
        }
    }

    /** SETcc r/m8 */
    static final class Setcc extends Insn {
        @Override
        void exec(Cpu c) {
            writeRm(c, Flags.cond(c, op) ? 1 : 0);
        }
    }

    /** BSWAP reg (16-bit form is undefined; we clear the register half as hardware does). */
    static final class Bswap extends Insn {
        @Override
        void exec(Cpu c) {
            long v = c.r[reg];
            if (size == 8) {
                c.r[reg] = Long.reverseBytes(v);
            } else if (size == 4) {
                c.r[reg] = Integer.reverseBytes((int) v) & 0xffff_ffffL;
            } else {
                c.r[reg] = v & ~0xffffL;
            }
        }
    }
}
