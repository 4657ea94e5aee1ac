package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;

import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;

/**
 * Prefix rules a decoder must get right (SDM Vol. 2A §2.1 and §2.2.1): REX.W wins over 0x66; a REX
 * that is not the last prefix before the opcode is ignored; of two REX only the last counts;
 * repeated 0x66; segment overrides CS/DS/ES/SS ignored in 64-bit mode; F2/F3 on one-byte ALU
 * opcodes ignored; 0x67 on an instruction without memory operand ignored; REX.B turns 90 into
 * XCHG with R8; and the multi-byte NOP forms (0F 1F /0).
 */
final class PrefixCases {
    private PrefixCases() {
    }

    /** Prefix bytes, then ADD r/m32, r32 (01 /r) on two random low registers, register or memory form. */
    static void prefixedAlu(CaseBuilder b) {
        int which = b.random().nextInt(8);
        int[] prefixes = switch (which) {
            case 0 -> new int[]{0x66, 0x48};        // REX.W beats 66: 64-bit
            case 1 -> new int[]{0x48, 0x66};        // REX not last: ignored, 16-bit
            case 2 -> new int[]{0x41, 0x48};        // two REX: the last one counts
            case 3 -> new int[]{0x66, 0x66};        // repeated 66: 16-bit
            case 4 -> new int[]{b.pickInt(0x2e, 0x3e, 0x26, 0x36)};   // ignored segment override
            case 5 -> new int[]{b.pickInt(0xf2, 0xf3)};                // ignored on ALU opcodes
            case 6 -> new int[]{0x67};              // no memory operand: ignored
            default -> new int[]{0x40};             // empty REX: SPL..DIL instead of AH..BH for bytes
        };
        boolean bytes = which == 7;
        int d = b.random().nextInt(8);
        int s = b.random().nextInt(8);
        b.randomize(Reg.gpr(d, 64));
        b.randomize(Reg.gpr(s, 64));
        StringBuilder text = new StringBuilder("db");
        for (int p : prefixes) {
            text.append(String.format(" %02x", p));
        }
        int opcode = bytes ? 0x00 : 0x01;
        int modrm = 0xc0 | s << 3 | d;
        text.append(String.format(" %02x %02x", opcode, modrm));
        b.form(String.format("prefixes %s + add", text.substring(3, 3 + 3 * prefixes.length - 1)));
        b.step(text + "   (add)", 0, STATUS, 0, a -> {
            for (int p : prefixes) {
                a.db(p);
            }
            a.db(opcode, modrm);
        });
    }

    /** A segment-override or address-size prefix on a memory operand's load. */
    static void prefixedLoad(CaseBuilder b) {
        b.useStack();       // an FS or GS prefix may move the access into a guard page
        int bits = b.pickInt(32, 64);
        Mem m = Operands.sized(b.mem(bits / 8), bits);
        Reg d = b.reg(bits);
        int prefix = b.pickInt(0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65);
        b.form(String.format("%02x mov r%d, m%d", prefix, bits, bits));
        b.step(String.format("db %02x; mov %s, %s", prefix, t(d), t(m)), a -> {
            a.db(prefix);
            a.mov(d, m);
        });
    }

    /** NOP forms: 90, 66 90, 0F 1F /0 with several ModRM shapes, and 41 90 / 49 90, which are XCHG with R8. */
    static void nops(CaseBuilder b) {
        int[][] forms = {
            {0x90}, {0x66, 0x90}, {0x0f, 0x1f, 0x00}, {0x0f, 0x1f, 0x40, 0x00}, {0x0f, 0x1f, 0x44, 0x00, 0x00},
            {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, {0x0f, 0x1f, 0x80, 0, 0, 0, 0}, {0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0},
            {0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, {0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0},
            {0x41, 0x90}, {0x49, 0x90}, {0x48, 0x90}, {0xf3, 0x90}};
        int[] bytes = forms[b.random().nextInt(forms.length)];
        b.randomize(Reg.RAX);
        b.randomize(Reg.R8);
        StringBuilder text = new StringBuilder("db");
        for (int x : bytes) {
            text.append(String.format(" %02x", x));
        }
        b.form(text.toString());
        b.step(text + "   (nop / xchg)", a -> a.db(bytes));
    }
}
