package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.t;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;
import java.util.ArrayList;
import java.util.List;

/**
 * x87 instructions (SDM Vol. 2D Appendix A.4, opcode maps D8–DF) in one- to four-instruction
 * sequences from random x87 states: loads, stores and integer conversions of every size, the
 * arithmetic in its memory, ST(0),ST(i), ST(i),ST(0) and popping forms, compares (FCOMI and
 * FUCOMI write EFLAGS), FCMOVcc, FXAM, FPREM, FSCALE, FXTRACT, FRNDINT, FSQRT, constants, stack
 * manipulation, and control/status word moves, under every precision and rounding control. The
 * whole x87 state is compared through FXSAVE, except condition codes the SDM leaves undefined.
 * The transcendental instructions are left out: their last bits are implementation-specific.
 */
final class X87Cases {
    /** Condition-code bits of the status word. */
    static final int C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14, ALL_CC = C0 | C1 | C2 | C3;
    /** Operand kinds. */
    private static final int NONE = 0, STI = 1, M16I = 2, M32I = 3, M64I = 4, M32F = 5, M64F = 6, M80F = 7, M16 = 8;

    /**
     * One form: the opcode byte and either the ModRM.reg digit (memory forms) or the ModRM base
     * byte (register forms, + i for ST(i)); the condition codes it leaves undefined; whether it
     * reads or writes EFLAGS.
     */
    record Op(String name, int opcode, int modrm, int operand, int undefinedCc, long readsFlags, long writesFlags) {
    }

    static final List<Op> OPS = ops();

    private X87Cases() {
    }

    private static Op op(String name, int opcode, int modrm, int operand) {
        return new Op(name, opcode, modrm, operand, C0 | C2 | C3, 0, 0);
    }

    private static Op compare(String name, int opcode, int modrm, int operand) {
        return new Op(name, opcode, modrm, operand, 0, 0, 0);
    }

    private static List<Op> ops() {
        List<Op> l = new ArrayList<>();
        String[] arith = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};
        int[] memOpcodes = {0xd8, 0xdc, 0xda, 0xde};
        int[] memKinds = {M32F, M64F, M32I, M16I};
        for (int n = 0; n < 8; n++) {
            boolean cmp = n == 2 || n == 3;
            for (int k = 0; k < 4; k++) {
                String name = (k >= 2 ? arith[n].replace("f", "fi") : arith[n]) + " " + kindName(memKinds[k]);
                l.add(cmp ? compare(name, memOpcodes[k], n, memKinds[k]) : op(name, memOpcodes[k], n, memKinds[k]));
            }
            String reg = arith[n] + " st0, st(i)";
            l.add(cmp ? compare(reg, 0xd8, 0xc0 + 8 * n, STI) : op(reg, 0xd8, 0xc0 + 8 * n, STI));
        }
        String[] toSti = {"fadd", "fmul", "", "", "fsubr", "fsub", "fdivr", "fdiv"};
        for (int n : new int[]{0, 1, 4, 5, 6, 7}) {
            l.add(op(toSti[n] + " st(i), st0", 0xdc, 0xc0 + 8 * n, STI));
            l.add(op(toSti[n] + "p st(i), st0", 0xde, 0xc0 + 8 * n, STI));
        }
        l.add(compare("fcompp", 0xde, 0xd9, NONE));
        l.add(compare("fucom st(i)", 0xdd, 0xe0, STI));
        l.add(compare("fucomp st(i)", 0xdd, 0xe8, STI));
        l.add(compare("fucompp", 0xda, 0xe9, NONE));
        long zpc = Flags.ZF | Flags.PF | Flags.CF;
        l.add(new Op("fcomi st0, st(i)", 0xdb, 0xf0, STI, 0, 0, Flags.STATUS));
        l.add(new Op("fucomi st0, st(i)", 0xdb, 0xe8, STI, 0, 0, Flags.STATUS));
        l.add(new Op("fcomip st0, st(i)", 0xdf, 0xf0, STI, 0, 0, Flags.STATUS));
        l.add(new Op("fucomip st0, st(i)", 0xdf, 0xe8, STI, 0, 0, Flags.STATUS));
        String[] cmov = {"fcmovb", "fcmove", "fcmovbe", "fcmovu", "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"};
        for (int n = 0; n < 8; n++) {
            l.add(new Op(cmov[n] + " st0, st(i)", n < 4 ? 0xda : 0xdb, 0xc0 + 8 * (n & 3), STI, C0 | C2 | C3, zpc, 0));
        }
        // Loads and stores.
        l.add(op("fld m32fp", 0xd9, 0, M32F));
        l.add(op("fld m64fp", 0xdd, 0, M64F));
        l.add(op("fld m80fp", 0xdb, 5, M80F));
        l.add(op("fild m16int", 0xdf, 0, M16I));
        l.add(op("fild m32int", 0xdb, 0, M32I));
        l.add(op("fild m64int", 0xdf, 5, M64I));
        l.add(op("fld st(i)", 0xd9, 0xc0, STI));
        l.add(op("fst m32fp", 0xd9, 2, M32F));
        l.add(op("fstp m32fp", 0xd9, 3, M32F));
        l.add(op("fst m64fp", 0xdd, 2, M64F));
        l.add(op("fstp m64fp", 0xdd, 3, M64F));
        l.add(op("fstp m80fp", 0xdb, 7, M80F));
        l.add(op("fist m16int", 0xdf, 2, M16I));
        l.add(op("fistp m16int", 0xdf, 3, M16I));
        l.add(op("fist m32int", 0xdb, 2, M32I));
        l.add(op("fistp m32int", 0xdb, 3, M32I));
        l.add(op("fistp m64int", 0xdf, 7, M64I));
        l.add(op("fst st(i)", 0xdd, 0xd0, STI));
        l.add(op("fstp st(i)", 0xdd, 0xd8, STI));
        l.add(op("fxch st(i)", 0xd9, 0xc8, STI));
        String[] constants = {"fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz"};
        for (int n = 0; n < constants.length; n++) {
            l.add(op(constants[n], 0xd9, 0xe8 + n, NONE));
        }
        // One-operand arithmetic and the rest of D9 Ex/Fx (without the transcendentals).
        l.add(op("fchs", 0xd9, 0xe0, NONE));
        l.add(op("fabs", 0xd9, 0xe1, NONE));
        l.add(compare("ftst", 0xd9, 0xe4, NONE));
        l.add(compare("fxam", 0xd9, 0xe5, NONE));
        l.add(op("fxtract", 0xd9, 0xf4, NONE));
        l.add(compare("fprem1", 0xd9, 0xf5, NONE));
        l.add(op("fdecstp", 0xd9, 0xf6, NONE));
        l.add(op("fincstp", 0xd9, 0xf7, NONE));
        l.add(compare("fprem", 0xd9, 0xf8, NONE));
        l.add(op("fsqrt", 0xd9, 0xfa, NONE));
        l.add(op("frndint", 0xd9, 0xfc, NONE));
        l.add(op("fscale", 0xd9, 0xfd, NONE));
        l.add(new Op("fnop", 0xd9, 0xd0, NONE, ALL_CC, 0, 0));
        l.add(new Op("ffree st(i)", 0xdd, 0xc0, STI, ALL_CC, 0, 0));
        l.add(new Op("fnclex", 0xdb, 0xe2, NONE, ALL_CC, 0, 0));
        l.add(compare("fninit", 0xdb, 0xe3, NONE));
        l.add(new Op("fnstsw ax", 0xdf, 0xe0, NONE, ALL_CC, 0, 0));
        l.add(new Op("fnstsw m16", 0xdd, 7, M16, ALL_CC, 0, 0));
        l.add(new Op("fnstcw m16", 0xd9, 7, M16, ALL_CC, 0, 0));
        l.add(new Op("fldcw m16", 0xd9, 5, M16, ALL_CC, 0, 0));
        return List.copyOf(l);
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case M16I -> "m16int";
            case M32I -> "m32int";
            case M64I -> "m64int";
            case M32F -> "m32fp";
            case M64F -> "m64fp";
            case M80F -> "m80fp";
            default -> "m16";
        };
    }

    /** A generator for one form (reported on its own). */
    static Generator of(Op op) {
        return b -> generate(b, List.of(op));
    }

    /** One to four random forms in a row. */
    static void sequence(CaseBuilder b) {
        List<Op> ops = new ArrayList<>();
        int n = 1 + b.random().nextInt(4);
        for (int i = 0; i < n; i++) {
            ops.add(OPS.get(b.random().nextInt(OPS.size())));
        }
        generate(b, ops);
        b.form("x87 sequence");
    }

    static void generate(CaseBuilder b, List<Op> ops) {
        b.useStack();
        b.x87(X87Values.state(b, b.random().nextInt(9)));
        b.mxcsr(0x1f80);
        int poisoned = 0;
        for (Op op : ops) {
            if ((op.name().startsWith("fnstsw") || op.name().startsWith("fstsw")) && (poisoned & ALL_CC) != 0) {
                // Storing the status word would copy undefined condition codes into a GPR or memory.
                throw new IllegalArgumentException("fnstsw after an instruction that leaves condition codes undefined");
            }
            step(b, op);
            poisoned = op.name().equals("fninit") ? 0 : poisoned & ~definedBy(op) | op.undefinedCc();
        }
        b.undefinedFsw(poisoned);
        b.form(ops.getFirst().name());
    }

    /** The condition codes an instruction defines (all but those it leaves undefined). */
    private static int definedBy(Op op) {
        return ALL_CC & ~op.undefinedCc();
    }

    private static void step(CaseBuilder b, Op op) {
        int i = b.random().nextInt(8);
        if (op.operand() == STI) {
            int modrm = op.modrm() + i;
            String name = op.name().replace("(i)", "(" + i + ")");
            b.step(name, op.readsFlags(), op.writesFlags(), 0, a -> a.db(op.opcode(), modrm));
            return;
        }
        if (op.operand() == NONE) {
            if (op.name().equals("fnstsw ax")) {
                b.randomize(Reg.RAX);
            }
            b.step(op.name(), op.readsFlags(), op.writesFlags(), 0, a -> a.db(op.opcode(), op.modrm()));
            return;
        }
        long address = b.target(16);
        Mem m = b.memAt(address);
        writeOperand(b, op.operand(), address);
        b.step(op.name().replaceFirst(" m\\S+", " " + t(m)), op.readsFlags(), op.writesFlags(), 0,
                a -> a.modrmInstruction(0, false, new int[]{op.opcode()}, op.modrm(), m, 0, 0));
    }

    /** Fills a memory source with an interesting value of its kind. */
    private static void writeOperand(CaseBuilder b, int kind, long address) {
        switch (kind) {
            case M16I -> b.write(address, 2, b.value(16));
            case M32I -> b.write(address, 4, b.value(32));
            case M64I -> b.write(address, 8, b.value(64));
            case M32F -> b.write(address, 4, SseValues.floatValue(b));
            case M64F -> b.write(address, 8, SseValues.doubleValue(b));
            case M80F -> {
                long[] v = X87Values.extended(b);
                b.write(address, 8, v[1]);
                b.write(address + 8, 2, v[0]);
            }
            // A control word with masked exceptions and random precision and rounding, or anything.
            case M16 -> b.write(address, 2, b.oneIn(4) ? b.value(16) : 0x007f | b.random().nextInt(16) << 8);
            default -> throw new IllegalStateException("kind " + kind);
        }
    }
}
