package dev.jvisor.emu.cpu;

/** IN and OUT (SDM Vol. 2; permission rules Vol. 1 §19.5). */
final class Io {
    private Io() {
    }

    /**
     * I/O permission check: in protected mode with CPL > IOPL (or in virtual-8086 mode) every byte
     * of the access must be allowed by the TSS I/O permission bitmap, else #GP(0).
     */
    static void checkPort(Cpu c, int port, int size) {
        if (!c.protectedMode()) {
            return;
        }
        int iopl = (int) ((c.rflagsRest >> 12) & 3);
        if (c.cpl <= iopl && (c.rflagsRest & Cpu.VM) == 0) {
            return;
        }
        SegmentRegister tr = c.tr;
        if (tr.limit < 0x67) {
            throw c.gp0();
        }
        long mapBase = c.mmu.readSystem(tr.base + 0x66, 2);
        long byteOff = mapBase + (port >>> 3);
        if (byteOff + 1 > tr.limit) {
            throw c.gp0();
        }
        long bits = c.mmu.readSystem(tr.base + byteOff, 2);
        long need = ((1L << size) - 1) << (port & 7);
        if ((bits & need) != 0) {
            throw c.gp0();
        }
    }

    /** IN accumulator ← port ({@code imm} >= 0: immediate port; -1: port in DX). */
    static final class In extends Insn {
        @Override
        void exec(Cpu c) {
            int port = imm >= 0 ? (int) imm : (int) (c.r[2] & 0xffff);
            checkPort(c, port, size);
            long v = c.env.pioRead(port, size);
            if (c.tracer != null) {
                c.tracer.port(c, false, port, size, v);
            }
            setReg(c, 0, false, size, v);
        }
    }

    /** OUT port ← accumulator. */
    static final class Out extends Insn {
        @Override
        void exec(Cpu c) {
            int port = imm >= 0 ? (int) imm : (int) (c.r[2] & 0xffff);
            checkPort(c, port, size);
            if (c.tracer != null) {
                c.tracer.port(c, true, port, size, c.r[0] & mask(size));
            }
            c.env.pioWrite(port, size, c.r[0] & mask(size));
        }

        @Override
        boolean endsBlock() {
            // A port write may raise an interrupt (or power the machine off): let the run loop look.
            return true;
        }
    }
}
