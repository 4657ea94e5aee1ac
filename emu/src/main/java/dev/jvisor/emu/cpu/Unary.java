package dev.jvisor.emu.cpu;

/** INC, DEC, NOT, NEG on a register or memory operand (SDM Vol. 2). {@code op}: 0 INC, 1 DEC, 2 NOT, 3 NEG. */
final class Unary extends Insn {
    static final int INC = 0, DEC = 1, NOT = 2, NEG = 3;

    @Override
    void exec(Cpu c) {
        if (rm >= 0) {
            setReg(c, rm, rmHi, size, apply(c, getReg(c, rm, rmHi, size)));
        } else if (atomic) {
            // A retried INC/DEC still sees the original CF: the failed attempt's lazy flags keep it.
            AtomicSlot s = c.atomic;
            s.begin(ea(c), size);
            try {
                long v;
                do {
                    v = s.load();
                } while (!s.compareAndSet(apply(c, v)));
            } finally {
                s.end();
            }
        } else {
            long addr = ea(c);
            long v = c.mmu.readForWrite(addr, size);
            c.mmu.write(addr, size, apply(c, v));
        }
    }

    private long apply(Cpu c, long a) {
        long m = mask(size);
        int bits = size * 8;
        switch (op) {
            case INC -> {
                boolean cf = c.cf();
                long r = (a + 1) & m;
                Flags.set(c, Flags.INC, bits, a, 1, r);
                c.fAux = cf;
                return r;
            }
            case DEC -> {
                boolean cf = c.cf();
                long r = (a - 1) & m;
                Flags.set(c, Flags.DEC, bits, a, 1, r);
                c.fAux = cf;
                return r;
            }
            case NOT -> {
                return ~a & m;
            }
            default -> {
                long r = (-a) & m;
                Flags.set(c, Flags.SUB, bits, 0, a, r);
                return r;
            }
        }
    }
}
