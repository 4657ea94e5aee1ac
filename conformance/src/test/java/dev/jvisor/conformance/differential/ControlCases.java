package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.kind;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;

/**
 * Flag consumers and control flow: CMOVcc and SETcc for all 16 conditions (SDM Vol. 1 Appendix B),
 * Jcc short and near, LOOP/LOOPE/LOOPNE/JRCXZ/JECXZ (with 0x67 for the 32-bit count), near CALL and
 * RET (with an immediate, and AMD's "rep ret"), and indirect JMP/CALL through a register or memory.
 */
final class ControlCases {
    private ControlCases() {
    }

    /** The flags condition code {@code c} reads. */
    static long reads(Cond c) {
        return switch (c.code() >> 1) {
            case 0 -> OF;
            case 1 -> CF;
            case 2 -> ZF;
            case 3 -> CF | ZF;
            case 4 -> SF;
            case 5 -> PF;
            case 6 -> SF | OF;
            default -> ZF | SF | OF;
        };
    }

    static Cond cond(CaseBuilder b) {
        return Cond.values()[b.random().nextInt(16)];
    }

    /** CMOVcc r, r/m: a 32-bit CMOV zero-extends its destination even when the condition is false. */
    static void cmov(CaseBuilder b) {
        Cond c = cond(b);
        int bits = b.pickInt(16, 32, 64);
        Reg d = b.reg(bits);
        b.randomize(d);
        Operand s = regOrMem(b, bits, 3);
        String name = "cmov" + c.name().toLowerCase();
        b.form(name + " r" + bits + ", " + kind(s, bits));
        b.step(name + " " + t(d) + ", " + t(s), reads(c), 0, 0, a -> a.cmov(c, d, s));
    }

    /** SETcc r/m8. */
    static void setcc(CaseBuilder b) {
        Cond c = cond(b);
        Operand d = regOrMem(b, 8, 3);
        String name = "set" + c.name().toLowerCase();
        b.form(name + " " + kind(d, 8));
        b.step(name + " " + t(d), reads(c), 0, 0, a -> a.set(c, d));
    }

    /** Jcc over a MOV, in the short (70+cc) or near (0F 80+cc) form. */
    static void jcc(CaseBuilder b) {
        Cond c = cond(b);
        boolean near = b.oneIn(2);
        Reg marker = b.reg(64);
        long value = b.value(32);
        String name = "j" + c.name().toLowerCase();
        b.form(name + (near ? " rel32" : " rel8"));
        b.step(name + (near ? " near" : " short") + " +skip; mov " + t(marker) + ", " + hex(value) + "; skip:", reads(c), 0, 0, a -> {
            Label skip = a.newLabel();
            if (near) {
                a.j(c, skip);
            } else {
                a.jShort(c, skip);
            }
            a.mov(marker, value).bind(skip);
        });
    }

    /** LOOP, LOOPE, LOOPNE, JRCXZ, and their 0x67 forms on ECX, jumping forward over a marker. */
    static void loop(CaseBuilder b) {
        int which = b.random().nextInt(4);
        boolean ecx = b.oneIn(3);
        long count = b.oneIn(2) ? b.random().nextInt(3) : b.value(64);
        if (ecx) {
            count = count & 0xffff_ffffL | b.random().nextLong() << 32;
            if (b.oneIn(3)) {
                count &= 0xffff_ffff_0000_0000L;    // ECX zero, RCX not
            }
        }
        b.pin(Reg.RCX, count);
        Reg marker = b.reg(64);
        String name = new String[]{"loop", "loope", "loopne", ecx ? "jecxz" : "jrcxz"}[which];
        long reads = which == 1 || which == 2 ? ZF : 0;
        b.form((ecx && which < 3 ? "addr32 " : "") + name);
        b.step((ecx && which < 3 ? "addr32 " : "") + name + " +skip; mov " + t(marker) + ", 1; skip:", reads, 0, 0, a -> {
            Label skip = a.newLabel();
            switch (which) {
                case 0, 1, 2 -> {
                    if (ecx) {
                        a.db(0x67);
                    }
                    if (which == 0) {
                        a.loop(skip);
                    } else if (which == 1) {
                        a.loope(skip);
                    } else {
                        a.loopne(skip);
                    }
                }
                default -> {
                    if (ecx) {
                        a.jcxzOtherAddressSize(skip);
                    } else {
                        a.jcxz(skip);
                    }
                }
            }
            a.mov(marker, 1).bind(skip);
        });
    }

    /** CALL rel32 to a function that returns with RET, RET imm16 or REP RET. */
    static void callReturn(CaseBuilder b) {
        b.useStack();
        int kind = b.random().nextInt(3);
        int pop = b.random().nextInt(5) * 8;
        Reg marker = b.reg(64);
        String ret = kind == 0 ? "ret" : kind == 1 ? "ret " + pop : "rep ret";
        b.form("call rel32; " + ret.replaceAll("\\d+", "imm16"));
        b.step("call f; jmp done; f: mov " + t(marker) + ", rsp; " + ret + "; done:", a -> {
            Label f = a.newLabel();
            Label done = a.newLabel();
            a.call(f).jmp(done).bind(f).mov(marker, Reg.RSP);
            switch (kind) {
                case 0 -> a.ret();
                case 1 -> a.ret(pop);
                default -> a.db(0xf3).ret();
            }
            a.bind(done);
        });
    }

    /** JMP r64 / CALL r64 / JMP m64 / CALL m64 to a label whose address is computed with LEA. */
    static void indirect(CaseBuilder b) {
        b.useStack();
        boolean call = b.oneIn(2);
        boolean memory = b.oneIn(2);
        Reg r = b.freeReg(64);
        b.pin(r, 0);
        Mem m = memory ? sized(b.mem(8), 64) : null;
        Reg marker = b.reg(64);
        String what = memory ? t(m) : t(r);
        b.form((call ? "call " : "jmp ") + (memory ? "m64" : "r64"));
        b.step("lea " + t(r) + ", [rip+target]; " + (memory ? "mov " + t(m) + ", " + t(r) + "; " : "")
                + (call ? "call " : "jmp ") + what + "; mov " + t(marker) + ", 1; target:" + (call ? " pop " + t(marker) : ""), a -> {
            Label target = a.newLabel();
            a.lea(r, Mem.rip(target));
            if (memory) {
                a.mov(m, r);
            }
            if (call) {
                a.call(memory ? m : r);
            } else {
                a.jmp(memory ? m : r);
            }
            a.mov(marker, 1).bind(target);
            if (call) {
                a.pop(marker);
            }
        });
    }
}
