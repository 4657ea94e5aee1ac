package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.sized;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;

/**
 * Accesses that run into the not-present guard page after each slot (see {@link BatchProgram#prepare}):
 * loads, stores and read-modify-writes that straddle the page boundary must raise #PF with CR2 in
 * the guard page and change nothing (SDM Vol. 3A §6.15: a fault is reported before the instruction
 * changes state); POP straddling it must leave RSP alone; REP string instructions must stop at the
 * faulting element with RCX, RSI and RDI counting the elements done (SDM Vol. 2B "REP").
 */
final class PageEdgeCases {
    private PageEdgeCases() {
    }

    private static long end(CaseBuilder b) {
        return b.slotBase() + CaseBuilder.SLOT_SIZE;
    }

    /** An address {@code 1..size-1} bytes before the guard page, or (sometimes) inside it. */
    private static long straddling(CaseBuilder b, int size) {
        if (b.oneIn(8)) {
            return end(b) + b.random().nextInt(64);
        }
        return end(b) - 1 - b.random().nextInt(size - 1);
    }

    /**
     * MOV load or store, or an ALU/XCHG/XADD read-modify-write, straddling the guard page. RSP stays
     * a valid stack pointer here: with RSP pointing nowhere, the software-nested KVM sometimes
     * completes part of a faulting store (it emulates the instruction in the host).
     */
    static void crossingAccess(CaseBuilder b) {
        b.useStack();
        int bits = b.pickInt(16, 32, 64);
        Mem m = sized(b.memAt(straddling(b, bits / 8)), bits);
        Reg r = b.reg(bits);
        b.randomize(r);
        int kind = b.random().nextInt(5);
        String name = new String[]{"mov load", "mov store", "add", "xchg", "lock xadd"}[kind];
        b.form(name + " m" + bits + " across a page boundary");
        String text = switch (kind) {
            case 0 -> "mov " + t(r) + ", " + t(m);
            case 1 -> "mov " + t(m) + ", " + t(r);
            case 2 -> "add " + t(m) + ", " + t(r);
            case 3 -> "xchg " + t(m) + ", " + t(r);
            default -> "lock xadd " + t(m) + ", " + t(r);
        };
        b.step(text, 0, kind == 2 || kind == 4 ? STATUS : 0, 0, a -> {
            switch (kind) {
                case 0 -> a.mov(r, m);
                case 1 -> a.mov(m, r);
                case 2 -> a.add(m, r);
                case 3 -> a.xchg(m, r);
                default -> a.lock().xadd(m, r);
            }
        });
    }

    /** CMPXCHG8B and MOVDQU/MOVUPS (SSE) straddling the guard page. */
    static void crossingWide(CaseBuilder b) {
        b.useStack();
        if (b.oneIn(2)) {
            Mem m = sized(b.memAt(straddling(b, 8)), 64);
            b.form("cmpxchg8b across a page boundary");
            b.step("cmpxchg8b " + t(m), 0, ZF, 0, a -> a.cmpxchg8b(m));
            return;
        }
        b.useSse();
        boolean store = b.oneIn(2);
        Mem m = b.memAt(straddling(b, 16));
        int x = b.random().nextInt(16);
        b.form((store ? "movdqu store" : "movdqu load") + " across a page boundary");
        b.step(store ? "movdqu " + t(m) + ", xmm" + x : "movdqu xmm" + x + ", " + t(m),
                a -> a.modrmInstruction(0xf3, false, new int[]{0x0f, store ? 0x7f : 0x6f}, x, m, 0, 0));
    }

    /** POP r64 / POP m64 with the top of the stack straddling the guard page. */
    static void crossingPop(CaseBuilder b) {
        b.useStack();
        long rsp = end(b) - 1 - b.random().nextInt(7);
        b.set(Reg.RSP, rsp);
        Operand d = b.oneIn(2) ? b.reg(64) : sized(b.mem(8), 64);
        b.form("pop " + (d instanceof Reg ? "r64" : "m64") + " across a page boundary");
        b.step("pop " + t(d) + "   ; rsp=" + hex(rsp), a -> {
            if (d instanceof Reg r) {
                a.pop(r);
            } else {
                a.pop((Mem) d);
            }
        });
    }

    /**
     * REP MOVS/STOS/LODS and REPE CMPS/SCAS running into the guard page part-way: the elements
     * before the fault are done, RCX/RSI/RDI say how many, and the instruction restarts there.
     */
    static void repeatedIntoGuard(CaseBuilder b) {
        b.useStack();
        int op = b.random().nextInt(5);
        int bits = ArithmeticCases.size(b);
        int size = bits / 8;
        b.flag(DF, false);
        int remaining = 1 + b.random().nextInt(6);
        long runsOff = end(b) - (long) remaining * size + (b.oneIn(4) ? b.random().nextInt(size) : 0);
        long other = b.slotBase() + 0x400 + b.random().nextInt(0x100) * size;
        boolean sourceRunsOff = (op == 0 || op == 2 || op == 3) && b.oneIn(2);
        long rsi = sourceRunsOff ? runsOff : other;
        long rdi = sourceRunsOff ? other : runsOff;
        b.pin(Reg.RSI, rsi);
        b.pin(Reg.RDI, rdi);
        b.pin(Reg.RCX, remaining + 1 + b.random().nextInt(8));
        b.randomize(Reg.RAX);
        if (op >= 3) {
            // Equal data up to the guard, so REPE keeps going until the fault.
            for (long i = 0; i < (long) remaining * size + size; i++) {
                long from = rsi + i, to = rdi + i;
                if (from < end(b) && to < end(b)) {
                    b.write(to, 1, b.read(from, 1));
                }
            }
            if (op == 4 && rdi + size <= end(b)) {
                b.set(Reg.gpr(0, bits), b.read(rdi, size));
            }
        }
        String[] names = {"rep movs", "rep stos", "rep lods", "repe cmps", "repe scas"};
        b.form(names[op] + bits + " into the guard page");
        b.step(names[op] + " (" + bits + "-bit)   ; rsi=" + hex(rsi) + " rdi=" + hex(rdi) + " rcx=" + b.get(Reg.RCX), DF,
                op >= 3 ? STATUS : 0, 0, a -> {
                    a.rep();
                    switch (op) {
                        case 0 -> a.movs(bits);
                        case 1 -> a.stos(bits);
                        case 2 -> a.lods(bits);
                        case 3 -> a.cmps(bits);
                        default -> a.scas(bits);
                    }
                });
    }
}
