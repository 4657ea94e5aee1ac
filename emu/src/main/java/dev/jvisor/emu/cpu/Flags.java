package dev.jvisor.emu.cpu;

/**
 * Lazy evaluation of the six status flags (CF, PF, AF, ZF, SF, OF).
 *
 * <p>Arithmetic instructions store the operation kind ({@link Cpu#fOp}), operand width in bits
 * ({@link Cpu#fBits}), both operands and the result, all zero-extended to the operand width; the
 * flags are derived only when read. Definitions follow the SDM Vol. 1 Appendix A and each
 * instruction's "Flags Affected" section; where the SDM leaves a flag undefined we produce what
 * current Intel hardware produces for the common cases (differential tests check the defined ones).
 */
final class Flags {
    static final int EAGER = 0, ADD = 1, ADC = 2, SUB = 3, SBB = 4, LOGIC = 5, INC = 6, DEC = 7, SHL = 8,
            SHR = 9, SAR = 10, MUL = 11;

    private Flags() {
    }

    static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    static long signBit(int bits) {
        return 1L << (bits - 1);
    }

    /** Sign-extends a value of {@code bits} width. */
    static long sext(long v, int bits) {
        int s = 64 - bits;
        return (v << s) >> s;
    }

    // --- Recording ---------------------------------------------------------------------------------

    static void set(Cpu c, int op, int bits, long a, long b, long res) {
        c.fOp = op;
        c.fBits = bits;
        c.fA = a;
        c.fB = b;
        c.fRes = res;
    }

    static void logic(Cpu c, int bits, long res) {
        c.fOp = LOGIC;
        c.fBits = bits;
        c.fRes = res;
    }

    /** Replaces the status flags with explicit values (bits at their RFLAGS positions). */
    static void eager(Cpu c, long flags) {
        c.fOp = EAGER;
        c.fEager = flags & Cpu.ARITH_FLAGS;
    }

    /** Sets or clears CF, keeping the other status flags. */
    static void setCf(Cpu c, boolean cf) {
        long f = status(c);
        eager(c, cf ? f | Cpu.CF : f & ~Cpu.CF);
    }

    // --- Evaluation --------------------------------------------------------------------------------

    static boolean cf(Cpu c) {
        long a = c.fA, b = c.fB, res = c.fRes;
        return switch (c.fOp) {
            case EAGER -> (c.fEager & Cpu.CF) != 0;
            case ADD -> Long.compareUnsigned(res, a) < 0;
            case ADC -> c.fAux ? Long.compareUnsigned(res, a) <= 0 : Long.compareUnsigned(res, a) < 0;
            case SUB -> Long.compareUnsigned(a, b) < 0;
            case SBB -> c.fAux ? Long.compareUnsigned(a, b) <= 0 : Long.compareUnsigned(a, b) < 0;
            case LOGIC -> false;
            case INC, DEC -> c.fAux;
            case SHL -> ((a >>> (c.fBits - b)) & 1) != 0;
            case SHR -> ((a >>> (b - 1)) & 1) != 0;
            case SAR -> ((sext(a, c.fBits) >> (b - 1)) & 1) != 0;
            case MUL -> c.fAux;
            default -> throw new IllegalStateException("lazy flags op " + c.fOp);
        };
    }

    static boolean zf(Cpu c) {
        return c.fOp == EAGER ? (c.fEager & Cpu.ZF) != 0 : c.fRes == 0;
    }

    static boolean sf(Cpu c) {
        return c.fOp == EAGER ? (c.fEager & Cpu.SF) != 0 : (c.fRes & signBit(c.fBits)) != 0;
    }

    static boolean pf(Cpu c) {
        return c.fOp == EAGER ? (c.fEager & Cpu.PF) != 0 : (Long.bitCount(c.fRes & 0xff) & 1) == 0;
    }

    static boolean af(Cpu c) {
        long a = c.fA, b = c.fB, res = c.fRes;
        return switch (c.fOp) {
            case EAGER -> (c.fEager & Cpu.AF) != 0;
            case ADD, ADC, SUB, SBB -> ((a ^ b ^ res) & 0x10) != 0;
            case INC -> (res & 0xf) == 0;
            case DEC -> (res & 0xf) == 0xf;
            default -> false;
        };
    }

    static boolean of(Cpu c) {
        long a = c.fA, b = c.fB, res = c.fRes;
        long sb = signBit(c.fBits);
        return switch (c.fOp) {
            case EAGER -> (c.fEager & Cpu.OF) != 0;
            case ADD, ADC -> ((a ^ res) & (b ^ res) & sb) != 0;
            case SUB, SBB -> ((a ^ b) & (a ^ res) & sb) != 0;
            case LOGIC -> false;
            case INC -> res == sb;
            case DEC -> res == sb - 1;
            // SHL: OF = MSB(result) XOR CF; SHR: OF = MSB(original); SAR: OF = 0 (count 1; the SDM
            // leaves larger counts undefined and hardware computes the same expressions).
            case SHL -> (((res & sb) != 0) ^ cf(c));
            case SHR -> (a & sb) != 0;
            case SAR -> false;
            case MUL -> c.fAux;
            default -> throw new IllegalStateException("lazy flags op " + c.fOp);
        };
    }

    /** The six status flags at their RFLAGS positions. */
    static long status(Cpu c) {
        if (c.fOp == EAGER) {
            return c.fEager;
        }
        long f = 0;
        if (cf(c)) f |= Cpu.CF;
        if (pf(c)) f |= Cpu.PF;
        if (af(c)) f |= Cpu.AF;
        if (zf(c)) f |= Cpu.ZF;
        if (sf(c)) f |= Cpu.SF;
        if (of(c)) f |= Cpu.OF;
        return f;
    }

    /**
     * Evaluates condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc opcodes, SDM Vol. 1
     * Appendix B), with fast paths for the flags left by CMP/SUB and logic instructions.
     */
    static boolean cond(Cpu c, int cc) {
        int op = c.fOp;
        if (op == SUB) {
            long a = c.fA, b = c.fB;
            switch (cc) {
                case 0x2: return Long.compareUnsigned(a, b) < 0;
                case 0x3: return Long.compareUnsigned(a, b) >= 0;
                case 0x4: return a == b;
                case 0x5: return a != b;
                case 0x6: return Long.compareUnsigned(a, b) <= 0;
                case 0x7: return Long.compareUnsigned(a, b) > 0;
                case 0xc: return sext(a, c.fBits) < sext(b, c.fBits);
                case 0xd: return sext(a, c.fBits) >= sext(b, c.fBits);
                case 0xe: return sext(a, c.fBits) <= sext(b, c.fBits);
                case 0xf: return sext(a, c.fBits) > sext(b, c.fBits);
                default: break;
            }
        } else if (op == LOGIC) {
            long res = c.fRes;
            switch (cc) {
                case 0x2, 0x0: return false;
                case 0x3, 0x1: return true;
                case 0x4, 0x6: return res == 0;
                case 0x5, 0x7: return res != 0;
                case 0x8, 0xc: return (res & signBit(c.fBits)) != 0;
                case 0x9, 0xd: return (res & signBit(c.fBits)) == 0;
                case 0xe: return res == 0 || (res & signBit(c.fBits)) != 0;
                case 0xf: return res != 0 && (res & signBit(c.fBits)) == 0;
                default: break;
            }
        }
        boolean r = switch (cc >> 1) {
            case 0 -> of(c);
            case 1 -> cf(c);
            case 2 -> zf(c);
            case 3 -> cf(c) || zf(c);
            case 4 -> sf(c);
            case 5 -> pf(c);
            case 6 -> sf(c) != of(c);
            default -> zf(c) || (sf(c) != of(c));
        };
        return (cc & 1) != 0 ? !r : r;
    }
}
