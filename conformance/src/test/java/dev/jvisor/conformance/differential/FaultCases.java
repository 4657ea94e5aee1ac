package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.t;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;

/**
 * Instructions that fault at CPL3, where both CPUs must raise the same exception with the same
 * error code, CR2 and RIP and leave the state untouched: #UD (UD2, opcodes invalid in 64-bit mode,
 * LOCK where it is not allowed; SDM Vol. 2A §2.1.1 and Appendix A), #BP (INT3, a trap), #GP(0) and
 * #SS(0) for non-canonical addresses (SDM Vol. 3A §6.15), and #PF above the 4 GiB identity map. Segment
 * loads are not here: at CPL3 the software-nested KVM checks selectors against the host's GDT, not
 * the guest's (the back-end suite tests them at CPL0).
 */
final class FaultCases {
    /** One-byte opcodes that are invalid in 64-bit mode (SDM Vol. 2D Table A-2, "i64"). */
    private static final int[] INVALID_IN_64 = {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
        0x60, 0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea};

    private FaultCases() {
    }

    static void undefinedOpcode(CaseBuilder b) {
        // With RSP pointing nowhere, the nested KVM sometimes handles a fault by emulating the
        // instruction in the host; cases that fault keep RSP a valid stack pointer.
        b.useStack();
        switch (b.random().nextInt(5)) {
            case 0 -> {
                b.form("ud2");
                b.step("ud2", a -> a.ud2());
            }
            case 4 -> {
                // UD1 (0F B9 /r) and UD0 (0F FF) are reserved undefined opcodes too (SDM Vol. 2B UD).
                boolean ud1 = b.oneIn(2);
                b.form(ud1 ? "ud1" : "ud0");
                b.step(ud1 ? "ud1 eax, ecx" : "ud0", a -> a.db(0x0f, ud1 ? 0xb9 : 0xff, 0xc1));
            }
            case 1 -> {
                int op = INVALID_IN_64[b.random().nextInt(INVALID_IN_64.length)];
                b.form(String.format("invalid-in-64 %02x", op));
                // Padding after the opcode keeps the operand bytes of the 32-bit meaning in the case.
                b.step(String.format("db 0x%02x (invalid in 64-bit mode)", op), a -> a.db(op).db(0, 0, 0, 0, 0, 0));
            }
            case 2 -> {
                Reg d = b.reg(32);
                Reg s = b.reg(32);
                b.form("lock add r32, r32");
                b.step("lock add " + t(d) + ", " + t(s) + " (register destination)", a -> a.lock().add(d, s));
            }
            default -> {
                Mem m = Operands.sized(b.mem(4), 32);
                Reg r = b.reg(32);
                boolean cmp = b.oneIn(2);
                b.form(cmp ? "lock cmp m32, r32" : "lock mov m32, r32");
                b.step((cmp ? "lock cmp " : "lock mov ") + t(m) + ", " + t(r), a -> {
                    a.lock();
                    if (cmp) {
                        a.cmp(m, r);
                    } else {
                        a.mov(m, r);
                    }
                });
            }
        }
    }

    static void breakpoint(CaseBuilder b) {
        b.useStack();
        b.form("int3");
        b.step("int3", a -> a.int3());
    }

    /** Loads and stores through non-canonical addresses (#GP(0), or #SS(0) with an RBP base) and above 4 GiB (#PF). */
    static void badAddress(CaseBuilder b) {
        boolean pageFault = b.oneIn(3);
        long address = pageFault
                ? (5L << 30) + b.random().nextInt(1 << 20)
                : b.pick(0x0000_8000_0000_0000L, 0xffff_7fff_ffff_f000L, 0x1234_0000_0000_0000L) + b.random().nextInt(4096);
        b.useStack();      // keeps RSP out of the register choices
        // An RBP base makes the access a stack access: #SS(0) instead of #GP(0) when non-canonical.
        Reg base = b.oneIn(4) ? Reg.RBP : b.freeReg(64);
        b.pin(base, address);
        Reg r = b.reg(64);
        boolean store = b.oneIn(2);
        Mem m = Mem.at(base).qwordPtr();
        b.form((store ? "store" : "load") + (pageFault ? " unmapped" : " non-canonical") + (base.code() == 5 ? " [rbp]" : ""));
        b.step(store ? "mov " + t(m) + ", " + t(r) + "   ; " + t(base) + "=" + hex(address)
                : "mov " + t(r) + ", " + t(m) + "   ; " + t(base) + "=" + hex(address), a -> {
            if (store) {
                a.mov(m, r);
            } else {
                a.mov(r, m);
            }
        });
    }
}
