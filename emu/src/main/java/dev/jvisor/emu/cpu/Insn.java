package dev.jvisor.emu.cpu;

/**
 * One decoded guest instruction, ready to execute. The decoder fills the operand fields once; the
 * instruction then runs many times from the block cache without being decoded again.
 *
 * <p>Operand fields follow the SDM's notation: {@code reg} is ModRM.reg (with REX.R) or the register
 * in the opcode; {@code rm} is the register operand of ModRM.rm, or -1 when it names memory, whose
 * effective address is {@code ((r[base] + (r[index] << scale) + disp) & amask) + segBase[seg]}
 * (absent base/index registers point at the constant-zero slot {@link Cpu#ZERO}; RIP-relative
 * operands have the next RIP folded into {@code disp}). Byte registers AH/CH/DH/BH are encoded as
 * their full register number with the {@code regHi}/{@code rmHi} flag set.
 *
 * <p>Instructions that transfer control set {@link Cpu#rip} themselves and must be the last of a
 * block; all others leave RIP alone and the block loop advances it.
 */
abstract class Insn {
    long rip;
    int length;
    /** Operand size in bytes: 1, 2, 4 or 8. */
    int size;
    int reg;
    boolean regHi;
    int rm = -1;
    boolean rmHi;
    int base = Cpu.ZERO;
    int index = Cpu.ZERO;
    int scale;
    int seg = 6;
    long disp;
    long amask = -1L;
    long imm;
    /** Sub-operation selector (ALU op, shift kind, condition code...). */
    int op;
    /** Address size in bytes (2, 4, 8), for string instructions and LOOP. */
    int addrSize;
    /** REP/REPE (1) or REPNE (2) prefix, for string instructions. */
    int rep;
    /**
     * The memory read-modify-write must be atomic against other vCPUs (LOCK prefix or XCHG with
     * memory, in a VM with several vCPUs): done through {@link Cpu#atomic}.
     */
    boolean atomic;

    abstract void exec(Cpu c);

    /** Whether this instruction may change RIP, CS or mode, and so must end its block. */
    boolean endsBlock() {
        return false;
    }

    /**
     * Whether this instruction's memory access goes through SS (explicitly, or implicitly as a
     * push/pop): a non-canonical address then raises #SS(0) rather than #GP(0) (SDM Vol. 3A §6.15,
     * "Interrupt 12").
     */
    boolean usesStackSegment() {
        return rm < 0 && seg == Cpu.SS;
    }

    final long nextRip() {
        return rip + length;
    }

    /** Effective linear address of the memory operand. */
    final long ea(Cpu c) {
        return ((c.r[base] + (c.r[index] << scale) + disp) & amask) + c.segBase[seg];
    }

    /** The address-size-masked offset without segment base (LEA). */
    final long offset(Cpu c) {
        return (c.r[base] + (c.r[index] << scale) + disp) & amask;
    }

    // --- Operand access helpers, by operand size ----------------------------------------------------

    static long mask(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    final long getReg(Cpu c, int n, boolean hi, int sz) {
        long v = c.r[n];
        return switch (sz) {
            case 1 -> hi ? (v >>> 8) & 0xff : v & 0xff;
            case 2 -> v & 0xffff;
            case 4 -> v & 0xffff_ffffL;
            default -> v;
        };
    }

    final void setReg(Cpu c, int n, boolean hi, int sz, long v) {
        long[] r = c.r;
        switch (sz) {
            case 1 -> {
                if (hi) {
                    r[n] = (r[n] & ~0xff00L) | ((v & 0xff) << 8);
                } else {
                    r[n] = (r[n] & ~0xffL) | (v & 0xff);
                }
            }
            case 2 -> r[n] = (r[n] & ~0xffffL) | (v & 0xffff);
            case 4 -> r[n] = v & 0xffff_ffffL;
            default -> r[n] = v;
        }
    }

    /** Reads the ModRM.rm operand (register or memory). */
    final long readRm(Cpu c) {
        return rm >= 0 ? getReg(c, rm, rmHi, size) : c.mmu.read(ea(c), size);
    }

    final void writeRm(Cpu c, long v) {
        if (rm >= 0) {
            setReg(c, rm, rmHi, size, v);
        } else {
            c.mmu.write(ea(c), size, v);
        }
    }

    final long readReg(Cpu c) {
        return getReg(c, reg, regHi, size);
    }

    final void writeReg(Cpu c, long v) {
        setReg(c, reg, regHi, size, v);
    }

    /** Copies the decoded fields of {@code d} into this instruction (used by the decoder). */
    final <T extends Insn> T from(Insn d) {
        rip = d.rip;
        length = d.length;
        size = d.size;
        reg = d.reg;
        regHi = d.regHi;
        rm = d.rm;
        rmHi = d.rmHi;
        base = d.base;
        index = d.index;
        scale = d.scale;
        seg = d.seg;
        disp = d.disp;
        amask = d.amask;
        imm = d.imm;
        op = d.op;
        addrSize = d.addrSize;
        rep = d.rep;
        atomic = d.atomic;
        @SuppressWarnings("unchecked")
        T self = (T) this;
        return self;
    }
}
