package dev.jvisor.emu.cpu;

/** BT, BTS, BTR, BTC, BSF, BSR (SDM Vol. 2). */
final class BitOps {
    static final int BT = 0, BTS = 1, BTR = 2, BTC = 3;

    private BitOps() {
    }

    /**
     * BTx r/m, reg or imm8 ({@code op} as above; {@code rep} != 0 means the bit offset is the
     * register operand, else {@code imm}). With a memory operand and a register offset the offset is
     * signed and may reach outside the operand (SDM "BT": bit-string addressing).
     */
    static final class Bt extends Insn {
        @Override
        void exec(Cpu c) {
            int bits = size * 8;
            long offset = rep != 0 ? readReg(c) : imm;
            long value;
            long addr = 0;
            int bit;
            if (rm >= 0) {
                bit = (int) (offset & (bits - 1));
                value = getReg(c, rm, rmHi, size);
            } else {
                if (rep != 0) {
                    long signed = Flags.sext(offset, bits);
                    addr = ea(c) + (signed >> (size == 8 ? 6 : size == 4 ? 5 : 4)) * size;
                } else {
                    addr = ea(c);
                }
                bit = (int) (offset & (bits - 1));
                value = op == BT ? c.mmu.read(addr, size) : c.mmu.readForWrite(addr, size);
            }
            if (atomic && rm < 0 && op != BT) {
                AtomicSlot s = c.atomic;
                s.begin(addr, size);
                try {
                    long v;
                    long nv;
                    do {
                        v = s.load();
                        nv = switch (op) {
                            case BTS -> v | (1L << bit);
                            case BTR -> v & ~(1L << bit);
                            default -> v ^ (1L << bit);
                        };
                    } while (!s.compareAndSet(nv));
                    Flags.setCf(c, ((v >>> bit) & 1) != 0);
                } finally {
                    s.end();
                }
                return;
            }
            boolean old = ((value >>> bit) & 1) != 0;
            long nv = switch (op) {
                case BTS -> value | (1L << bit);
                case BTR -> value & ~(1L << bit);
                case BTC -> value ^ (1L << bit);
                default -> value;
            };
            if (op != BT) {
                if (rm >= 0) {
                    setReg(c, rm, rmHi, size, nv);
                } else {
                    c.mmu.write(addr, size, nv);
                }
            }
            Flags.setCf(c, old);
        }
    }

    /** BSF ({@code op} 0) / BSR ({@code op} 1): a zero source sets ZF and leaves the destination. */
    static final class Scan extends Insn {
        @Override
        void exec(Cpu c) {
            long v = readRm(c);
            long f = Flags.status(c) & ~Cpu.ZF;
            if (v == 0) {
                Flags.eager(c, f | Cpu.ZF);
                return;
            }
            int n = op == 0 ? Long.numberOfTrailingZeros(v) : 63 - Long.numberOfLeadingZeros(v);
            writeReg(c, n);
            Flags.eager(c, f);
        }
    }
}
