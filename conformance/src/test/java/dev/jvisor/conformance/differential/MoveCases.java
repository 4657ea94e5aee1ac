package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.kind;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.SegReg;

/**
 * Data movement: MOV in all its forms (including the 64-bit moffs and imm64 forms and reads of
 * segment registers), MOVZX/MOVSX/MOVSXD, XCHG/XADD/CMPXCHG/CMPXCHG8B, the accumulator sign
 * extensions CBW..CQO, and XLAT. Partial-register rules are what these check most: 8- and 16-bit
 * writes keep the rest of the register, 32-bit writes zero the upper half (SDM Vol. 1 §3.4.1.1).
 */
final class MoveCases {
    private MoveCases() {
    }

    /** MOV r,r / r,m / m,r / r,imm / m,imm / moffs. */
    static void mov(CaseBuilder b) {
        int bits = ArithmeticCases.size(b);
        switch (b.random().nextInt(6)) {
            case 0 -> {
                Reg d = b.reg(bits);
                Reg s = b.reg(bits);
                b.randomize(s);
                b.form("mov r" + bits + ", r" + bits);
                b.step("mov " + t(d) + ", " + t(s), a -> a.mov(d, s));
            }
            case 1, 2 -> {
                Reg r = b.reg(bits);
                b.randomize(r);
                Mem m = sized(b.mem(bits / 8), bits);
                boolean load = b.oneIn(2);
                b.form(load ? "mov r" + bits + ", m" + bits : "mov m" + bits + ", r" + bits);
                b.step(load ? "mov " + t(r) + ", " + t(m) : "mov " + t(m) + ", " + t(r), a -> {
                    if (load) {
                        a.mov(r, m);
                    } else {
                        a.mov(m, r);
                    }
                });
            }
            case 3 -> {
                Reg d = b.reg(bits);
                long imm = bits == 64 && b.oneIn(2) ? b.value(64) : b.value(Math.min(bits, 32));
                b.form("mov r" + bits + ", imm");
                b.step("mov " + t(d) + ", " + hex(imm), a -> a.mov(d, imm));
            }
            case 4 -> {
                Mem m = sized(b.mem(bits / 8), bits);
                long imm = immediate(b, bits);
                b.form("mov m" + bits + ", imm");
                b.step("mov " + t(m) + ", " + hex(imm), a -> a.mov(m, imm));
            }
            default -> moffs(b, bits);
        }
    }

    /** MOV AL/AX/EAX/RAX to and from a 64-bit absolute address (A0–A3, "movabs"). */
    private static void moffs(CaseBuilder b, int bits) {
        boolean load = b.oneIn(2);
        long address = b.target(bits / 8);
        b.randomize(Reg.gpr(0, 64));
        int opcode = (load ? 0xa0 : 0xa2) + (bits == 8 ? 0 : 1);
        String acc = t(Reg.gpr(0, bits));
        b.form("movabs " + (load ? acc + ", moffs" : "moffs, " + acc) + bits);
        b.step("movabs " + (load ? acc + ", [" + hex(address) + "]" : "[" + hex(address) + "], " + acc), a -> {
            if (bits == 16) {
                a.db(0x66);
            } else if (bits == 64) {
                a.db(0x48);
            }
            a.db(opcode).dq(address);
        });
    }

    /**
     * MOV r16/r32/r64, Sreg: reads the selector (32/64-bit destinations are zero-extended). Only CS
     * and SS: the software-nested KVM runs CPL3 code with null DS, ES, FS and GS selectors whatever
     * the vCPU state says, so native reads of those differ by platform, not by emulator.
     */
    static void movFromSegment(CaseBuilder b) {
        SegReg s = b.pick(SegReg.CS, SegReg.SS);
        int bits = b.pickInt(16, 32, 64);
        Reg d = b.reg(bits);
        b.form("mov r" + bits + ", sreg");
        b.step("mov " + t(d) + ", " + s.name().toLowerCase(), a -> a.mov(d, s));
    }

    /** MOVSXD r32, r/m32 without REX.W (63 /r): a plain 32-bit move, zero-extended (SDM Vol. 2B MOVSX/MOVSXD). */
    static void movsxd32(CaseBuilder b) {
        Reg d = b.reg(32);
        Operand s = regOrMem(b, 32, 3);
        b.form("movsxd r32, " + kind(s, 32));
        b.step("movsxd " + t(d) + ", " + t(s), a -> a.modrmInstruction(0, false, new int[]{0x63}, d.code(), s, 0, 0));
    }

    /** MOVZX/MOVSX from r/m8 or r/m16, and MOVSXD r64, r/m32. */
    static void extend(CaseBuilder b) {
        boolean signed = b.oneIn(2);
        int from = signed && b.oneIn(4) ? 32 : b.pickInt(8, 16);
        int to = from == 32 ? 64 : from == 16 ? b.pickInt(32, 64) : b.pickInt(16, 32, 64);
        Reg d = b.reg(to);
        Operand s = regOrMem(b, from, 3);
        String name = from == 32 ? "movsxd" : signed ? "movsx" : "movzx";
        b.form(name + " r" + to + ", " + kind(s, from));
        b.step(name + " " + t(d) + ", " + t(s), a -> {
            if (signed) {
                a.movsx(d, s);
            } else {
                a.movzx(d, s);
            }
        });
    }

    /** XCHG r,r and r,m (implicitly locked), XADD r/m, r. */
    static void exchange(CaseBuilder b) {
        int bits = ArithmeticCases.size(b);
        Operand d = regOrMem(b, bits, 3);
        Reg s = b.reg(bits);
        b.randomize(s);
        if (b.oneIn(2)) {
            boolean swap = b.oneIn(2);
            b.form("xchg " + kind(d, bits) + ", r" + bits);
            b.step("xchg " + t(swap ? s : d) + ", " + t(swap ? d : s), a -> a.xchg(swap ? s : d, swap ? d : s));
        } else {
            boolean lock = d instanceof Mem && b.oneIn(3);
            b.form((lock ? "lock " : "") + "xadd " + kind(d, bits) + ", r" + bits);
            b.step((lock ? "lock " : "") + "xadd " + t(d) + ", " + t(s), 0, STATUS, 0, a -> {
                if (lock) {
                    a.lock();
                }
                a.xadd(d, s);
            });
        }
    }

    /** CMPXCHG r/m, r with the accumulator equal to the destination about half the time. */
    static void compareExchange(CaseBuilder b) {
        int bits = ArithmeticCases.size(b);
        Operand d = regOrMem(b, bits, 2);
        Reg s = b.reg(bits);
        b.randomize(s);
        Reg acc = Reg.gpr(0, bits);
        b.randomize(Reg.RAX);
        if (b.oneIn(2)) {
            if (!b.isPinned(Reg.RAX)) {
                b.set(acc, valueOf(b, d, bits));
            } else if (d instanceof Mem) {
                setValue(b, d, bits, b.get(acc));
            }
        }
        boolean lock = d instanceof Mem && b.oneIn(3);
        b.form((lock ? "lock " : "") + "cmpxchg " + kind(d, bits) + ", r" + bits);
        b.step((lock ? "lock " : "") + "cmpxchg " + t(d) + ", " + t(s), 0, STATUS, 0, a -> {
            if (lock) {
                a.lock();
            }
            a.cmpxchg(d, s);
        });
    }

    /** CMPXCHG8B m64: compares EDX:EAX with the quadword, stores ECX:EBX or loads EDX:EAX. */
    static void compareExchange8(CaseBuilder b) {
        Mem m = sized(b.mem(8), 64);
        long address = address(b, m);
        if (b.oneIn(2)) {
            long edxEax = b.get(Reg.EDX) << 32 | b.get(Reg.EAX);
            b.write(address, 8, edxEax);
        }
        boolean lock = b.oneIn(3);
        b.form((lock ? "lock " : "") + "cmpxchg8b m64");
        b.step((lock ? "lock " : "") + "cmpxchg8b " + t(m), 0, ZF, 0, a -> {
            if (lock) {
                a.lock();
            }
            a.cmpxchg8b(m);
        });
    }

    /** CBW, CWDE, CDQE, CWD, CDQ, CQO. */
    static void convert(CaseBuilder b) {
        b.randomize(Reg.RAX);
        b.randomize(Reg.RDX);
        int which = b.random().nextInt(6);
        String name = new String[]{"cbw", "cwde", "cdqe", "cwd", "cdq", "cqo"}[which];
        b.form(name);
        b.step(name, a -> {
            switch (which) {
                case 0 -> a.cbw();
                case 1 -> a.cwde();
                case 2 -> a.cdqe();
                case 3 -> a.cwd();
                case 4 -> a.cdq();
                default -> a.cqo();
            }
        });
    }

    /** XLAT: AL = [RBX + AL] (D7; the REX.W form is the same instruction). */
    static void translate(CaseBuilder b) {
        b.pin(Reg.RBX, b.slotBase() + 0x400);
        boolean rexW = b.oneIn(3);
        b.form("xlat");
        b.step(rexW ? "rex.w xlat" : "xlat", a -> {
            if (rexW) {
                a.db(0x48);
            }
            a.db(0xd7);
        });
    }
}
