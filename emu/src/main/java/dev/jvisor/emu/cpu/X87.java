package dev.jvisor.emu.cpu;

/**
 * x87 FPU state (SDM Vol. 1 ch. 8), kept in the architectural 80-bit register format so FSAVE,
 * FXSAVE and the MMX registers (which alias the significands, SDM Vol. 1 §9.5) see exact bits.
 *
 * <p>Physical register {@code i} is {@code mant[i]} (64-bit significand with explicit integer bit)
 * and {@code se[i]} (sign in bit 15, biased exponent in bits 0-14). ST(i) is physical register
 * {@code (top + i) & 7}. Arithmetic converts to {@code double} and back (see {@link #get}/{@link #set}).
 */
final class X87 {
    final long[] mant = new long[8];
    final int[] se = new int[8];
    int fcw = 0x37f;
    /** FSW without TOP (bits 11-13 are kept in {@link #top}). */
    int fsw;
    /** Full 2-bit-per-register tag word (physical order); 3 = empty. */
    int ftw = 0xffff;
    int top;
    int lastOpcode;
    long lastIp;
    long lastDp;

    /** Physical register number of ST(i). */
    int phys(int i) {
        return (top + i) & 7;
    }

    /** The value of physical register {@code p}, rounded to double. */
    double get(int p) {
        return decode(mant[p], se[p]);
    }

    /** Stores {@code v} into physical register {@code p} (exact: every double is representable). */
    void set(int p, double v) {
        long bits = Double.doubleToRawLongBits(v);
        int sign = (int) (bits >>> 63);
        int exp = (int) ((bits >>> 52) & 0x7ff);
        long frac = bits & 0xf_ffff_ffff_ffffL;
        if (exp == 0 && frac == 0) {
            mant[p] = 0;
            se[p] = sign << 15;
        } else if (exp == 0x7ff) {
            mant[p] = (1L << 63) | (frac << 11);
            se[p] = (sign << 15) | 0x7fff;
        } else if (exp == 0) {
            int shift = Long.numberOfLeadingZeros(frac) - 11;
            mant[p] = frac << (11 + shift);
            se[p] = (sign << 15) | (1 - 1023 + 16383 - shift);
        } else {
            mant[p] = (1L << 63) | (frac << 11);
            se[p] = (sign << 15) | (exp - 1023 + 16383);
        }
    }

    /** Converts an 80-bit value to the nearest double (round to nearest even). */
    static double decode(long mant, int se) {
        boolean neg = (se & 0x8000) != 0;
        int e = se & 0x7fff;
        double v;
        if (mant == 0) {
            v = 0.0;
        } else if (e == 0x7fff) {
            v = (mant << 1) == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            // Significand as a 64-bit fixed-point number with the binary point after bit 63:
            // (double) of an unsigned long rounds correctly to 53 bits.
            double m = unsignedToDouble(mant);
            v = Math.scalb(m, e - 16383 - 63);
        }
        return neg ? -v : v;
    }

    private static double unsignedToDouble(long x) {
        if (x >= 0) {
            return (double) x;
        }
        // Halve with the lost bit folded into bit 0 so the final rounding stays correct.
        return ((double) ((x >>> 1) | (x & 1))) * 2.0;
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

    /** Restores the full tag word from the abridged form, classifying each valid register (SDM Vol. 1 §10.5.1.1). */
    void setAbridgedTags(int t) {
        int w = 0;
        for (int i = 0; i < 8; i++) {
            w |= ((t & (1 << i)) == 0 ? 3 : classify(i)) << (2 * i);
        }
        ftw = w;
    }

    /** Tag of physical register {@code p} by its contents: 0 valid, 1 zero, 2 special. */
    int classify(int p) {
        int e = se[p] & 0x7fff;
        if (e == 0x7fff || (e == 0 && mant[p] != 0) || (e != 0 && mant[p] >= 0)) {
            return 2; // NaN/infinity, denormal, or unnormal
        }
        return mant[p] == 0 && e == 0 ? 1 : 0;
    }

    /** Writes physical register {@code p} as 10 bytes (FSAVE/FXSAVE/KVM layout). */
    void store80(int p, byte[] out, int off) {
        for (int i = 0; i < 8; i++) {
            out[off + i] = (byte) (mant[p] >>> (8 * i));
        }
        out[off + 8] = (byte) se[p];
        out[off + 9] = (byte) (se[p] >>> 8);
    }

    /** Loads physical register {@code p} from 10 bytes. */
    void load80(int p, byte[] in, int off) {
        long m = 0;
        for (int i = 7; i >= 0; i--) {
            m = (m << 8) | (in[off + i] & 0xff);
        }
        mant[p] = m;
        se[p] = (in[off + 8] & 0xff) | ((in[off + 9] & 0xff) << 8);
    }

    /**
     * FWAIT and the waiting x87 instructions: CR0.TS with MP raises #NM; a pending unmasked
     * exception (FSW.ES) is reported as #MF when CR0.NE is set (SDM Vol. 1 §8.7).
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

    /** FNINIT (SDM Vol. 2A "FINIT/FNINIT"): registers keep their contents, all tagged empty. */
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
