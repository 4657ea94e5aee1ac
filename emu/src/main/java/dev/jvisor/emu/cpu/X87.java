package dev.jvisor.emu.cpu;

/**
 * x87 FPU state (SDM Vol. 1 ch. 8), kept in the architectural 80-bit register format so FSAVE,
 * FXSAVE and the MMX registers (which alias the significands, SDM Vol. 1 §9.5) see exact bits.
 *
 * <p>Physical register {@code i} is {@code mant[i]} (64-bit significand with explicit integer bit)
 * and {@code se[i]} (sign in bit 15, biased exponent in bits 0-14). ST(i) is physical register
 * {@code (top + i) & 7}.
 *
 * <p>Precision: the instructions compute on these exact bits in software ({@link X87Float},
 * {@link X87Ops}, {@link X87Convert}), not in {@code double}. Add, subtract, multiply, divide and
 * square root are correctly rounded to the 24/53/64-bit precision control and the rounding control
 * of {@link #fcw}, with the processor's flags, C1 and masked/unmasked responses; FPREM, FRNDINT,
 * FSCALE, FXTRACT, comparisons and all conversions are exact or correctly rounded as well. Moves
 * (FLD/FSTP m80, FLD/FST ST(i), FXCH, FCMOVcc, FSAVE/FRSTOR) copy the 80 bits unchanged, so NaN
 * payloads, denormals, pseudo-denormals and unsupported encodings survive FLD m80 → FSTP m80. Only
 * the transcendental instructions ({@link X87Transcendental}) compute their general results in
 * {@code double}, which makes them accurate to about 53 bits.
 *
 * <p>Besides the register file this class holds the stack discipline (push/pop with overflow and
 * underflow, SDM Vol. 1 §8.5.1.1), the exception bookkeeping of FSW (sticky flags, ES/B summary,
 * pending unmasked exceptions reported as #MF at the next waiting instruction, §8.6-8.7) and the
 * FLDENV/FSTENV images (§8.1.10, Figures 8-9 to 8-12).
 */
final class X87 {
    /** FSW bits: error summary, condition codes, busy (SDM Vol. 1 Figure 8-4). */
    static final int ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;

    final long[] mant = new long[8];
    final int[] se = new int[8];
    int fcw = 0x37f;
    /** FSW without TOP (bits 11-13 are kept in {@link #top}). */
    int fsw;
    /**
     * 2-bit-per-register tag word (physical order): 3 = empty, anything else non-empty. As on
     * processors since the Pentium Pro only empty/non-empty is kept; the valid/zero/special
     * classification is computed when the tag word is stored ({@link #fullTags}).
     */
    int ftw = 0xffff;
    int top;
    /** FOP: the last non-control instruction's opcode bits (SDM Vol. 1 §8.1.9). */
    int lastOpcode;
    /** FIP/FCS and FDP/FDS: offsets and selectors of the last non-control instruction and its memory operand. */
    long lastIp;
    long lastDp;
    int lastCs;
    int lastDs;
    /** The software floating-point unit and its last result. */
    final X87Float f = new X87Float();
    /** FRSTOR reads all registers here before changing any (a fault must leave the FPU intact). */
    final long[] stagedMant = new long[8];
    final int[] stagedSe = new int[8];

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

    /** Restores the tag word from the abridged form (SDM Vol. 1 §10.5.1.1); see {@link #ftw} for the classification. */
    void setAbridgedTags(int t) {
        int w = 0;
        for (int i = 0; i < 8; i++) {
            w |= ((t & (1 << i)) == 0 ? 3 : 0) << (2 * i);
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
        lastCs = 0;
        lastDs = 0;
    }

    // --- Availability and pending exceptions -------------------------------------------------------

    /** Every x87 instruction: CR0.EM or CR0.TS raise #NM (SDM Vol. 3A §2.5, Table 2-2). */
    void checkAvailable(Cpu c) {
        if ((c.cr0 & (ControlRegisters.CR0_EM | ControlRegisters.CR0_TS)) != 0) {
            throw c.fault(CpuException.NM);
        }
    }

    /** The start of a waiting x87 instruction: #NM, then a pending unmasked exception as #MF. */
    void checkWaiting(Cpu c) {
        checkAvailable(c);
        if ((fsw & ES) != 0 && (c.cr0 & ControlRegisters.CR0_NE) != 0) {
            throw c.fault(CpuException.MF);
        }
    }

    /**
     * Merges the exceptions of an instruction into FSW: sticky flags IE..PE and SF, C1 from
     * {@code exc} (its round-up or stack-overflow indication, else cleared), and ES/B when one of
     * them is unmasked. Returns whether the instruction may deliver its result: an unmasked invalid
     * operation, denormal operand or zero divide leaves the destination and stack untouched (SDM
     * Vol. 1 §8.5).
     */
    boolean commit(int exc) {
        return commit(exc, true);
    }

    /** {@link #commit(int)}, leaving C1 alone unless {@code setC1} (instructions that define it only on a stack fault). */
    boolean commit(int exc, boolean setC1) {
        if (setC1) {
            fsw &= ~C1;
        }
        fsw |= exc & (0x7f | C1);
        if ((exc & 0x3f & ~fcw) != 0) {
            fsw |= ES | B;
        }
        return (exc & (X87Float.IE | X87Float.DE | X87Float.ZE) & ~fcw) == 0;
    }

    /** Recomputes ES/B from the flags and masks after FLDCW, FLDENV or FRSTOR change either. */
    void updateSummary() {
        if ((fsw & 0x3f & ~fcw) != 0) {
            fsw |= ES | B;
        } else {
            fsw &= ~(ES | B);
        }
    }

    boolean masked(int exc) {
        return (exc & ~fcw & 0x3f) == 0;
    }

    // --- Stack -----------------------------------------------------------------------------------

    boolean isEmpty(int p) {
        return ((ftw >> (2 * p)) & 3) == 3;
    }

    /** Whether a push would overflow: the register below TOP (the future ST(0)) is in use. */
    boolean pushOverflows() {
        return !isEmpty((top - 1) & 7);
    }

    void write(int p, long m, int signExp) {
        mant[p] = m;
        se[p] = signExp & 0xffff;
        ftw &= ~(3 << (2 * p));
    }

    void writeIndefinite(int p) {
        write(p, X87Float.INDEFINITE_MANT, X87Float.INDEFINITE_SE);
    }

    void push(long m, int signExp) {
        top = (top - 1) & 7;
        write(top, m, signExp);
    }

    void pop() {
        ftw |= 3 << (2 * top);
        top = (top + 1) & 7;
    }

    void free(int p) {
        ftw |= 3 << (2 * p);
    }

    /** The FSTENV/FSAVE tag word: 0 valid, 1 zero, 2 special, 3 empty (SDM Vol. 1 Figure 8-7). */
    int fullTags() {
        int w = 0;
        for (int i = 0; i < 8; i++) {
            w |= (isEmpty(i) ? 3 : classify(i)) << (2 * i);
        }
        return w;
    }

    /** Loads a stored tag word: only empty versus non-empty is kept. */
    void setFullTags(int w) {
        int t = 0;
        for (int i = 0; i < 8; i++) {
            t |= ((w >> (2 * i)) & 3) == 3 ? 3 << (2 * i) : 0;
        }
        ftw = t;
    }
}
