package dev.jvisor.emu.cpu;

/**
 * The legacy decimal-arithmetic instructions DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol. 2; invalid in
 * 64-bit mode). Flags follow the SDM's pseudocode, with the "undefined" ones computed from the
 * result as hardware does.
 */
final class Bcd extends Insn {
    static final int DAA = 0, DAS = 1, AAA = 2, AAS = 3, AAM = 4, AAD = 5;

    @Override
    void exec(Cpu c) {
        long[] r = c.r;
        int al = (int) (r[0] & 0xff);
        boolean cf = c.cf();
        boolean af = Flags.af(c);
        switch (op) {
            case DAA, DAS -> {
                int oldAl = al;
                boolean newCf = false;
                boolean newAf = false;
                if ((al & 0xf) > 9 || af) {
                    al = op == DAA ? al + 6 : al - 6;
                    newCf = cf || (op == DAA ? al > 0xff : al < 0);
                    newAf = true;
                    al &= 0xff;
                }
                if (oldAl > 0x99 || cf) {
                    al = (op == DAA ? al + 0x60 : al - 0x60) & 0xff;
                    newCf = true;
                }
                r[0] = (r[0] & ~0xffL) | al;
                setFlags(c, al, newCf, newAf);
            }
            case AAA, AAS -> {
                int ax = (int) (r[0] & 0xffff);
                boolean adjust = (al & 0xf) > 9 || af;
                if (adjust) {
                    if (op == AAA) {
                        ax = ax + 0x106;
                    } else {
                        ax = ((ax - 6) & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8);
                    }
                }
                ax &= 0xff0f;
                r[0] = (r[0] & ~0xffffL) | (ax & 0xffff);
                setFlags(c, ax & 0xff, adjust, adjust);
            }
            case AAM -> {
                int base = (int) (imm & 0xff);
                if (base == 0) {
                    throw c.fault(CpuException.DE);
                }
                int ah = al / base;
                int nal = al % base;
                r[0] = (r[0] & ~0xffffL) | (ah << 8) | nal;
                setFlags(c, nal, false, false);
            }
            default -> { // AAD
                int base = (int) (imm & 0xff);
                int ah = (int) ((r[0] >>> 8) & 0xff);
                int nal = (al + ah * base) & 0xff;
                r[0] = (r[0] & ~0xffffL) | nal;
                setFlags(c, nal, false, false);
            }
        }
    }

    private static void setFlags(Cpu c, int al, boolean cf, boolean af) {
        long f = 0;
        if (cf) f |= Cpu.CF;
        if (af) f |= Cpu.AF;
        if (al == 0) f |= Cpu.ZF;
        if ((al & 0x80) != 0) f |= Cpu.SF;
        if ((Integer.bitCount(al) & 1) == 0) f |= Cpu.PF;
        Flags.eager(c, f);
    }
}
