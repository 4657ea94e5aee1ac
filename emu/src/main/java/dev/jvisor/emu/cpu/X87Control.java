package dev.jvisor.emu.cpu;

/**
 * The x87 control instructions (SDM Vol. 1 §8.3.12, Vol. 2A): FLDCW, FNSTCW, FNSTSW m16/AX,
 * FNCLEX, FNINIT, FLDENV, FNSTENV, FRSTOR, FNSAVE, and FNENI/FNDISI/FNSETPM (no-ops since the
 * 80387). They leave FIP/FDP/FOP alone; only FLDCW, FLDENV and FRSTOR wait for pending exceptions.
 *
 * <p>Environment images (SDM Vol. 1 Figures 8-9 to 8-12) are 28 bytes for 32-bit and 64-bit operand
 * sizes and 14 bytes for 16-bit ones, in the protected-mode layout (offsets and selectors, FOP in
 * the FCS dword) or, in real and virtual-8086 mode, the real-mode layout (20/32-bit linear pointers
 * split around FOP). Reserved halves of the 32-bit layout are stored as ones, as processors do.
 */
final class X87Control extends X87Insn {
    static final int LDCW = 0, STCW = 1, STSW = 2, STSW_AX = 3, CLEX = 4, INIT = 5, LDENV = 6, STENV = 7,
            RSTOR = 8, SAVE = 9, NOP = 10;

    @Override
    void exec(Cpu c) {
        X87 x = c.fpu;
        switch (op) {
            case LDCW -> {
                x.checkWaiting(c);
                x.fcw = controlWord(c.mmu.read16(ea(c)));
                x.updateSummary();
            }
            case STCW -> {
                x.checkAvailable(c);
                c.mmu.write16(ea(c), x.fcw);
            }
            case STSW -> {
                x.checkAvailable(c);
                c.mmu.write16(ea(c), x.statusWord());
            }
            case STSW_AX -> {
                x.checkAvailable(c);
                c.r[0] = (c.r[0] & ~0xffffL) | x.statusWord();
            }
            case CLEX -> {
                x.checkAvailable(c);
                x.fsw &= ~(0xff | X87.B);
            }
            case INIT -> {
                x.checkAvailable(c);
                x.init();
            }
            case NOP -> x.checkAvailable(c);
            case STENV -> {
                x.checkAvailable(c);
                long a = ea(c);
                c.mmu.probeWrite(a, envSize());
                storeEnv(c, x, a);
                x.fcw |= 0x3f; // FNSTENV then masks all exceptions
            }
            case SAVE -> {
                x.checkAvailable(c);
                long a = ea(c);
                int n = envSize();
                c.mmu.probeWrite(a, n + 80);
                storeEnv(c, x, a);
                for (int i = 0; i < 8; i++) {
                    int p = x.phys(i);
                    c.mmu.write64(a + n + 10L * i, x.mant[p]);
                    c.mmu.write16(a + n + 10L * i + 8, x.se[p]);
                }
                x.init();
            }
            case LDENV, RSTOR -> {
                x.checkWaiting(c);
                load(c, x, op == RSTOR);
            }
            default -> throw new IllegalStateException("x87 control op " + op);
        }
    }

    /** FCW bit 6 reads as one; bits 13-15 are reserved and read as zero. */
    private static int controlWord(int v) {
        return (v & 0x1f3f) | 0x40;
    }

    private int envSize() {
        return size == 2 ? 14 : 28;
    }

    private static boolean realFormat(Cpu c) {
        return !c.protectedMode() || (c.rflagsRest & Cpu.VM) != 0;
    }

    private void storeEnv(Cpu c, X87 x, long a) {
        Mmu mmu = c.mmu;
        boolean real = realFormat(c);
        int fop = x.lastOpcode & 0x7ff;
        if (size == 2) {
            mmu.write16(a, x.fcw);
            mmu.write16(a + 2, x.statusWord());
            mmu.write16(a + 4, x.fullTags());
            if (real) {
                long ip = ((long) x.lastCs << 4) + x.lastIp;
                long dp = ((long) x.lastDs << 4) + x.lastDp;
                mmu.write16(a + 6, ip);
                mmu.write16(a + 8, ((ip >>> 16) & 0xf) << 12 | fop);
                mmu.write16(a + 10, dp);
                mmu.write16(a + 12, ((dp >>> 16) & 0xf) << 12);
            } else {
                mmu.write16(a + 6, x.lastIp);
                mmu.write16(a + 8, x.lastCs);
                mmu.write16(a + 10, x.lastDp);
                mmu.write16(a + 12, x.lastDs);
            }
            return;
        }
        mmu.write32(a, 0xffff_0000L | x.fcw);
        mmu.write32(a + 4, 0xffff_0000L | x.statusWord());
        mmu.write32(a + 8, 0xffff_0000L | x.fullTags());
        if (real) {
            long ip = ((long) x.lastCs << 4) + x.lastIp;
            long dp = ((long) x.lastDs << 4) + x.lastDp;
            mmu.write32(a + 12, 0xffff_0000L | (ip & 0xffff));
            mmu.write32(a + 16, ((ip >>> 16) & 0xffff) << 12 | fop);
            mmu.write32(a + 20, 0xffff_0000L | (dp & 0xffff));
            mmu.write32(a + 24, ((dp >>> 16) & 0xffff) << 12);
        } else {
            mmu.write32(a + 12, x.lastIp);
            mmu.write32(a + 16, ((long) fop << 16) | (x.lastCs & 0xffff));
            mmu.write32(a + 20, x.lastDp);
            mmu.write32(a + 24, 0xffff_0000L | (x.lastDs & 0xffff));
        }
    }

    /** FLDENV/FRSTOR: every byte is read before any state changes, so a fault leaves the FPU intact. */
    private void load(Cpu c, X87 x, boolean registers) {
        Mmu mmu = c.mmu;
        long a = ea(c);
        boolean real = realFormat(c);
        int fcw, fsw, ftw, cs, ds, fop;
        long ip, dp;
        if (size == 2) {
            fcw = mmu.read16(a);
            fsw = mmu.read16(a + 2);
            ftw = mmu.read16(a + 4);
            int w6 = mmu.read16(a + 6), w8 = mmu.read16(a + 8), w10 = mmu.read16(a + 10), w12 = mmu.read16(a + 12);
            if (real) {
                ip = w6 | (long) (w8 >>> 12) << 16;
                dp = w10 | (long) (w12 >>> 12) << 16;
                fop = w8 & 0x7ff;
                cs = ds = 0;
            } else {
                ip = w6;
                cs = w8;
                dp = w10;
                ds = w12;
                fop = x.lastOpcode;
            }
        } else {
            fcw = mmu.read16(a);
            fsw = mmu.read16(a + 4);
            ftw = mmu.read16(a + 8);
            long d12 = mmu.read32(a + 12), d16 = mmu.read32(a + 16), d20 = mmu.read32(a + 20), d24 = mmu.read32(a + 24);
            if (real) {
                ip = (d12 & 0xffff) | ((d16 >>> 12) & 0xffff) << 16;
                dp = (d20 & 0xffff) | ((d24 >>> 12) & 0xffff) << 16;
                fop = (int) d16 & 0x7ff;
                cs = ds = 0;
            } else {
                ip = d12;
                cs = (int) d16 & 0xffff;
                fop = (int) (d16 >>> 16) & 0x7ff;
                dp = d20;
                ds = (int) d24 & 0xffff;
            }
        }
        int n = envSize();
        if (registers) {
            // Read all ten-byte registers first; the old values stay until every read succeeded.
            long[] m = x.stagedMant;
            int[] s = x.stagedSe;
            for (int i = 0; i < 8; i++) {
                m[i] = mmu.read64(a + n + 10L * i);
                s[i] = mmu.read16(a + n + 10L * i + 8);
            }
            x.setStatusWord(fsw);
            for (int i = 0; i < 8; i++) {
                int p = x.phys(i);
                x.mant[p] = m[i];
                x.se[p] = s[i];
            }
        } else {
            x.setStatusWord(fsw);
        }
        x.fcw = controlWord(fcw);
        x.setFullTags(ftw);
        x.lastIp = ip;
        x.lastDp = dp;
        x.lastCs = cs;
        x.lastDs = ds;
        x.lastOpcode = fop;
        x.updateSummary();
    }
}
