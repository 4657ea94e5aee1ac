package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Float.*;

/**
 * The operand-free D9 instructions other than constants, FTST and transcendentals (SDM Vol. 2A):
 * FNOP, FCHS, FABS, FXAM, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1, FDECSTP, FINCSTP.
 * {@code op} is the second opcode byte (D9 xx).
 */
final class X87Unary extends X87Insn {
    static final int FNOP = 0xd0, FCHS = 0xe0, FABS = 0xe1, FXAM = 0xe5, FXTRACT = 0xf4, FPREM1 = 0xf5,
            FDECSTP = 0xf6, FINCSTP = 0xf7, FPREM = 0xf8, FSQRT = 0xfa, FRNDINT = 0xfc, FSCALE = 0xfd;

    @Override
    void exec(Cpu c) {
        X87 x = begin(c);
        X87Float f = x.f;
        int p0 = x.top;
        switch (op) {
            case FNOP -> {
            }
            case FDECSTP -> {
                x.top = (p0 - 1) & 7;
                x.fsw &= ~X87.C1;
            }
            case FINCSTP -> {
                x.top = (p0 + 1) & 7;
                x.fsw &= ~X87.C1;
            }
            case FXAM -> examine(x, p0);
            case FCHS, FABS -> {
                if (x.isEmpty(p0)) {
                    underflow(x, p0);
                    return;
                }
                x.commit(0);
                x.write(p0, x.mant[p0], op == FCHS ? x.se[p0] ^ 0x8000 : x.se[p0] & 0x7fff);
            }
            case FSQRT, FRNDINT -> {
                if (x.isEmpty(p0)) {
                    underflow(x, p0);
                    return;
                }
                if (op == FSQRT) {
                    X87Ops.sqrt(f, x.mant[p0], x.se[p0], x.fcw);
                } else {
                    X87Ops.roundToInteger(f, x.mant[p0], x.se[p0], x.fcw);
                }
                if (x.commit(f.exc)) {
                    x.write(p0, f.m, f.se);
                }
            }
            case FSCALE, FPREM, FPREM1 -> {
                int p1 = (p0 + 1) & 7;
                if (x.isEmpty(p0) || x.isEmpty(p1)) {
                    if (op != FSCALE) {
                        x.fsw &= ~X87.C2;
                    }
                    underflow(x, p0);
                    return;
                }
                if (op == FSCALE) {
                    X87Ops.scale(f, x.mant[p0], x.se[p0], x.mant[p1], x.se[p1], x.fcw);
                    if (x.commit(f.exc)) {
                        x.write(p0, f.m, f.se);
                    }
                    return;
                }
                int cc = X87Ops.remainder(f, x.mant[p0], x.se[p0], x.mant[p1], x.se[p1], op == FPREM1, x.fcw);
                boolean complete = x.commit((f.exc & ~C1) | (cc > 0 ? cc & C1 : 0));
                x.fsw &= ~X87.C2; // C0 and C3 stay as they were unless a remainder is delivered
                if (cc >= 0 && complete) {
                    x.fsw = (x.fsw & ~(X87.C0 | X87.C2 | X87.C3)) | (cc & (X87.C0 | X87.C2 | X87.C3));
                }
                if (complete) {
                    x.write(p0, f.m, f.se);
                }
            }
            case FXTRACT -> extract(x, f, p0);
            default -> throw new IllegalStateException("x87 unary op " + op);
        }
    }

    /** Stack underflow with ST(0) as destination: the masked response is the indefinite. */
    private static void underflow(X87 x, int p0) {
        if (x.commit(IE | SF)) {
            x.writeIndefinite(p0);
        }
    }

    /** FXAM: C3/C2/C0 classify ST(0) (SDM Vol. 2A Table 3-43), C1 is its sign; no exceptions. */
    private static void examine(X87 x, int p0) {
        int cc;
        if (x.isEmpty(p0)) {
            cc = X87.C3 | X87.C0;
        } else {
            cc = switch (classify(x.mant[p0], x.se[p0])) {
                case UNSUPPORTED -> 0;
                case QNAN, SNAN -> X87.C0;
                case NORMAL -> X87.C2;
                case INF -> X87.C2 | X87.C0;
                case ZERO -> X87.C3;
                default -> X87.C3 | X87.C2;
            };
        }
        if ((x.se[p0] & 0x8000) != 0) {
            cc |= X87.C1;
        }
        x.fsw = (x.fsw & ~(X87.C0 | X87.C1 | X87.C2 | X87.C3)) | cc;
    }

    /**
     * FXTRACT: ST(0) becomes its unbiased exponent (as a value) and the significand (exponent 0,
     * same sign) is pushed. Zero raises ZE and gives -∞ and the zero (SDM Vol. 2A FXTRACT).
     */
    private static void extract(X87 x, X87Float f, int p0) {
        if (x.isEmpty(p0) || x.pushOverflows()) {
            int exc = x.isEmpty(p0) ? IE | SF : IE | SF | C1;
            if (x.commit(exc)) {
                x.writeIndefinite(p0);
                x.push(INDEFINITE_MANT, INDEFINITE_SE);
            }
            return;
        }
        long m = x.mant[p0];
        int s = x.se[p0];
        int cls = classify(m, s);
        long expM, sigM;
        int expSe, sigSe;
        if (cls >= QNAN) {
            f.nanResult(m, s, cls, 0, 0, ZERO);
            expM = sigM = f.m;
            expSe = sigSe = f.se;
        } else if (cls == ZERO) {
            f.exc |= ZE;
            expM = INT_BIT;
            expSe = 0xffff;
            sigM = m;
            sigSe = s;
        } else if (cls == INF) {
            expM = INT_BIT;
            expSe = 0x7fff;
            sigM = m;
            sigSe = s;
        } else {
            if (cls == DENORMAL) {
                f.exc |= DE;
            }
            X87Convert.fromInteger(f, exponent(m, s));
            expM = f.m;
            expSe = f.se;
            sigM = significand(m);
            sigSe = (s & 0x8000) | 16383;
        }
        if (x.commit(f.exc)) {
            x.write(p0, expM, expSe);
            x.push(sigM, sigSe);
        }
    }
}
