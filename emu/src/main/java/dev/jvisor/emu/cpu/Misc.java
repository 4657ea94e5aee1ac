package dev.jvisor.emu.cpu;

/**
 * Small unprivileged instructions: flag manipulation, sign extension of the accumulator, LAHF/SAHF,
 * XLAT, NOP/PAUSE, XADD, CMPXCHG, CMPXCHG8B, CPUID, RDTSC, INT n, INT3, INTO, UD (SDM Vol. 2).
 */
final class Misc {
    static final int NOP = 0, CLC = 1, STC = 2, CMC = 3, CLD = 4, STD = 5, CBW = 6, CWD = 7, LAHF = 8, SAHF = 9,
            XLAT = 10, CPUID = 11, RDTSC = 12, SALC = 13, FWAIT = 14, LFENCE = 15, CLFLUSH = 16, PAUSE = 17;

    private Misc() {
    }

    /** A family of operand-free instructions selected by {@code op}. */
    static final class Simple extends Insn {
        @Override
        void exec(Cpu c) {
            long[] r = c.r;
            switch (op) {
                case NOP -> {
                }
                case LFENCE -> {
                    // LFENCE/SFENCE/MFENCE: order this vCPU's accesses against the other vCPUs'.
                    if (c.smp) {
                        java.lang.invoke.VarHandle.fullFence();
                    }
                }
                case PAUSE -> {
                    // A spin-wait: with several vCPUs the one being waited for may be a host thread
                    // that is not running now (its core is busy), so give it the core.
                    if (c.smp) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                }
                case CLC -> Flags.setCf(c, false);
                case STC -> Flags.setCf(c, true);
                case CMC -> Flags.setCf(c, !c.cf());
                case CLD -> c.rflagsRest &= ~Cpu.DF;
                case STD -> c.rflagsRest |= Cpu.DF;
                case CBW -> { // CBW/CWDE/CDQE
                    switch (size) {
                        case 2 -> r[0] = (r[0] & ~0xffffL) | ((long) (byte) r[0] & 0xffff);
                        case 4 -> r[0] = (long) (short) r[0] & 0xffff_ffffL;
                        default -> r[0] = (int) r[0];
                    }
                }
                case CWD -> { // CWD/CDQ/CQO
                    switch (size) {
                        case 2 -> r[2] = (r[2] & ~0xffffL) | (((short) r[0] < 0) ? 0xffff : 0);
                        case 4 -> r[2] = ((int) r[0] < 0) ? 0xffff_ffffL : 0;
                        default -> r[2] = r[0] >> 63;
                    }
                }
                case LAHF -> {
                    long f = Flags.status(c) | 2;
                    r[0] = (r[0] & ~0xff00L) | ((f & 0xd7) << 8);
                }
                case SAHF -> {
                    long ah = (r[0] >>> 8) & 0xd5;
                    Flags.eager(c, (Flags.status(c) & Cpu.OF) | ah);
                }
                case XLAT -> {
                    long addr = ((r[3] + (r[0] & 0xff)) & amask) + c.segBase[seg];
                    r[0] = (r[0] & ~0xffL) | c.mmu.read8(addr);
                }
                case CPUID -> c.cpuid.execute(r);
                case RDTSC -> {
                    if ((c.cr4 & (1 << 2)) != 0 && c.cpl != 0) { // CR4.TSD
                        throw c.gp0();
                    }
                    long tsc = c.env.tsc();
                    r[0] = tsc & 0xffff_ffffL;
                    r[2] = tsc >>> 32;
                }
                case SALC -> r[0] = (r[0] & ~0xffL) | (c.cf() ? 0xff : 0);
                case FWAIT -> c.fpu.checkPending(c);
                case CLFLUSH -> c.mmu.read8(ea(c)); // no caches to flush; the access is still checked
                default -> throw new IllegalStateException("misc op " + op);
            }
        }
    }

    /** XADD r/m, reg */
    static final class Xadd extends Insn {
        @Override
        void exec(Cpu c) {
            long addr = rm < 0 ? ea(c) : 0;
            if (atomic) {
                AtomicSlot s = c.atomic;
                s.begin(addr, size);
                try {
                    long src = readReg(c);
                    long old;
                    do {
                        old = s.load();
                    } while (!s.compareAndSet(Alu.compute(c, Alu.ADD, size, old, src)));
                    writeReg(c, old);
                } finally {
                    s.end();
                }
                return;
            }
            long dst = rm >= 0 ? getReg(c, rm, rmHi, size) : c.mmu.readForWrite(addr, size);
            long src = readReg(c);
            long sum = Alu.compute(c, Alu.ADD, size, dst, src);
            if (rm >= 0) {
                writeReg(c, dst);
                setReg(c, rm, rmHi, size, sum);
            } else {
                c.mmu.write(addr, size, sum);
                writeReg(c, dst);
            }
        }
    }

    /**
     * CMPXCHG r/m, reg: compares the accumulator with the destination; equal → store reg, else load
     * the accumulator. A memory destination is always written (SDM: "the destination operand is
     * written back if the comparison fails").
     */
    static final class Cmpxchg extends Insn {
        @Override
        void exec(Cpu c) {
            long addr = rm < 0 ? ea(c) : 0;
            if (atomic) {
                AtomicSlot s = c.atomic;
                s.begin(addr, size);
                try {
                    long acc = getReg(c, 0, false, size);
                    long want = readReg(c);
                    while (true) {
                        long cur = s.load();
                        if (cur != acc) {
                            // On failure hardware writes the old value back; atomically that is no
                            // change at all, so nothing is stored.
                            Alu.compute(c, Alu.CMP, size, acc, cur);
                            setReg(c, 0, false, size, cur);
                            return;
                        }
                        if (s.compareAndSet(want)) {
                            Alu.compute(c, Alu.CMP, size, acc, cur);
                            return;
                        }
                    }
                } finally {
                    s.end();
                }
            }
            long dst = rm >= 0 ? getReg(c, rm, rmHi, size) : c.mmu.readForWrite(addr, size);
            long acc = getReg(c, 0, false, size);
            Alu.compute(c, Alu.CMP, size, acc, dst);
            if (acc == dst) {
                long v = readReg(c);
                if (rm >= 0) {
                    setReg(c, rm, rmHi, size, v);
                } else {
                    c.mmu.write(addr, size, v);
                }
            } else {
                if (rm < 0) {
                    c.mmu.write(addr, size, dst);
                }
                setReg(c, 0, false, size, dst);
            }
        }
    }

    /** CMPXCHG8B m64 (CMPXCHG16B is not advertised: #UD with REX.W). */
    static final class Cmpxchg8b extends Insn {
        @Override
        void exec(Cpu c) {
            long addr = ea(c);
            if (atomic) {
                long[] r = c.r;
                long expected = (r[0] & 0xffff_ffffL) | (r[2] << 32);
                long f = Flags.status(c) & ~Cpu.ZF;
                AtomicSlot s = c.atomic;
                s.begin(addr, 8);
                try {
                    while (true) {
                        long cur = s.load();
                        if (cur != expected) {
                            r[0] = cur & 0xffff_ffffL;
                            r[2] = cur >>> 32;
                            Flags.eager(c, f);
                            return;
                        }
                        if (s.compareAndSet((r[3] & 0xffff_ffffL) | (r[1] << 32))) {
                            Flags.eager(c, f | Cpu.ZF);
                            return;
                        }
                    }
                } finally {
                    s.end();
                }
            }
            long mem = c.mmu.readForWrite(addr, 8);
            long[] r = c.r;
            long expected = (r[0] & 0xffff_ffffL) | (r[2] << 32);
            long f = Flags.status(c) & ~Cpu.ZF;
            if (mem == expected) {
                c.mmu.write64(addr, (r[3] & 0xffff_ffffL) | (r[1] << 32));
                Flags.eager(c, f | Cpu.ZF);
            } else {
                c.mmu.write64(addr, mem);
                r[0] = mem & 0xffff_ffffL;
                r[2] = mem >>> 32;
                Flags.eager(c, f);
            }
        }
    }

    /**
     * INT n ({@code op} = vector), INT3 ({@code rep} = 1), INTO ({@code rep} = 2, only if OF): software
     * interrupts push the address of the next instruction.
     */
    static final class Int extends Insn {
        @Override
        void exec(Cpu c) {
            if (rep == 2 && !Flags.of(c)) {
                return;
            }
            Interrupts.deliver(c, op, Interrupts.SOFTWARE, false, 0, rip + length);
        }

        @Override
        boolean endsBlock() {
            return true;
        }
    }

    /**
     * An instruction this emulator does not implement, or an invalid encoding: raises #UD. The first
     * time each distinct encoding is hit it is logged with its bytes and address.
     */
    static final class Undefined extends Insn {
        final byte[] bytes;

        Undefined(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        void exec(Cpu c) {
            UndefinedLog.report(c, rip, bytes);
            throw c.ud();
        }

        @Override
        boolean endsBlock() {
            return true;
        }
    }
}
