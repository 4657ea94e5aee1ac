package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.kind;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;

/**
 * Shifts and rotates (ROL, ROR, RCL, RCR, SHL, SHR, SAR) by 1, by an immediate (including the
 * C0/C1 form with a count of one, zero, and counts above the width) and by CL; SHLD and SHRD by an
 * immediate and by CL. Which flags are defined depends on the masked count (SDM Vol. 2
 * "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"), so it is worked out from the actual count.
 */
final class ShiftCases {
    static final String[] NAMES = {"rol", "ror", "rcl", "rcr", "shl", "shr", "", "sar"};
    private static final int RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAR = 7;

    private ShiftCases() {
    }

    /** Counts that sit on the edges of the masking and width rules. */
    static int count(CaseBuilder b) {
        return b.oneIn(2) ? b.pickInt(0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255) : b.random().nextInt(256);
    }

    /** Flags a group-2 shift by {@code count} writes and leaves undefined: {writes, undefined}. */
    static long[] flags(int ext, int bits, int count) {
        int masked = count & (bits == 64 ? 0x3f : 0x1f);
        if (masked == 0) {
            return new long[]{0, 0};
        }
        if (ext <= RCR) {
            return new long[]{CF | OF, masked == 1 ? 0 : OF};
        }
        long undefined = AF | (masked == 1 ? 0 : OF);
        if ((ext == SHL || ext == SHR) && masked >= bits) {
            undefined |= CF;
        }
        return new long[]{STATUS, undefined};
    }

    static void emit(Asm a, int ext, Operand d, int count) {
        switch (ext) {
            case 0 -> a.rol(d, count);
            case 1 -> a.ror(d, count);
            case 2 -> a.rcl(d, count);
            case 3 -> a.rcr(d, count);
            case 4 -> a.shl(d, count);
            case 5 -> a.shr(d, count);
            default -> a.sar(d, count);
        }
    }

    static void emitCl(Asm a, int ext, Operand d) {
        switch (ext) {
            case 0 -> a.rol(d, Reg.CL);
            case 1 -> a.ror(d, Reg.CL);
            case 2 -> a.rcl(d, Reg.CL);
            case 3 -> a.rcr(d, Reg.CL);
            case 4 -> a.shl(d, Reg.CL);
            case 5 -> a.shr(d, Reg.CL);
            default -> a.sar(d, Reg.CL);
        }
    }

    static int randomExt(CaseBuilder b) {
        return b.pickInt(0, 1, RCL, RCR, SHL, SHR, SAR);
    }

    /** A group-2 shift or rotate by 1, by imm8 or by CL. */
    static void shift(CaseBuilder b) {
        int ext = randomExt(b);
        int bits = ArithmeticCases.size(b);
        String name = NAMES[ext];
        long reads = ext == RCL || ext == RCR ? CF : 0;
        // In sequences CL may change before the shift, so the flags rules could not be worked out.
        int form = b.random().nextInt(b.inSequence() ? 3 : 4);
        if (form == 3) {
            int count = count(b);
            b.pin(Reg.RCX, b.value(64) & ~0xffL | count);
        }
        Operand d = regOrMem(b, bits, 3);
        switch (form) {
            case 0 -> {
                long[] f = flags(ext, bits, 1);
                b.form(name + " " + kind(d, bits) + ", 1");
                b.step(name + " " + t(d) + ", 1", reads, f[0], f[1], a -> emit(a, ext, d, 1));
            }
            case 1 -> {
                int count = count(b);
                long[] f = flags(ext, bits, count);
                b.form(name + " " + kind(d, bits) + ", imm8");
                b.step(name + " " + t(d) + ", " + count, reads, f[0], f[1], a -> emit(a, ext, d, count));
            }
            case 2 -> {
                // C0/C1 /ext ib with a count of one: the immediate form, not D0/D1.
                long[] f = flags(ext, bits, 1);
                b.form(name + " " + kind(d, bits) + ", imm8=1 (C0/C1)");
                b.step(name + " " + t(d) + ", 1 (C0/C1 form)", reads, f[0], f[1],
                        a -> a.modrmInstruction(bits == 16 ? 0x66 : 0, bits == 64, new int[]{bits == 8 ? 0xc0 : 0xc1}, ext, d, 1, 1));
            }
            default -> {
                int count = (int) b.get(Reg.CL);
                long[] f = flags(ext, bits, count);
                b.form(name + " " + kind(d, bits) + ", cl");
                b.step(name + " " + t(d) + ", cl   ; cl=" + count, reads, f[0], f[1], a -> emitCl(a, ext, d));
            }
        }
    }

    /** SHLD/SHRD r/m, r, imm8 or CL. A count above the operand size leaves result and flags undefined. */
    static void doubleShift(CaseBuilder b) {
        int bits = b.pickInt(16, 32, 64);
        boolean left = b.oneIn(2);
        boolean byCl = !b.inSequence() && b.oneIn(2);
        String name = left ? "shld" : "shrd";
        int count = count(b);
        if (b.inSequence() && bits == 16 && (count & 0x1f) > 16) {
            // The result would be undefined and later steps of the sequence might read it.
            throw new IllegalArgumentException("undefined result inside a sequence");
        }
        if (byCl) {
            b.pin(Reg.RCX, b.value(64) & ~0xffL | count);
        }
        Operand d = regOrMem(b, bits, 3);
        Reg s = b.reg(bits);
        b.randomize(s);
        int masked = count & (bits == 64 ? 0x3f : 0x1f);
        long writes = masked == 0 ? 0 : STATUS;
        long undefined = masked == 0 ? 0 : AF | (masked == 1 ? 0 : OF);
        if (masked > bits) {
            undefined = STATUS;
            switch (d) {
                case Reg r -> b.undefinedGpr(r);
                case Mem m -> b.undefinedMemory(address(b, m), bits / 8);
            }
        }
        b.form(name + " " + kind(d, bits) + ", r" + bits + (byCl ? ", cl" : ", imm8"));
        b.step(name + " " + t(d) + ", " + t(s) + (byCl ? ", cl   ; cl=" + count : ", " + count), 0, writes, undefined, a -> {
            if (byCl) {
                if (left) {
                    a.shld(d, s, Reg.CL);
                } else {
                    a.shrd(d, s, Reg.CL);
                }
            } else if (left) {
                a.shld(d, s, count);
            } else {
                a.shrd(d, s, count);
            }
        });
    }
}
