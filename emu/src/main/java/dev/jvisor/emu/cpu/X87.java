package dev.jvisor.emu.cpu;

/**
 * x87 FPU state (SDM Vol. 1 ch. 8). Registers are kept in physical order; ST(i) is
 * {@code st[(top + i) & 7]}.
 */
final class X87 {
    /** Register values as doubles (the emulator computes x87 arithmetic in double precision). */
    final double[] st = new double[8];
    int fcw = 0x37f;
    int fsw;
    /** Full 2-bit-per-register tag word; 3 = empty. */
    int ftw = 0xffff;
    int top;
    int lastOpcode;
    long lastIp;
    long lastDp;

    /**
     * FWAIT and the waiting x87 instructions: a pending unmasked exception (FSW.ES) is reported as
     * #MF when CR0.NE is set (SDM Vol. 1 §8.7). CR0.TS with MP raises #NM first.
     */
    void checkPending(Cpu c) {
        if ((c.cr0 & (ControlRegisters.CR0_TS | ControlRegisters.CR0_MP))
                == (ControlRegisters.CR0_TS | ControlRegisters.CR0_MP)) {
            throw c.fault(CpuException.NM);
        }
        if ((fsw & 0x80) != 0 && (c.cr0 & ControlRegisters.CR0_NE) != 0) {
            throw c.fault(CpuException.MF);
        }
    }

    /** FSW with the current TOP in bits 11-13. */
    int statusWord() {
        return (fsw & ~0x3800) | ((top & 7) << 11);
    }

    void setStatusWord(int v) {
        fsw = v & ~0x3800 & 0xffff;
        top = (v >> 11) & 7;
    }

    /** The FXSAVE abridged tag byte: bit i set when physical register i is not empty. */
    int abridgedTags() {
        int t = 0;
        for (int i = 0; i < 8; i++) {
            if (((ftw >> (2 * i)) & 3) != 3) {
                t |= 1 << i;
            }
        }
        return t;
    }

    /** Restores the full tag word from the abridged form (valid registers tagged by their contents). */
    void setAbridgedTags(int t) {
        int w = 0;
        for (int i = 0; i < 8; i++) {
            int tag;
            if ((t & (1 << i)) == 0) {
                tag = 3;
            } else if (st[i] == 0.0) {
                tag = 1;
            } else if (Double.isNaN(st[i]) || Double.isInfinite(st[i])) {
                tag = 2;
            } else {
                tag = 0;
            }
            w |= tag << (2 * i);
        }
        ftw = w;
    }

    /** Writes {@code v} as an 80-bit extended-precision value (SDM Vol. 1 §4.2.2) at {@code off}. */
    static void toExtended(double v, byte[] out, int off) {
        long bits = Double.doubleToRawLongBits(v);
        int sign = (int) (bits >>> 63);
        int exp = (int) ((bits >>> 52) & 0x7ff);
        long frac = bits & 0xf_ffff_ffff_ffffL;
        long mant;
        int e;
        if (exp == 0 && frac == 0) {
            mant = 0;
            e = 0;
        } else if (exp == 0x7ff) {
            e = 0x7fff;
            mant = (1L << 63) | (frac << 11);
        } else if (exp == 0) {
            // Subnormal double: normalise into the wider exponent range.
            int shift = Long.numberOfLeadingZeros(frac) - 11;
            mant = frac << (11 + shift);
            e = 1 - 1023 + 16383 - shift;
        } else {
            mant = (1L << 63) | (frac << 11);
            e = exp - 1023 + 16383;
        }
        for (int i = 0; i < 8; i++) {
            out[off + i] = (byte) (mant >>> (8 * i));
        }
        int se = (sign << 15) | e;
        out[off + 8] = (byte) se;
        out[off + 9] = (byte) (se >>> 8);
    }

    /** Reads an 80-bit extended value, rounding it to the nearest double. */
    static double fromExtended(byte[] in, int off) {
        long mant = 0;
        for (int i = 7; i >= 0; i--) {
            mant = (mant << 8) | (in[off + i] & 0xff);
        }
        int se = (in[off + 8] & 0xff) | ((in[off + 9] & 0xff) << 8);
        boolean neg = (se & 0x8000) != 0;
        int e = se & 0x7fff;
        double v;
        if (e == 0 && mant == 0) {
            v = 0.0;
        } else if (e == 0x7fff) {
            v = (mant << 1) == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            // mant is a 64-bit fixed-point number with the binary point after bit 63.
            double m = (double) (mant >>> 11) / (1L << 52);
            v = Math.scalb(m, e - 16383);
        }
        return neg ? -v : v;
    }

    /** FNINIT (SDM Vol. 2A "FINIT/FNINIT"). */
    void init() {
        fcw = 0x37f;
        fsw = 0;
        ftw = 0xffff;
        top = 0;
        lastOpcode = 0;
        lastIp = 0;
        lastDp = 0;
    }
}
