package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.kind;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;
import java.math.BigInteger;

/**
 * Integer arithmetic: the eight classic ALU operations and TEST in every form and size (with LOCK
 * on memory destinations), INC/DEC/NEG/NOT, MUL/IMUL in all three forms and DIV/IDIV. Undefined
 * flags follow each instruction's "Flags Affected" section in the Intel SDM Vol. 2.
 */
final class ArithmeticCases {
    static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    private static final int OR = 1, ADC = 2, SBB = 3, AND = 4, XOR = 6, CMP = 7;

    private ArithmeticCases() {
    }

    static int size(CaseBuilder b) {
        return b.pickInt(8, 16, 32, 64);
    }

    /** The ALU operation {@code op} (0 ADD .. 7 CMP) with register or memory operands. */
    static void emitAlu(Asm a, int op, Operand d, Operand s) {
        switch (op) {
            case 0 -> a.add(d, s);
            case 1 -> a.or(d, s);
            case 2 -> a.adc(d, s);
            case 3 -> a.sbb(d, s);
            case 4 -> a.and(d, s);
            case 5 -> a.sub(d, s);
            case 6 -> a.xor(d, s);
            default -> a.cmp(d, s);
        }
    }

    static void emitAlu(Asm a, int op, Operand d, long imm) {
        switch (op) {
            case 0 -> a.add(d, imm);
            case 1 -> a.or(d, imm);
            case 2 -> a.adc(d, imm);
            case 3 -> a.sbb(d, imm);
            case 4 -> a.and(d, imm);
            case 5 -> a.sub(d, imm);
            case 6 -> a.xor(d, imm);
            default -> a.cmp(d, imm);
        }
    }

    static boolean logical(int op) {
        return op == OR || op == AND || op == XOR;
    }

    /** ADD..CMP: r,r (sometimes the same register: the zeroing idioms), r,m, m,r, r,imm, m,imm. */
    static void alu(CaseBuilder b) {
        int op = b.random().nextInt(8);
        int bits = size(b);
        long reads = op == ADC || op == SBB ? CF : 0;
        long undefined = logical(op) ? AF : 0;
        int form = b.random().nextInt(5);
        boolean lock = (form == 2 || form == 4) && op != CMP && b.oneIn(6);
        String prefix = lock ? "lock " : "";
        switch (form) {
            case 0 -> {
                Reg d = b.reg(bits);
                Reg s = b.oneIn(8) ? d : b.reg(bits);
                b.randomize(d);
                b.randomize(s);
                b.form(ALU[op] + " r" + bits + ", r" + bits);
                b.step(ALU[op] + " " + t(d) + ", " + t(s), reads, STATUS, undefined, a -> emitAlu(a, op, d, s));
            }
            case 1, 2 -> {
                Reg r = b.reg(bits);
                b.randomize(r);
                Mem m = sized(b.mem(bits / 8), bits);
                Operand d = form == 1 ? r : m;
                Operand s = form == 1 ? m : r;
                b.form(prefix + ALU[op] + " " + kind(d, bits) + ", " + kind(s, bits));
                b.step(prefix + ALU[op] + " " + t(d) + ", " + t(s), reads, STATUS, undefined, a -> {
                    if (lock) {
                        a.lock();
                    }
                    emitAlu(a, op, d, s);
                });
            }
            default -> {
                Operand d = form == 3 ? b.reg(bits) : sized(b.mem(bits / 8), bits);
                if (d instanceof Reg r) {
                    b.randomize(r);
                }
                long imm = immediate(b, bits);
                b.form(prefix + ALU[op] + " " + kind(d, bits) + ", imm" + (bits == 8 || imm == (byte) imm ? 8 : Math.min(bits, 32)));
                b.step(prefix + ALU[op] + " " + t(d) + ", " + hex(imm), reads, STATUS, undefined, a -> {
                    if (lock) {
                        a.lock();
                    }
                    emitAlu(a, op, d, imm);
                });
            }
        }
    }

    /** TEST r/m, r and TEST r/m, imm: AND without the result; OF and CF cleared, AF undefined. */
    static void test(CaseBuilder b) {
        int bits = size(b);
        Operand d = regOrMem(b, bits, 3);
        if (b.oneIn(2)) {
            Reg s = b.reg(bits);
            b.randomize(s);
            b.form("test " + kind(d, bits) + ", r" + bits);
            b.step("test " + t(d) + ", " + t(s), 0, STATUS, AF, a -> a.test(d, s));
        } else {
            long imm = immediate(b, bits);
            b.form("test " + kind(d, bits) + ", imm");
            b.step("test " + t(d) + ", " + hex(imm), 0, STATUS, AF, a -> a.test(d, imm));
        }
    }

    /** INC, DEC (CF kept), NEG (CF = source not zero), NOT (no flags). */
    static void unary(CaseBuilder b) {
        int bits = size(b);
        Operand d = regOrMem(b, bits, 3);
        int which = b.random().nextInt(4);
        boolean lock = d instanceof Mem && b.oneIn(6);
        String name = new String[]{"inc", "dec", "neg", "not"}[which];
        long writes = which < 2 ? STATUS_BUT_CF : which == 2 ? STATUS : 0;
        if (which >= 2 && b.oneIn(4)) {
            setValue(b, d, bits, b.pick(0L, 1L << (bits - 1)));
        }
        b.form((lock ? "lock " : "") + name + " " + kind(d, bits));
        b.step((lock ? "lock " : "") + name + " " + t(d), 0, writes, 0, a -> {
            if (lock) {
                a.lock();
            }
            switch (which) {
                case 0 -> a.inc(d);
                case 1 -> a.dec(d);
                case 2 -> a.neg(d);
                default -> a.not(d);
            }
        });
    }

    /**
     * MUL/IMUL r/m (accumulator forms), IMUL r, r/m and IMUL r, r/m, imm. CF and OF tell whether
     * the high half is significant; SF, ZF, AF and PF are undefined (SDM MUL, IMUL).
     */
    static void multiply(CaseBuilder b) {
        int form = b.random().nextInt(4);
        int bits = form <= 1 ? size(b) : b.pickInt(16, 32, 64);
        Operand s = regOrMem(b, bits, 3);
        long undefined = SF | ZF | AF | PF;
        if (b.oneIn(4)) {
            // Products right at the edge of fitting, where CF/OF change.
            setValue(b, s, bits, b.pick(1L, -1L, 2L, 1L << (bits / 2), (1L << (bits - 1)) - 1));
        }
        switch (form) {
            case 0, 1 -> {
                String name = form == 0 ? "mul" : "imul";
                b.randomize(Reg.gpr(0, 64));
                b.form(name + " " + kind(s, bits));
                b.step(name + " " + t(s), 0, CF | OF, undefined, a -> {
                    if (form == 0) {
                        a.mul(s);
                    } else {
                        a.imul(s);
                    }
                });
            }
            case 2 -> {
                Reg d = b.reg(bits);
                b.randomize(d);
                b.form("imul r" + bits + ", " + kind(s, bits));
                b.step("imul " + t(d) + ", " + t(s), 0, CF | OF, undefined, a -> a.imul(d, s));
            }
            default -> {
                Reg d = b.reg(bits);
                long imm = b.oneIn(2) ? (byte) b.value(8) : immediate(b, bits);
                b.form("imul r" + bits + ", " + kind(s, bits) + ", imm" + (imm == (byte) imm ? 8 : Math.min(bits, 32)));
                b.step("imul " + t(d) + ", " + t(s) + ", " + hex(imm), 0, CF | OF, undefined, a -> a.imul(d, s, imm));
            }
        }
    }

    /**
     * DIV/IDIV r/m. Most cases choose a dividend whose quotient fits (so the result is compared);
     * some divide by zero or overflow, where both CPUs must raise #DE with nothing changed. All six
     * status flags are undefined (SDM DIV, IDIV).
     */
    static void divide(CaseBuilder b) {
        // Cases that may fault keep RSP a valid stack pointer (see FaultCases).
        b.useStack();
        int bits = size(b);
        boolean signed = b.oneIn(2);
        String name = signed ? "idiv" : "div";
        Operand s;
        Reg acc = Reg.gpr(0, 64);
        Reg high = Reg.gpr(2, 64);
        // The divisor must not overlap the dividend registers for the computed cases.
        do {
            s = regOrMem(b, bits, 3);
        } while (s instanceof Reg r && (CaseBuilder.full(r) == 0 || bits > 8 && CaseBuilder.full(r) == 2));
        b.pin(acc, b.value(64));
        if (bits > 8) {
            b.pin(high, b.value(64));
        }
        int mode = b.random().nextInt(10);
        long divisor = signed ? CaseBuilder.signExtend(valueOf(b, s, bits), bits) : valueOf(b, s, bits);
        if (mode == 0) {
            setValue(b, s, bits, 0);
        } else if (mode == 1) {
            // Random dividend: overflow (#DE) is likely.
        } else {
            if (divisor == 0) {
                divisor = 1 + b.random().nextInt(100);
                setValue(b, s, bits, divisor);
            }
            BigInteger d = signed ? BigInteger.valueOf(divisor) : new BigInteger(Long.toUnsignedString(CaseBuilder.zeroExtend(divisor, bits)));
            BigInteger q = randomQuotient(b, bits, signed);
            BigInteger r = new BigInteger(bits, b.random()).mod(d.abs());
            BigInteger dividend = q.multiply(d);
            if (signed && dividend.signum() < 0) {
                r = r.negate();    // the remainder has the dividend's sign
            }
            dividend = dividend.add(r);
            setDividend(b, bits, dividend);
        }
        b.form(name + " " + kind(s, bits));
        Operand src = s;
        b.step(name + " " + t(s), 0, 0, STATUS, a -> {
            if (signed) {
                a.idiv(src);
            } else {
                a.div(src);
            }
        });
    }

    private static BigInteger randomQuotient(CaseBuilder b, int bits, boolean signed) {
        long q = b.value(bits);
        if (!signed) {
            return new BigInteger(Long.toUnsignedString(CaseBuilder.zeroExtend(q, bits)));
        }
        // Signed quotients must lie in [-2^(n-1), 2^(n-1) - 1]; value() already gives that range.
        return BigInteger.valueOf(q);
    }

    private static void setDividend(CaseBuilder b, int bits, BigInteger dividend) {
        BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        long low = dividend.and(mask).longValue();
        long highPart = dividend.shiftRight(bits).and(mask).longValue();
        if (bits == 8) {
            b.set(Reg.AX, (highPart & 0xff) << 8 | low & 0xff);
        } else {
            b.set(Reg.gpr(0, bits), low);
            b.set(Reg.gpr(2, bits), highPart);
        }
    }
}
