package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * Data movement on the register stack (SDM Vol. 2A): FLD/FILD/FBLD and the constants, FST/FSTP,
 * FIST/FISTP, FBSTP, FXCH, FCMOVcc, FFREE. Loads from m80 and register copies move the 80 bits
 * unchanged (NaN payloads, denormals, unsupported encodings); m32/m64 and integer loads are exact;
 * stores to m32/m64/integers/BCD round under the rounding control.
 */
final class X87Move {
    private X87Move() {
    }

    /** FLD m32fp/m64fp/m80fp/ST(i), FILD m16/m32/m64, FBLD m80bcd, FLD1..FLDZ ({@code op} = constant). */
    static final class Load extends X87Insn {
        static final int CONST = 9;
        int kind;

        @Override
        void exec(Cpu c) {
            X87 x = begin(c);
            X87Float f = x.f;
            boolean sourceEmpty = false;
            switch (kind) {
                case REG -> {
                    int pi = x.phys(sti());
                    sourceEmpty = x.isEmpty(pi);
                    f.result(x.mant[pi], x.se[pi]);
                }
                case CONST -> constant(f, op, (x.fcw >> 10) & 3);
                default -> {
                    loadMemory(c, f, kind);
                    if (kind == M32 || kind == M64) {
                        X87Convert.checkLoaded(f);
                    }
                }
            }
            // An empty source register is reported (C1 = 0) before a full stack (C1 = 1).
            if (sourceEmpty || x.pushOverflows()) {
                if (x.commit(sourceEmpty ? IE | SF : IE | SF | C1)) {
                    x.push(INDEFINITE_MANT, INDEFINITE_SE);
                }
                return;
            }
            // A denormal m32/m64 source is loaded even when DE is unmasked (the exception is then pending).
            if (x.commit(f.exc) || (f.exc & (IE | ZE) & ~x.fcw) == 0) {
                x.push(f.m, f.se);
            }
        }

        /**
         * The constants of D9 E8-EE. The processor holds them with more than 64 bits and rounds them
         * under RC: π, log2(e), log10(2) and ln(2) round up to nearest (so RD/RZ give one less) and
         * log2(10) rounds down (so RU gives one more); no precision exception is raised.
         */
        private static void constant(X87Float f, int which, int rc) {
            long m;
            int se;
            int adjust = 0;
            boolean down = rc == RD || rc == RZ;
            switch (which) {
                case 0 -> { m = INT_BIT; se = 0x3fff; }
                case 1 -> { m = 0xd49a_784b_cd1b_8afeL; se = 0x4000; adjust = rc == RU ? 1 : 0; }
                case 2 -> { m = 0xb8aa_3b29_5c17_f0bcL; se = 0x3fff; adjust = down ? -1 : 0; }
                case 3 -> { m = 0xc90f_daa2_2168_c235L; se = 0x4000; adjust = down ? -1 : 0; }
                case 4 -> { m = 0x9a20_9a84_fbcf_f799L; se = 0x3ffd; adjust = down ? -1 : 0; }
                case 5 -> { m = 0xb172_17f7_d1cf_79acL; se = 0x3ffe; adjust = down ? -1 : 0; }
                default -> { m = 0; se = 0; }
            }
            f.result(m + adjust, se);
            f.loadedDenormal = false;
        }
    }

    /** FST/FSTP m32fp/m64fp/m80fp/ST(i), FIST/FISTP m16/m32/m64, FBSTP m80bcd. */
    static final class Store extends X87Insn {
        int kind;
        boolean pop;
        /** The FSTP1 alias (D9 D8+i): an empty ST(0) is popped without a stack fault or store. */
        boolean noEmptyCheck;

        @Override
        void exec(Cpu c) {
            X87 x = begin(c);
            X87Float f = x.f;
            int p0 = x.top;
            long m = x.mant[p0];
            int s = x.se[p0];
            int fcw = x.fcw;
            int rc = (fcw >> 10) & 3;
            boolean empty = x.isEmpty(p0);
            if (empty && noEmptyCheck) {
                x.commit(0);
                x.pop();
                return;
            }
            if (empty) {
                // Stack underflow: the masked response stores the indefinite of the destination format.
                f.exc = IE | SF;
                m = INDEFINITE_MANT;
                s = INDEFINITE_SE;
            }
            boolean store = !empty || x.masked(IE);
            long bits = 0;
            int high = 0xffff;
            switch (kind) {
                case M32, M64 -> {
                    if (empty) {
                        bits = kind == M32 ? 0xffc0_0000L : 0xfff8_0000_0000_0000L;
                    } else {
                        store = X87Convert.toMemory(f, m, s, kind == M32 ? SGL : DBL, fcw);
                        bits = f.bits;
                    }
                }
                case I16, I32, I64 -> {
                    int bytes = kind == I16 ? 2 : kind == I32 ? 4 : 8;
                    if (empty) {
                        bits = bytes == 8 ? Long.MIN_VALUE : -1L << (bytes * 8 - 1);
                    } else {
                        X87Convert.toInteger(f, m, s, bytes, rc);
                        bits = f.bits;
                        store = x.masked(f.exc & IE);
                    }
                }
                case BCD -> {
                    if (empty) {
                        bits = BCD_INDEFINITE;
                    } else {
                        bits = toBcd(f, m, s, rc);
                        high = f.se;
                        store = x.masked(f.exc & IE);
                    }
                }
                default -> {
                }
            }
            if (store) {
                switch (kind) {
                    case REG -> x.write(x.phys(sti()), m, s);
                    case M32 -> c.mmu.write32(ea(c), bits);
                    case M64, I64 -> c.mmu.write64(ea(c), bits);
                    case I16 -> c.mmu.write16(ea(c), bits);
                    case I32 -> c.mmu.write32(ea(c), bits);
                    case M80 -> write80(c, m, s);
                    default -> write80(c, bits, high);
                }
            }
            x.commit(f.exc);
            if (store && pop) {
                x.pop();
            }
        }

        private void write80(Cpu c, long low, int high) {
            long a = ea(c);
            c.mmu.probeWrite(a, 10);
            c.mmu.write64(a, low);
            c.mmu.write16(a + 8, high);
        }
    }

    /** The packed BCD integer indefinite (SDM Vol. 1 Table 4-13): FFFF C000 0000 0000 0000. */
    static final long BCD_INDEFINITE = 0xc000_0000_0000_0000L;

    /**
     * FBSTP's conversion: rounds under RC; returns the low 8 bytes of the 18-digit packed BCD and leaves
     * the top two bytes (digits 16-17 and the sign byte) in {@code f.se}. NaNs, infinities, unsupported
     * formats and magnitudes of 10^18 or more raise IE and give the BCD indefinite.
     */
    static long toBcd(X87Float f, long m, int s, int rc) {
        int cls = classify(m, s);
        long mag = 0;
        if (cls != ZERO) {
            if (cls != NORMAL && cls != DENORMAL) {
                f.exc |= IE;
                f.se = 0xffff;
                return BCD_INDEFINITE;
            }
            int saved = f.exc;
            mag = f.roundToInteger(m, s, rc);
            if (mag == -1 || Long.compareUnsigned(mag, 999_999_999_999_999_999L) > 0) {
                f.exc = saved | IE;
                f.se = 0xffff;
                return BCD_INDEFINITE;
            }
        }
        long low = 0;
        for (int i = 0; i < 16; i++) {
            low |= (mag % 10) << (4 * i);
            mag /= 10;
        }
        int high = (int) (mag % 10) | (int) (mag / 10) << 4;
        f.se = high | (s & 0x8000);
        return low;
    }

    /** FBLD's conversion of 18 packed BCD digits and a sign byte (exact; non-decimal nibbles count as their value). */
    static void fromBcd(X87Float f, long low, int high) {
        long v = 0;
        v = v * 10 + ((high >> 4) & 0xf);
        v = v * 10 + (high & 0xf);
        for (int i = 15; i >= 0; i--) {
            v = v * 10 + ((low >>> (4 * i)) & 0xf);
        }
        X87Convert.fromInteger(f, v);
        if ((high & 0x8000) != 0) {
            f.se |= 0x8000; // including -0
        }
    }

    /** FXCH ST(i): an empty register takes part as the indefinite when IE is masked. */
    static final class Exchange extends X87Insn {
        @Override
        void exec(Cpu c) {
            X87 x = begin(c);
            int p0 = x.top, pi = x.phys(sti());
            boolean empty = x.isEmpty(p0) || x.isEmpty(pi);
            if (!x.commit(empty ? IE | SF : 0)) {
                return;
            }
            long m0 = x.isEmpty(p0) ? INDEFINITE_MANT : x.mant[p0];
            int s0 = x.isEmpty(p0) ? INDEFINITE_SE : x.se[p0];
            long mi = x.isEmpty(pi) ? INDEFINITE_MANT : x.mant[pi];
            int si = x.isEmpty(pi) ? INDEFINITE_SE : x.se[pi];
            x.write(p0, mi, si);
            x.write(pi, m0, s0);
        }
    }

    /** FCMOVcc ST(0), ST(i) ({@code op} = the EFLAGS condition: B, E, BE, U and their negations). */
    static final class Cmov extends X87Insn {
        @Override
        void exec(Cpu c) {
            X87 x = begin(c);
            int p0 = x.top, pi = x.phys(sti());
            if (x.isEmpty(p0) || x.isEmpty(pi)) {
                if (x.commit(IE | SF)) {
                    x.writeIndefinite(p0);
                }
                return;
            }
            if (Flags.cond(c, op)) { // C1 is left alone without a stack fault
                x.write(p0, x.mant[pi], x.se[pi]);
            }
        }
    }

    /** FFREE ST(i); with {@code op} = 1 the undocumented FFREEP (DF C0+i), which also pops. */
    static final class Free extends X87Insn {
        @Override
        void exec(Cpu c) {
            X87 x = begin(c);
            x.commit(0);
            x.free(x.phys(sti()));
            if (op != 0) {
                x.pop();
            }
        }
    }
}
