package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;

/**
 * The stack and the flags register: PUSH/POP of registers, immediates and memory in 64- and 16-bit
 * sizes (including PUSH RSP and POP RSP), PUSHFQ/POPFQ with values that try to change flags CPL3
 * may not (IOPL, IF; SDM Vol. 2B POPF Table 4-16), LEAVE and ENTER, and the flag instructions
 * LAHF, SAHF, CLC, STC, CMC, CLD, STD.
 */
final class StackCases {
    private StackCases() {
    }

    /** PUSH r/imm/m and POP r/m, 64- or 16-bit. */
    static void pushPop(CaseBuilder b) {
        b.useStack();
        int bits = b.oneIn(4) ? 16 : 64;
        switch (b.random().nextInt(6)) {
            case 0 -> {
                Reg r = b.oneIn(8) ? Reg.gpr(4, bits) : b.reg(bits);
                b.randomize(r);
                b.form("push r" + bits);
                b.step("push " + t(r), a -> a.push(r));
            }
            case 1 -> {
                Reg r = b.oneIn(8) ? Reg.gpr(4, bits) : b.reg(bits);
                b.write(b.rsp(), 8, b.value(64));
                b.form("pop r" + bits);
                b.step("pop " + t(r), a -> a.pop(r));
            }
            case 2 -> {
                long imm = b.oneIn(2) ? (byte) b.value(8) : b.value(32);
                if (bits == 16) {
                    // 66 6A ib / 66 68 iw: a 16-bit push of the immediate.
                    long imm16 = (short) imm;
                    boolean short8 = imm16 == (byte) imm16;
                    b.form("push imm" + (short8 ? 8 : 16) + " (16-bit)");
                    b.step("push word " + hex(imm16), a -> {
                        a.db(0x66, short8 ? 0x6a : 0x68);
                        if (short8) {
                            a.db((int) imm16 & 0xff);
                        } else {
                            a.dw((int) imm16 & 0xffff);
                        }
                    });
                    return;
                }
                b.form("push imm" + (imm == (byte) imm ? 8 : 32));
                b.step("push " + hex(imm), a -> a.push(imm));
            }
            case 3 -> {
                Mem m = sized(b.mem(bits / 8), bits);
                b.form("push m" + bits);
                b.step("push " + t(m), a -> a.push(m));
            }
            case 4 -> {
                Mem m = sized(b.mem(bits / 8), bits);
                b.write(b.rsp(), 8, b.value(64));
                b.form("pop m" + bits);
                b.step("pop " + t(m), a -> a.pop(m));
            }
            default -> {
                // Several in a row, as prologues do.
                Reg r1 = b.reg(64);
                Reg r2 = b.reg(64);
                b.randomize(r1);
                b.randomize(r2);
                b.form("push r64; push r64; pop r64; pop r64");
                b.step("push " + t(r1) + "; push " + t(r2) + "; pop " + t(r1) + "; pop " + t(r2),
                        a -> a.push(r1).push(r2).pop(r1).pop(r2));
            }
        }
    }

    /**
     * PUSHFQ, and POPFQ of a value with random status, DF, AC and ID bits plus bits CPL3 cannot
     * change. NT is left out: the software-nested KVM clears it in CPL3 code (where the SDM lets POPF
     * set it), so native results would differ by platform.
     */
    static void flagsRegister(CaseBuilder b) {
        b.useStack();
        if (b.oneIn(3)) {
            b.form("pushfq");
            b.step("pushfq", STATUS | DF, 0, 0, a -> a.pushf());
            return;
        }
        long value = b.random().nextLong() & (STATUS | DF | AC | ID | IOPL | IF | VIF | VIP | VM | RF);
        b.write(b.rsp(), 8, value | 2);
        b.form("popfq");
        b.step("popfq   ; [rsp]=" + hex(value | 2) + " (" + Flags.names(value) + ")", 0, STATUS | DF, 0, a -> a.popf());
    }

    /** LEAVE (C9) and ENTER (C8 iw ib) with nesting levels 0 to 3, RBP pointing into the slot. */
    static void frame(CaseBuilder b) {
        b.useStack();
        long rbp = b.slotBase() + 0x900 + 8L * b.random().nextInt(64);
        b.pin(Reg.RBP, rbp);
        if (b.oneIn(2)) {
            b.form("leave");
            b.step("leave", a -> a.db(0xc9));
        } else {
            int size = b.random().nextInt(8) * 8 + (b.oneIn(4) ? 4 : 0);
            int level = b.random().nextInt(4);
            b.form("enter imm16, " + level);
            b.step("enter " + size + ", " + level, a -> a.db(0xc8).dw(size).db(level));
        }
    }

    /** LAHF, SAHF, CLC, STC, CMC, CLD, STD. */
    static void flagOps(CaseBuilder b) {
        int which = b.random().nextInt(7);
        switch (which) {
            case 0 -> {
                b.randomize(Reg.RAX);
                b.form("lahf");
                b.step("lahf", SF | ZF | AF | PF | CF, 0, 0, a -> a.lahf());
            }
            case 1 -> {
                b.randomize(Reg.RAX);
                b.form("sahf");
                b.step("sahf", 0, SF | ZF | AF | PF | CF, 0, a -> a.sahf());
            }
            case 2 -> {
                b.form("clc");
                b.step("clc", 0, CF, 0, a -> a.clc());
            }
            case 3 -> {
                b.form("stc");
                b.step("stc", 0, CF, 0, a -> a.stc());
            }
            case 4 -> {
                b.form("cmc");
                b.step("cmc", CF, CF, 0, a -> a.cmc());
            }
            case 5 -> {
                b.form("cld");
                b.step("cld", a -> a.cld());
            }
            default -> {
                b.form("std");
                b.step("std", a -> a.std());
            }
        }
    }
}
