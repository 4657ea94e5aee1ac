package dev.jvisor.emu.cpu;

import java.lang.foreign.ValueLayout;

/**
 * String instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE (SDM Vol. 2 and
 * Vol. 1 §7.3.9). The source is {@code seg}:rSI (overridable), the destination ES:rDI; the address
 * size picks rSI/rDI/rCX widths.
 *
 * <p>A repeated instruction runs at most {@link #BURST} iterations and then ends its block with RIP
 * still pointing at itself, so interrupts and timers are serviced during long copies exactly as the
 * SDM allows ("REP ... can be interrupted; execution resumes at the string instruction"). Forward
 * MOVS/STOS over RAM take a bulk path per page.
 */
final class StringOps {
    static final int MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;
    static final int BURST = 1 << 16;

    private StringOps() {
    }

    static final class Str extends Insn {
        @Override
        boolean endsBlock() {
            return rep != 0;
        }

        @Override
        void exec(Cpu c) {
            if (rep == 0) {
                once(c);
                return;
            }
            long am = mask(addrSize);
            int done = 0;
            while (true) {
                long count = c.r[1] & am;
                if (count == 0) {
                    c.rip = rip + length;
                    return;
                }
                if (done >= BURST) {
                    c.rip = rip; // resume here after pending events
                    return;
                }
                if ((op == MOVS || op == STOS) && (c.rflagsRest & Cpu.DF) == 0) {
                    int n = bulk(c, count);
                    if (n > 0) {
                        done += n;
                        continue;
                    }
                }
                once(c);
                setCount(c, count - 1);
                done++;
                if (op == CMPS || op == SCAS) {
                    boolean zf = Flags.zf(c);
                    if ((rep == 1 && !zf) || (rep == 2 && zf)) {
                        c.rip = rip + length;
                        return;
                    }
                }
            }
        }

        private void setCount(Cpu c, long v) {
            setAddrReg(c, 1, v);
        }

        private void setAddrReg(Cpu c, int n, long v) {
            switch (addrSize) {
                case 8 -> c.r[n] = v;
                case 4 -> c.r[n] = v & 0xffff_ffffL;
                default -> c.r[n] = (c.r[n] & ~0xffffL) | (v & 0xffff);
            }
        }

        private long src(Cpu c) {
            return (c.r[6] & mask(addrSize)) + c.segBase[seg];
        }

        private long dst(Cpu c) {
            return (c.r[7] & mask(addrSize)) + c.segBase[Cpu.ES];
        }

        private void advance(Cpu c, int n, boolean si, boolean di) {
            long step = (c.rflagsRest & Cpu.DF) != 0 ? -size : size;
            if (si) setAddrReg(c, 6, c.r[6] + step);
            if (di) setAddrReg(c, 7, c.r[7] + step);
        }

        private void once(Cpu c) {
            Mmu m = c.mmu;
            switch (op) {
                case MOVS -> {
                    long v = m.read(src(c), size);
                    m.write(dst(c), size, v);
                    advance(c, 1, true, true);
                }
                case STOS -> {
                    m.write(dst(c), size, c.r[0]);
                    advance(c, 1, false, true);
                }
                case LODS -> {
                    long v = m.read(src(c), size);
                    setReg(c, 0, false, size, v);
                    advance(c, 1, true, false);
                }
                case CMPS -> {
                    long a = m.read(src(c), size);
                    long b = m.read(dst(c), size);
                    Alu.compute(c, Alu.CMP, size, a, b);
                    advance(c, 1, true, true);
                }
                case SCAS -> {
                    long b = m.read(dst(c), size);
                    Alu.compute(c, Alu.CMP, size, c.r[0] & mask(size), b);
                    advance(c, 1, false, true);
                }
                case INS -> {
                    long addr = dst(c);
                    m.probeWrite(addr, size);
                    Io.checkPort(c, (int) (c.r[2] & 0xffff), size);
                    long v = c.env.pioRead((int) (c.r[2] & 0xffff), size);
                    if (c.tracer != null) {
                        c.tracer.port(c, false, (int) (c.r[2] & 0xffff), size, v);
                    }
                    m.write(addr, size, v);
                    advance(c, 1, false, true);
                }
                default -> { // OUTS
                    long v = m.read(src(c), size);
                    Io.checkPort(c, (int) (c.r[2] & 0xffff), size);
                    if (c.tracer != null) {
                        c.tracer.port(c, true, (int) (c.r[2] & 0xffff), size, v);
                    }
                    c.env.pioWrite((int) (c.r[2] & 0xffff), size, v);
                    advance(c, 1, true, false);
                }
            }
        }

        /**
         * Forward MOVS/STOS over RAM within the current source and destination pages. Returns the
         * number of elements done, or 0 when the element-wise path must be used.
         */
        private int bulk(Cpu c, long count) {
            long d = dst(c);
            long dPage = 0x1000 - (d & 0xfff);
            long n = Math.min(count, dPage / size);
            if (n < 2) {
                return 0;
            }
            Mmu m = c.mmu;
            long sOff = -1;
            if (op == MOVS) {
                long s = src(c);
                n = Math.min(n, (0x1000 - (s & 0xfff)) / size);
                if (n < 2) {
                    return 0;
                }
                sOff = m.hostForRead(s);
                if (sOff < 0) {
                    return 0;
                }
            }
            long dOff = m.hostForWrite(d);
            if (dOff < 0) {
                return 0;
            }
            long bytes = n * size;
            if (op == MOVS) {
                if (dOff > sOff && dOff < sOff + bytes) {
                    return 0; // overlapping forward copy replicates data: element-wise semantics
                }
                java.lang.foreign.MemorySegment.copy(m.ram, sOff, m.ram, dOff, bytes);
                setAddrReg(c, 6, c.r[6] + bytes);
            } else {
                long v = c.r[0];
                if (size == 1) {
                    m.ram.asSlice(dOff, bytes).fill((byte) v);
                } else {
                    for (long k = 0; k < bytes; k += size) {
                        switch (size) {
                            case 2 -> m.ram.set(ValueLayout.JAVA_SHORT_UNALIGNED, dOff + k, (short) v);
                            case 4 -> m.ram.set(ValueLayout.JAVA_INT_UNALIGNED, dOff + k, (int) v);
                            default -> m.ram.set(ValueLayout.JAVA_LONG_UNALIGNED, dOff + k, v);
                        }
                    }
                }
            }
            setAddrReg(c, 7, c.r[7] + bytes);
            setCount(c, count - n);
            return (int) n;
        }
    }
}
