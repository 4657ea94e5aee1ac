package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;

import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;

/**
 * Code-level behaviour: self-modifying code (a store, or REP STOSB, rewriting an instruction a few
 * bytes ahead in the same block; SDM Vol. 3A §11.6 requires the new bytes to execute), the 15-byte
 * instruction-length limit (#GP(0) beyond it, SDM Vol. 2A §2.3.11), branch-hint prefixes, IRETQ
 * from CPL3 to CPL3, and hints that must not fault (PREFETCH, fences, CLFLUSH of a valid line).
 */
final class CodeCases {
    private CodeCases() {
    }

    /** MOV to the immediate of the next instruction ("mov eax, imm32") or to an opcode a few instructions on. */
    static void selfModifying(CaseBuilder b) {
        b.useStack();
        Reg value = b.freeReg(32);
        long v = b.value(32);
        b.pin(Reg.gpr(value.code(), 64), b.value(64) & ~0xffff_ffffL | v & 0xffff_ffffL);
        Reg target = b.reg(32);
        int kind = b.random().nextInt(3);
        switch (kind) {
            case 0 -> {
                b.form("store into the next instruction's immediate");
                b.step("mov [rip+next+1], " + t(value) + "; next: mov " + t(target) + ", 0x11111111", a -> {
                    Label next = a.newLabel();
                    a.mov(Mem.rip(next, 1), value);
                    a.bind(next).db(0xb8 + (target.code() & 7));
                    if (target.isExtended()) {
                        throw new IllegalArgumentException("plain B8+r form only");
                    }
                    a.dd(0x1111_1111L);
                });
            }
            case 1 -> {
                // "inc ecx" (FF C1) becomes "dec ecx" (FF C9) three instructions later.
                b.randomize(Reg.RCX);
                b.form("store turning a later INC into DEC");
                b.step("mov byte [rip+site+1], 0xc9; nop; nop; site: inc ecx", 0, STATUS_BUT_CF, 0, a -> {
                    Label site = a.newLabel();
                    a.mov(Mem.rip(site, 1).bytePtr(), 0xc9).nop().nop();
                    a.bind(site).inc(Reg.ECX);
                });
            }
            default -> {
                // REP STOSB fills the next bytes with NOPs: the "mov" that followed must vanish.
                b.flag(DF, false);
                b.randomize(Reg.RDX);
                b.form("rep stosb over the following code");
                b.step("lea rdi, [rip+site]; mov al, 0x90; mov ecx, 10; rep stosb; site: mov rdx, -1 (10 bytes)", a -> {
                    Label site = a.newLabel();
                    a.lea(Reg.RDI, Mem.rip(site)).mov(Reg.AL, 0x90).mov(Reg.ECX, 10).rep().stos(8);
                    a.bind(site).mov(Reg.RDX, 0x7fff_ffff_ffff_ffffL);    // B8+r imm64: 10 bytes
                });
            }
        }
    }

    /** ADD EAX, ECX behind redundant 0x66 prefixes: 15 bytes in all executes, 16 raise #GP(0). */
    static void lengthLimit(CaseBuilder b) {
        b.useStack();
        int prefixes = b.pickInt(12, 13, 14);          // 66 x n + 01 C8 = n + 2 bytes
        b.randomize(Reg.RAX);
        b.randomize(Reg.RCX);
        b.form(prefixes + 2 > 15 ? "16-byte instruction" : prefixes + 2 + "-byte instruction");
        b.step("66 x " + prefixes + " + add ax, cx (" + (prefixes + 2) + " bytes)", 0, STATUS, 0, a -> {
            for (int i = 0; i < prefixes; i++) {
                a.db(0x66);
            }
            a.db(0x01, 0xc8);
        });
    }

    /** Jcc with a CS (not taken) or DS (taken) branch hint, which change nothing architecturally. */
    static void branchHint(CaseBuilder b) {
        int cc = b.random().nextInt(16);
        int hint = b.pickInt(0x2e, 0x3e);
        Reg marker = b.reg(64);
        b.form("hinted jcc");
        b.step(String.format("db %02x; j%d +skip; mov %s, 1; skip:", hint, cc, t(marker)), ControlCases.reads(
                dev.jvisor.testkit.Cond.values()[cc]), 0, 0, a -> {
                    Label skip = a.newLabel();
                    a.db(hint).jShort(dev.jvisor.testkit.Cond.values()[cc], skip).mov(marker, 1).bind(skip);
                });
    }

    /** IRETQ from CPL3 to CPL3 through a frame built on the stack (SDM Vol. 2A IRET, same privilege). */
    static void userIretq(CaseBuilder b) {
        b.useStack();
        long flags = b.random().nextLong() & (STATUS | DF) | 0x202;
        b.form("iretq at CPL3");
        b.step("push ss; push rsp+8; push " + hex(flags) + "; push cs; push target; iretq; target:", 0, STATUS | DF, 0, a -> {
            Label target = a.newLabel();
            a.mov(Reg.RAX, Reg.RSP);
            a.push(dev.jvisor.testkit.TinyGuest.USER_DS).push(Reg.RAX).push(flags).push(dev.jvisor.testkit.TinyGuest.USER_CS64);
            a.lea(Reg.RAX, Mem.rip(target)).push(Reg.RAX).iretq().bind(target);
        });
    }

    /** PREFETCHh/PREFETCHW of any address, the fences, and CLFLUSH of a line in the slot: none faults or changes state. */
    static void hints(CaseBuilder b) {
        b.useStack();
        int kind = b.random().nextInt(5);
        switch (kind) {
            case 0, 1 -> {
                // Prefetches never fault, whatever the address (SDM Vol. 2B PREFETCHh).
                Reg base = b.freeReg(64);
                b.pin(base, b.oneIn(2) ? 0x8000_0000_0000_0000L : b.value(64));
                int ext = b.random().nextInt(4);
                boolean amd = kind == 1;
                b.form(amd ? "prefetchw" : "prefetch" + ext);
                b.step((amd ? "prefetchw [" : "prefetch" + ext + " [") + t(base) + "]",
                        a -> a.modrmInstruction(0, false, new int[]{0x0f, amd ? 0x0d : 0x18}, amd ? 1 : ext, Mem.at(base), 0, 0));
            }
            case 2 -> {
                int fence = b.pickInt(0xe8, 0xf0, 0xf8);
                b.form("fence");
                b.step(fence == 0xe8 ? "lfence" : fence == 0xf0 ? "mfence" : "sfence", a -> a.db(0x0f, 0xae, fence));
            }
            default -> {
                Mem m = b.mem(1);
                b.form("clflush");
                b.step("clflush " + t(m), a -> a.modrmInstruction(0, false, new int[]{0x0f, 0xae}, 7, m, 0, 0));
            }
        }
    }
}
