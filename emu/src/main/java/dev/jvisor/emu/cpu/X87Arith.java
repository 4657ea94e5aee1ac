package dev.jvisor.emu.cpu;

/**
 * FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR in every form (SDM Vol. 2A): m32fp/m64fp and the integer forms
 * FIADD..FIDIVR m16int/m32int with ST(0) as destination; ST(0),ST(i); ST(i),ST(0); and the popping
 * P forms. {@code op} is ModRM.reg. With a = ST(0) and b = the other operand, reg 4 always computes
 * a − b and reg 5 b − a (6/7 likewise for division) whichever register is the destination — that
 * is how the "R" mnemonics of the DC/DE register forms come out of opcode map A.4.
 */
final class X87Arith extends X87Insn {
    static final int ADD = 0, MUL = 1, SUB = 4, SUBR = 5, DIV = 6, DIVR = 7;

    /** Memory operand format (M32, M64, I16, I32) of the memory forms. */
    int src;
    /** Register forms: ST(i) is the destination. */
    boolean toSti;
    boolean pop;

    @Override
    void exec(Cpu c) {
        X87 x = begin(c);
        X87Float f = x.f;
        int p0 = x.top;
        long bm;
        int bse;
        boolean extraDe = false;
        int dst = p0;
        boolean empty;
        if (rm < 0) {
            loadMemory(c, f, src);
            bm = f.m;
            bse = f.se;
            extraDe = f.loadedDenormal;
            empty = x.isEmpty(p0);
        } else {
            int pi = x.phys(sti());
            bm = x.mant[pi];
            bse = x.se[pi];
            if (toSti) {
                dst = pi;
            }
            empty = x.isEmpty(p0) || x.isEmpty(pi);
        }
        if (empty) {
            // Stack underflow (SDM Vol. 1 §8.5.1.1): the masked response stores the indefinite.
            if (x.commit(X87Float.IE | X87Float.SF)) {
                x.writeIndefinite(dst);
                if (pop) {
                    x.pop();
                }
            }
            return;
        }
        long am = x.mant[p0];
        int ase = x.se[p0];
        int fcw = x.fcw;
        switch (op) {
            case ADD -> X87Ops.add(f, am, ase, bm, bse, false, extraDe, fcw);
            case MUL -> X87Ops.mul(f, am, ase, bm, bse, extraDe, fcw);
            case SUB -> X87Ops.add(f, am, ase, bm, bse, true, extraDe, fcw);
            case SUBR -> X87Ops.add(f, bm, bse, am, ase, true, extraDe, fcw);
            case DIV -> X87Ops.div(f, am, ase, bm, bse, extraDe, fcw);
            default -> X87Ops.div(f, bm, bse, am, ase, extraDe, fcw);
        }
        if (x.commit(f.exc)) {
            x.write(dst, f.m, f.se);
            if (pop) {
                x.pop();
            }
        }
    }
}
