package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * The x87 comparisons (SDM Vol. 2A): FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP, FTST
 * set C3/C2/C0 (Table 3-21: greater 000, less 001, equal 100, unordered 111); FCOMI/FCOMIP/FUCOMI/
 * FUCOMIP set ZF/PF/CF the same way and clear OF/SF/AF. The ordered forms raise IE for any NaN,
 * the unordered ("U") forms only for SNaNs; unsupported formats and stack underflow always raise
 * IE and compare unordered when masked.
 */
final class X87Compare extends X87Insn {
    /** Operand: M32, M64, I16, I32, REG (ST(i)) or ZERO (FTST). */
    static final int ZERO_OPERAND = 8;
    private static final int GREATER = 0, LESS = 1, EQUAL = 2, UNORDERED = 3;

    int src;
    boolean quiet;
    int pops;
    /** FCOMI family: the result goes to EFLAGS. */
    boolean eflags;

    @Override
    void exec(Cpu c) {
        X87 x = begin(c);
        X87Float f = x.f;
        int p0 = x.top;
        long bm = 0;
        int bse = 0;
        boolean extraDe = false;
        boolean empty = x.isEmpty(p0);
        if (src == REG) {
            int pi = x.phys(sti());
            bm = x.mant[pi];
            bse = x.se[pi];
            empty |= x.isEmpty(pi);
        } else if (src != ZERO_OPERAND) {
            loadMemory(c, f, src);
            bm = f.m;
            bse = f.se;
            extraDe = f.loadedDenormal;
        }
        int exc = 0;
        int res;
        if (empty) {
            exc = IE | SF;
            res = UNORDERED;
        } else {
            long am = x.mant[p0];
            int ase = x.se[p0];
            int ca = classify(am, ase), cb = classify(bm, bse);
            if (ca >= QNAN || cb >= QNAN) {
                res = UNORDERED;
                if (!quiet || ca > QNAN || cb > QNAN) { // SNaN or unsupported
                    exc = IE;
                }
            } else {
                if (ca == DENORMAL || cb == DENORMAL || extraDe) {
                    exc = DE;
                }
                res = switch (X87Float.compare(am, ase, bm, bse)) {
                    case 1 -> GREATER;
                    case -1 -> LESS;
                    default -> EQUAL;
                };
            }
        }
        // FCOMI leaves C1 alone unless the stack underflows. The condition codes or flags are
        // written even when an unmasked exception suppresses the pops (unordered for IE).
        boolean complete = x.commit(exc, !eflags || (exc & SF) != 0);
        if (eflags) {
            long fl = switch (res) {
                case GREATER -> 0;
                case LESS -> Cpu.CF;
                case EQUAL -> Cpu.ZF;
                default -> Cpu.ZF | Cpu.PF | Cpu.CF;
            };
            Flags.eager(c, fl);
        } else {
            int cc = switch (res) {
                case GREATER -> 0;
                case LESS -> X87.C0;
                case EQUAL -> X87.C3;
                default -> X87.C3 | X87.C2 | X87.C0;
            };
            x.fsw = (x.fsw & ~(X87.C3 | X87.C2 | X87.C0)) | cc;
        }
        if (complete) {
            for (int i = 0; i < pops; i++) {
                x.pop();
            }
        }
    }
}
