package dev.jvisor.emu.disasm;

/**
 * The x87 escape opcodes D8..DF (Intel SDM Vol. 2 §A.4, Tables A-7..A-22), with the AT&T mnemonics GNU
 * tools use: memory forms carry the operand size in the mnemonic (flds, fildll, fistps...), and the
 * register forms of FSUB/FSUBR and FDIV/FDIVR with ST(i) as destination are swapped (the long-standing
 * AT&T "SYSV386" convention that objdump reproduces).
 */
final class X87Map {
    private X87Map() {
    }

    /** Memory forms, [opcode - D8][ModRM.reg]; null is invalid. */
    static final String[][] MEMORY = {
            {"fadds", "fmuls", "fcoms", "fcomps", "fsubs", "fsubrs", "fdivs", "fdivrs"},
            {"flds", null, "fsts", "fstps", "fldenv", "fldcw", "fnstenv", "fnstcw"},
            {"fiaddl", "fimull", "ficoml", "ficompl", "fisubl", "fisubrl", "fidivl", "fidivrl"},
            {"fildl", "fisttpl", "fistl", "fistpl", null, "fldt", null, "fstpt"},
            {"faddl", "fmull", "fcoml", "fcompl", "fsubl", "fsubrl", "fdivl", "fdivrl"},
            {"fldl", "fisttpll", "fstl", "fstpl", "frstor", null, "fnsave", "fnstsw"},
            {"fiadds", "fimuls", "ficoms", "ficomps", "fisubs", "fisubrs", "fidivs", "fidivrs"},
            {"filds", "fisttps", "fists", "fistps", "fbld", "fildll", "fbstp", "fistpll"}};

    /** Register-form operand patterns. */
    enum Form {
        /** No operands. */
        NONE,
        /** ST(i). */
        STI,
        /** ST(i),ST in AT&T order (destination ST). */
        STI_ST,
        /** ST,ST(i) in AT&T order (destination ST(i)). */
        ST_STI,
        /** %ax. */
        AX
    }

    /** A register form: mnemonic and operand pattern. */
    record RegisterForm(String mnemonic, Form form) {
    }

    private static RegisterForm f(String mnemonic, Form form) {
        return new RegisterForm(mnemonic, form);
    }

    /** Register forms by ModRM.reg for each opcode; a non-null rm table overrides per ModRM.rm. */
    private static final RegisterForm[][] REGISTER = new RegisterForm[8][8];
    private static final RegisterForm[][][] REGISTER_BY_RM = new RegisterForm[8][8][];

    static {
        String[] arith = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};
        for (int r = 0; r < 8; r++) {
            REGISTER[0][r] = f(arith[r], r == 2 || r == 3 ? Form.STI : Form.STI_ST);
        }
        REGISTER[1][0] = f("fld", Form.STI);
        REGISTER[1][1] = f("fxch", Form.STI);
        REGISTER_BY_RM[1][2] = new RegisterForm[] {f("fnop", Form.NONE), null, null, null, null, null, null, null};
        REGISTER_BY_RM[1][4] = new RegisterForm[] {f("fchs", Form.NONE), f("fabs", Form.NONE), null, null,
                f("ftst", Form.NONE), f("fxam", Form.NONE), null, null};
        REGISTER_BY_RM[1][5] = names("fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", null);
        REGISTER_BY_RM[1][6] = names("f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp",
                "fincstp");
        REGISTER_BY_RM[1][7] = names("fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos");
        String[] cmovLow = {"fcmovb", "fcmove", "fcmovbe", "fcmovu"};
        String[] cmovHigh = {"fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"};
        for (int r = 0; r < 4; r++) {
            REGISTER[2][r] = f(cmovLow[r], Form.STI_ST);
            REGISTER[3][r] = f(cmovHigh[r], Form.STI_ST);
        }
        REGISTER_BY_RM[2][5] = names(null, "fucompp", null, null, null, null, null, null);
        REGISTER_BY_RM[3][4] = names("fneni(8087 only)", "fndisi(8087 only)", "fnclex", "fninit",
                "fnsetpm(287 only)", "frstpm(287 only)", null, null);
        REGISTER[3][5] = f("fucomi", Form.STI_ST);
        REGISTER[3][6] = f("fcomi", Form.STI_ST);
        // DC and DE with ST(i) as destination: AT&T swaps the SUB/SUBR and DIV/DIVR names.
        String[] arithDc = {"fadd", "fmul", null, null, "fsub", "fsubr", "fdiv", "fdivr"};
        for (int r = 0; r < 8; r++) {
            if (arithDc[r] != null) {
                REGISTER[4][r] = f(arithDc[r], Form.ST_STI);
            }
        }
        REGISTER[5][0] = f("ffree", Form.STI);
        REGISTER[5][2] = f("fst", Form.STI);
        REGISTER[5][3] = f("fstp", Form.STI);
        REGISTER[5][4] = f("fucom", Form.STI);
        REGISTER[5][5] = f("fucomp", Form.STI);
        String[] arithDe = {"faddp", "fmulp", null, null, "fsubp", "fsubrp", "fdivp", "fdivrp"};
        for (int r = 0; r < 8; r++) {
            if (arithDe[r] != null) {
                REGISTER[6][r] = f(arithDe[r], Form.ST_STI);
            }
        }
        REGISTER_BY_RM[6][3] = names(null, "fcompp", null, null, null, null, null, null);
        REGISTER[7][0] = f("ffreep", Form.STI);
        REGISTER_BY_RM[7][4] = new RegisterForm[] {f("fnstsw", Form.AX), null, null, null, null, null, null, null};
        REGISTER[7][5] = f("fucomip", Form.STI_ST);
        REGISTER[7][6] = f("fcomip", Form.STI_ST);
    }

    private static RegisterForm[] names(String... eight) {
        RegisterForm[] r = new RegisterForm[8];
        for (int i = 0; i < 8; i++) {
            r[i] = eight[i] == null ? null : f(eight[i], Form.NONE);
        }
        return r;
    }

    /** The register form for escape byte {@code D8 + escape} and ModRM {@code 11 reg rm}, or null. */
    static RegisterForm register(int escape, int reg, int rm) {
        RegisterForm[] byRm = REGISTER_BY_RM[escape][reg];
        return byRm != null ? byRm[rm] : REGISTER[escape][reg];
    }
}
