package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.SseValues.Lanes.*;

import dev.jvisor.conformance.differential.SseValues.Lanes;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;
import java.util.ArrayList;
import java.util.List;

/**
 * SSE and SSE2 instructions (SDM Vol. 2, opcode map Tables, legacy-prefix forms):
 * moves, arithmetic, comparisons (with COMISS/UCOMISS setting flags), conversions under every
 * rounding mode, logic, shuffles, packed integer arithmetic, shifts, packs and unpacks, with random
 * MXCSR (rounding, FTZ, DAZ, sticky flags, sometimes an unmasked exception) and memory operands
 * (aligned where the form requires it). RCPPS/RSQRTPS
 * and their scalar forms are left out: their results are implementation-specific approximations.
 */
final class SseCases {
    /** Operand shapes. V = XMM register, M = memory, G = general register. */
    enum Shape {
        /** xmm, xmm/m (reg field: destination). */
        V_VM,
        /** xmm, xmm/m, imm8. */
        V_VM_IMM,
        /** xmm/m, xmm (reg field: source; stores and register moves). */
        VM_V,
        /** xmm, r/m32|64 (CVTSI2SS/SD, MOVD/MOVQ to XMM). */
        V_GM,
        /** xmm, r32/m16, imm8 (PINSRW). */
        V_GM_IMM,
        /** r32|64, xmm/m (CVTxx2SI, MOVMSKPS, PMOVMSKB). */
        G_VM,
        /** r32, xmm, imm8 (PEXTRW). */
        G_V_IMM,
        /** r/m32|64, xmm (MOVD/MOVQ from XMM). */
        GM_V,
        /** xmm, imm8 with the operation in ModRM.reg (PSRLW xmm, imm8 and friends). */
        SHIFT_IMM,
        /** m32|64, r (MOVNTI). */
        M_G,
        /** xmm, xmm with an implicit [RDI] destination (MASKMOVDQU). */
        MASKMOV
    }

    /**
     * One instruction form.
     *
     * @param memBytes size of its memory operand (0: register only)
     * @param aligned  a 16-byte memory operand must be aligned (#GP otherwise)
     * @param memOnly  the r/m operand must be memory; {@code regOnly}: it must be a register
     * @param ext      the ModRM.reg opcode extension of SHIFT_IMM forms
     * @param rexW     64-bit general-register operand; {@code flags}: writes ZF, PF, CF
     * @param imm      immediates to draw from (null: 0..255)
     */
    record Form(String name, int prefix, int opcode, Shape shape, Lanes lanes, int memBytes, boolean aligned,
                boolean memOnly, boolean regOnly, int ext, boolean rexW, boolean flags, int[] imm) {
    }

    private static final int[] CMP_PREDICATES = {0, 1, 2, 3, 4, 5, 6, 7};
    static final List<Form> FORMS = forms();

    private SseCases() {
    }

    private static Form f(String name, int prefix, int opcode, Shape shape, Lanes lanes, int memBytes) {
        boolean aligned = memBytes == 16 && !name.startsWith("movu") && !name.equals("movdqu");
        return new Form(name, prefix, opcode, shape, lanes, memBytes, aligned, false, false, 0, false, false, null);
    }

    private static List<Form> forms() {
        List<Form> l = new ArrayList<>();
        // Moves.
        l.add(f("movups", 0, 0x10, Shape.V_VM, PS, 16));
        l.add(f("movupd", 0x66, 0x10, Shape.V_VM, PD, 16));
        l.add(f("movss", 0xf3, 0x10, Shape.V_VM, PS, 4));
        l.add(f("movsd", 0xf2, 0x10, Shape.V_VM, PD, 8));
        l.add(f("movups store", 0, 0x11, Shape.VM_V, PS, 16));
        l.add(f("movupd store", 0x66, 0x11, Shape.VM_V, PD, 16));
        l.add(f("movss store", 0xf3, 0x11, Shape.VM_V, PS, 4));
        l.add(f("movsd store", 0xf2, 0x11, Shape.VM_V, PD, 8));
        l.add(memOnly(f("movlps", 0, 0x12, Shape.V_VM, PS, 8)));
        l.add(regOnly(f("movhlps", 0, 0x12, Shape.V_VM, PS, 0)));
        l.add(memOnly(f("movlpd", 0x66, 0x12, Shape.V_VM, PD, 8)));
        l.add(memOnly(f("movlps store", 0, 0x13, Shape.VM_V, PS, 8)));
        l.add(memOnly(f("movlpd store", 0x66, 0x13, Shape.VM_V, PD, 8)));
        l.add(f("unpcklps", 0, 0x14, Shape.V_VM, PS, 16));
        l.add(f("unpcklpd", 0x66, 0x14, Shape.V_VM, PD, 16));
        l.add(f("unpckhps", 0, 0x15, Shape.V_VM, PS, 16));
        l.add(f("unpckhpd", 0x66, 0x15, Shape.V_VM, PD, 16));
        l.add(memOnly(f("movhps", 0, 0x16, Shape.V_VM, PS, 8)));
        l.add(regOnly(f("movlhps", 0, 0x16, Shape.V_VM, PS, 0)));
        l.add(memOnly(f("movhpd", 0x66, 0x16, Shape.V_VM, PD, 8)));
        l.add(memOnly(f("movhps store", 0, 0x17, Shape.VM_V, PS, 8)));
        l.add(memOnly(f("movhpd store", 0x66, 0x17, Shape.VM_V, PD, 8)));
        l.add(f("movaps", 0, 0x28, Shape.V_VM, PS, 16));
        l.add(f("movapd", 0x66, 0x28, Shape.V_VM, PD, 16));
        l.add(f("movaps store", 0, 0x29, Shape.VM_V, PS, 16));
        l.add(f("movapd store", 0x66, 0x29, Shape.VM_V, PD, 16));
        l.add(memOnly(f("movntps", 0, 0x2b, Shape.VM_V, PS, 16)));
        l.add(memOnly(f("movntpd", 0x66, 0x2b, Shape.VM_V, PD, 16)));
        l.add(f("movdqa", 0x66, 0x6f, Shape.V_VM, INT8, 16));
        l.add(f("movdqu", 0xf3, 0x6f, Shape.V_VM, INT8, 16));
        l.add(f("movdqa store", 0x66, 0x7f, Shape.VM_V, INT8, 16));
        l.add(unaligned(f("movdqu store", 0xf3, 0x7f, Shape.VM_V, INT8, 16)));
        l.add(memOnly(f("movntdq", 0x66, 0xe7, Shape.VM_V, INT8, 16)));
        l.add(f("movd xmm, r/m32", 0x66, 0x6e, Shape.V_GM, INT32, 4));
        l.add(w(f("movq xmm, r/m64", 0x66, 0x6e, Shape.V_GM, INT64, 8)));
        l.add(f("movd r/m32, xmm", 0x66, 0x7e, Shape.GM_V, INT32, 4));
        l.add(w(f("movq r/m64, xmm", 0x66, 0x7e, Shape.GM_V, INT64, 8)));
        l.add(f("movq xmm, xmm/m64", 0xf3, 0x7e, Shape.V_VM, INT64, 8));
        l.add(f("movq xmm/m64, xmm", 0x66, 0xd6, Shape.VM_V, INT64, 8));
        l.add(memOnly(f("movnti m32, r32", 0, 0xc3, Shape.M_G, INT32, 4)));
        l.add(w(memOnly(f("movnti m64, r64", 0, 0xc3, Shape.M_G, INT64, 8))));
        l.add(regOnly(f("movmskps", 0, 0x50, Shape.G_VM, PS, 0)));
        l.add(regOnly(f("movmskpd", 0x66, 0x50, Shape.G_VM, PD, 0)));
        l.add(regOnly(f("pmovmskb", 0x66, 0xd7, Shape.G_VM, INT8, 0)));
        l.add(regOnly(f("maskmovdqu", 0x66, 0xf7, Shape.MASKMOV, INT8, 0)));
        // Floating-point arithmetic, packed and scalar.
        String[] arith = {"sqrt", "and", "andn", "or", "xor", "add", "mul", "", "", "sub", "min", "div", "max"};
        int[] arithOp = {0x51, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0, 0, 0x5c, 0x5d, 0x5e, 0x5f};
        for (int i = 0; i < arith.length; i++) {
            if (arith[i].isEmpty()) {
                continue;
            }
            boolean logic = arithOp[i] >= 0x54 && arithOp[i] <= 0x57;
            l.add(f(arith[i] + "ps", 0, arithOp[i], Shape.V_VM, PS, 16));
            l.add(f(arith[i] + "pd", 0x66, arithOp[i], Shape.V_VM, PD, 16));
            if (!logic) {
                l.add(f(arith[i] + "ss", 0xf3, arithOp[i], Shape.V_VM, PS, 4));
                l.add(f(arith[i] + "sd", 0xf2, arithOp[i], Shape.V_VM, PD, 8));
            }
        }
        l.add(imm(f("cmpps", 0, 0xc2, Shape.V_VM_IMM, PS, 16), CMP_PREDICATES));
        l.add(imm(f("cmppd", 0x66, 0xc2, Shape.V_VM_IMM, PD, 16), CMP_PREDICATES));
        l.add(imm(f("cmpss", 0xf3, 0xc2, Shape.V_VM_IMM, PS, 4), CMP_PREDICATES));
        l.add(imm(f("cmpsd", 0xf2, 0xc2, Shape.V_VM_IMM, PD, 8), CMP_PREDICATES));
        l.add(flags(f("ucomiss", 0, 0x2e, Shape.V_VM, PS, 4)));
        l.add(flags(f("ucomisd", 0x66, 0x2e, Shape.V_VM, PD, 8)));
        l.add(flags(f("comiss", 0, 0x2f, Shape.V_VM, PS, 4)));
        l.add(flags(f("comisd", 0x66, 0x2f, Shape.V_VM, PD, 8)));
        l.add(f("shufps", 0, 0xc6, Shape.V_VM_IMM, PS, 16));
        l.add(f("shufpd", 0x66, 0xc6, Shape.V_VM_IMM, PD, 16));
        // Conversions.
        l.add(f("cvtsi2ss r/m32", 0xf3, 0x2a, Shape.V_GM, INT32, 4));
        l.add(w(f("cvtsi2ss r/m64", 0xf3, 0x2a, Shape.V_GM, INT64, 8)));
        l.add(f("cvtsi2sd r/m32", 0xf2, 0x2a, Shape.V_GM, INT32, 4));
        l.add(w(f("cvtsi2sd r/m64", 0xf2, 0x2a, Shape.V_GM, INT64, 8)));
        l.add(f("cvttss2si r32", 0xf3, 0x2c, Shape.G_VM, PS, 4));
        l.add(w(f("cvttss2si r64", 0xf3, 0x2c, Shape.G_VM, PS, 4)));
        l.add(f("cvttsd2si r32", 0xf2, 0x2c, Shape.G_VM, PD, 8));
        l.add(w(f("cvttsd2si r64", 0xf2, 0x2c, Shape.G_VM, PD, 8)));
        l.add(f("cvtss2si r32", 0xf3, 0x2d, Shape.G_VM, PS, 4));
        l.add(w(f("cvtss2si r64", 0xf3, 0x2d, Shape.G_VM, PS, 4)));
        l.add(f("cvtsd2si r32", 0xf2, 0x2d, Shape.G_VM, PD, 8));
        l.add(w(f("cvtsd2si r64", 0xf2, 0x2d, Shape.G_VM, PD, 8)));
        l.add(f("cvtps2pd", 0, 0x5a, Shape.V_VM, PS, 8));
        l.add(f("cvtpd2ps", 0x66, 0x5a, Shape.V_VM, PD, 16));
        l.add(f("cvtss2sd", 0xf3, 0x5a, Shape.V_VM, PS, 4));
        l.add(f("cvtsd2ss", 0xf2, 0x5a, Shape.V_VM, PD, 8));
        l.add(f("cvtdq2ps", 0, 0x5b, Shape.V_VM, INT32, 16));
        l.add(f("cvtps2dq", 0x66, 0x5b, Shape.V_VM, PS, 16));
        l.add(f("cvttps2dq", 0xf3, 0x5b, Shape.V_VM, PS, 16));
        l.add(f("cvttpd2dq", 0x66, 0xe6, Shape.V_VM, PD, 16));
        l.add(f("cvtdq2pd", 0xf3, 0xe6, Shape.V_VM, INT32, 8));
        l.add(f("cvtpd2dq", 0xf2, 0xe6, Shape.V_VM, PD, 16));
        // Packed integers.
        String[] ints = {"punpcklbw", "punpcklwd", "punpckldq", "packsswb", "pcmpgtb", "pcmpgtw", "pcmpgtd", "packuswb",
            "punpckhbw", "punpckhwd", "punpckhdq", "packssdw", "punpcklqdq", "punpckhqdq"};
        for (int i = 0; i < ints.length; i++) {
            l.add(f(ints[i], 0x66, 0x60 + i, Shape.V_VM, i == 11 || i == 6 || i == 2 || i == 10 ? INT32 : i == 3 || i == 5 || i == 1 || i == 9 ? INT16 : INT8, 16));
        }
        l.add(f("pcmpeqb", 0x66, 0x74, Shape.V_VM, INT8, 16));
        l.add(f("pcmpeqw", 0x66, 0x75, Shape.V_VM, INT16, 16));
        l.add(f("pcmpeqd", 0x66, 0x76, Shape.V_VM, INT32, 16));
        l.add(f("pshufd", 0x66, 0x70, Shape.V_VM_IMM, INT32, 16));
        l.add(f("pshufhw", 0xf3, 0x70, Shape.V_VM_IMM, INT16, 16));
        l.add(f("pshuflw", 0xf2, 0x70, Shape.V_VM_IMM, INT16, 16));
        String[] shifts = {"psrlw", "psraw", "psllw", "psrld", "psrad", "pslld", "psrlq", "psrldq", "psllq", "pslldq"};
        int[] shiftOp = {0x71, 0x71, 0x71, 0x72, 0x72, 0x72, 0x73, 0x73, 0x73, 0x73};
        int[] shiftExt = {2, 4, 6, 2, 4, 6, 2, 3, 6, 7};
        for (int i = 0; i < shifts.length; i++) {
            l.add(new Form(shifts[i] + " imm8", 0x66, shiftOp[i], Shape.SHIFT_IMM, INT16, 0, false, false, true, shiftExt[i],
                    false, false, null));
        }
        int[][] table = {
            {0xd1, 16}, {0xd2, 32}, {0xd3, 64}, {0xd4, 64}, {0xd5, 16}, {0xd8, 8}, {0xd9, 16}, {0xda, 8}, {0xdb, 8},
            {0xdc, 8}, {0xdd, 16}, {0xde, 8}, {0xdf, 8}, {0xe0, 8}, {0xe1, 16}, {0xe2, 32}, {0xe3, 16}, {0xe4, 16},
            {0xe5, 16}, {0xe8, 8}, {0xe9, 16}, {0xea, 16}, {0xeb, 8}, {0xec, 8}, {0xed, 16}, {0xee, 16}, {0xef, 8},
            {0xf1, 16}, {0xf2, 32}, {0xf3, 64}, {0xf4, 32}, {0xf5, 16}, {0xf6, 8}, {0xf8, 8}, {0xf9, 16}, {0xfa, 32},
            {0xfb, 64}, {0xfc, 8}, {0xfd, 16}, {0xfe, 32}};
        String[] names = {"psrlw", "psrld", "psrlq", "paddq", "pmullw", "psubusb", "psubusw", "pminub", "pand", "paddusb",
            "paddusw", "pmaxub", "pandn", "pavgb", "psraw", "psrad", "pavgw", "pmulhuw", "pmulhw", "psubsb", "psubsw",
            "pminsw", "por", "paddsb", "paddsw", "pmaxsw", "pxor", "psllw", "pslld", "psllq", "pmuludq", "pmaddwd",
            "psadbw", "psubb", "psubw", "psubd", "psubq", "paddb", "paddw", "paddd"};
        for (int i = 0; i < table.length; i++) {
            Lanes lanes = switch (table[i][1]) {
                case 8 -> INT8;
                case 16 -> INT16;
                case 32 -> INT32;
                default -> INT64;
            };
            l.add(f(names[i], 0x66, table[i][0], Shape.V_VM, lanes, 16));
        }
        l.add(f("pinsrw", 0x66, 0xc4, Shape.V_GM_IMM, INT16, 2));
        l.add(regOnly(f("pextrw", 0x66, 0xc5, Shape.G_V_IMM, INT16, 0)));
        return List.copyOf(l);
    }

    private static Form memOnly(Form x) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), x.aligned(), true, false, x.ext(),
                x.rexW(), x.flags(), x.imm());
    }

    private static Form regOnly(Form x) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), false, false, true, x.ext(),
                x.rexW(), x.flags(), x.imm());
    }

    private static Form unaligned(Form x) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), false, x.memOnly(), x.regOnly(),
                x.ext(), x.rexW(), x.flags(), x.imm());
    }

    private static Form w(Form x) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), x.aligned(), x.memOnly(),
                x.regOnly(), x.ext(), true, x.flags(), x.imm());
    }

    private static Form flags(Form x) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), x.aligned(), x.memOnly(),
                x.regOnly(), x.ext(), x.rexW(), true, x.imm());
    }

    private static Form imm(Form x, int[] choices) {
        return new Form(x.name(), x.prefix(), x.opcode(), x.shape(), x.lanes(), x.memBytes(), x.aligned(), x.memOnly(),
                x.regOnly(), x.ext(), x.rexW(), x.flags(), choices);
    }

    /** A generator for one form (so each form can be reported on its own). */
    static Generator of(Form form) {
        return b -> generate(b, form);
    }

    /** A generator drawing a random form each time. */
    static void any(CaseBuilder b) {
        generate(b, FORMS.get(b.random().nextInt(FORMS.size())));
    }

    static void generate(CaseBuilder b, Form form) {
        b.useSse();
        // RSP stays a valid stack pointer: with RSP pointing nowhere, the software-nested KVM
        // sometimes reports #UD for SSE instructions that have nothing to do with the stack.
        b.useStack();
        b.mxcsr(SseValues.mxcsr(b));
        for (int x = 0; x < 16; x++) {
            long[] v = SseValues.value(b, form.lanes());
            b.xmm(x, v[0], v[1]);
        }
        int reg = b.random().nextInt(16);
        boolean memory = !form.regOnly() && (form.memOnly() || form.memBytes() > 0 && b.oneIn(3));
        Operand rm;
        String rmText;
        if (memory) {
            int size = Math.max(form.memBytes(), 1);
            long target = b.target(16);
            if (form.aligned()) {
                // Always aligned: natively a misaligned operand gives #UD on the software-nested
                // KVM instead of #GP(0); EmulatorArchitectureTest checks the emulator's #GP(0).
                target &= ~15L;
            }
            long[] v = SseValues.value(b, form.lanes());
            b.write(target & ~7L, 8, v[0]);
            b.write((target & ~7L) + 8, 8, v[1]);
            Mem m = b.memAt(target);
            rm = m;
            rmText = (size == 16 ? "xmmword" : size == 8 ? "qword" : size == 4 ? "dword" : "word") + " ptr " + t(m);
        } else if (form.shape() == Shape.V_GM || form.shape() == Shape.V_GM_IMM || form.shape() == Shape.GM_V) {
            Reg g = b.reg(form.rexW() ? 64 : 32);
            b.set(g, form.lanes() == INT64 ? b.value(64) : b.value(32));
            rm = g;
            rmText = t(g);
        } else {
            int x = b.random().nextInt(16);
            rm = Reg.gpr(x, 32);
            rmText = "xmm" + x;
        }
        if (form.shape() == Shape.MASKMOV) {
            b.pin(Reg.RDI, b.slotBase() + 0x400 + b.random().nextInt(0x400));
        }
        int immediate = form.imm() != null ? form.imm()[b.random().nextInt(form.imm().length)]
                : form.shape() == Shape.SHIFT_IMM && b.oneIn(2) ? b.random().nextInt(20) : b.random().nextInt(256);
        boolean hasImm = form.shape() == Shape.V_VM_IMM || form.shape() == Shape.V_GM_IMM || form.shape() == Shape.G_V_IMM
                || form.shape() == Shape.SHIFT_IMM;
        String regText = switch (form.shape()) {
            case G_VM, G_V_IMM, M_G -> t(Reg.gpr(reg, form.rexW() ? 64 : 32));
            case SHIFT_IMM -> "";
            default -> "xmm" + reg;
        };
        if (form.shape() == Shape.G_VM || form.shape() == Shape.G_V_IMM) {
            b.randomize(Reg.gpr(reg, 64));
        }
        if (form.shape() == Shape.M_G) {
            b.randomize(Reg.gpr(reg, 64));
        }
        int regField = form.shape() == Shape.SHIFT_IMM ? form.ext() : reg;
        String text = switch (form.shape()) {
            case VM_V, GM_V, M_G -> form.name() + " " + rmText + ", " + regText;
            case SHIFT_IMM -> form.name() + " " + rmText;
            default -> form.name() + " " + regText + ", " + rmText;
        } + (hasImm ? ", " + immediate : "") + String.format("   ; mxcsr=%04x", b.mxcsrValue());
        b.form(form.name() + (memory ? " (mem)" : ""));
        long writes = form.flags() ? Flags.STATUS : 0;
        Operand rmOperand = rm;
        b.step(text, 0, writes, 0, a -> a.modrmInstruction(form.prefix(), form.rexW(), new int[]{0x0f, form.opcode()}, regField,
                rmOperand, hasImm ? 1 : 0, (byte) immediate));
    }
}
