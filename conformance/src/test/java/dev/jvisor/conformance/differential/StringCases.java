package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.Flags.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Reg;

/**
 * String instructions MOVS, STOS, LODS, CMPS and SCAS in every element size, with no prefix, REP,
 * REPE and REPNE, with DF clear and set, counts including zero, and 32-bit addressing (0x67: ESI,
 * EDI and ECX, with garbage in the upper halves). For CMPS/SCAS the compared areas share a random
 * prefix so that REPE/REPNE stop in the middle (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ").
 */
final class StringCases {
    private static final String[] NAMES = {"movs", "stos", "lods", "cmps", "scas"};

    private StringCases() {
    }

    static void string(CaseBuilder b) {
        int op = b.random().nextInt(5);
        int bits = ArithmeticCases.size(b);
        int size = bits / 8;
        boolean compare = op >= 3;
        int rep = b.random().nextInt(compare ? 3 : 2);     // 0 none, 1 rep/repe, 2 repne
        boolean down = b.oneIn(2);
        boolean addr32 = b.oneIn(5);
        b.flag(DF, down);
        int count = rep == 0 ? 1 : b.oneIn(6) ? 0 : 1 + b.random().nextInt(12);
        int span = Math.max(count, 1) * size;
        // Sources and destinations in separate halves of the slot, far enough from the edges.
        long src = b.slotBase() + (down ? 0x500 + b.random().nextInt(0x200) : 0x200 + b.random().nextInt(0x200));
        long dst = b.slotBase() + (down ? 0xd00 + b.random().nextInt(0x100) : 0x900 + b.random().nextInt(0x200));
        if (b.oneIn(4)) {
            src += b.random().nextInt(size);        // misaligned elements
        }
        long garbage = addr32 ? b.random().nextLong() << 32 : 0;
        b.pin(Reg.RSI, src | garbage);
        b.pin(Reg.RDI, dst | garbage);
        if (rep != 0) {
            b.pin(Reg.RCX, count | (addr32 ? b.random().nextLong() << 32 : 0));
        }
        b.randomize(Reg.RAX);
        if (compare) {
            // Make the operands agree for a while so that REPE runs on and REPNE stops early.
            int same = b.random().nextInt(span + 1);
            for (int i = 0; i < same; i++) {
                long from = down ? src + size - 1 - i : src + i;
                long to = down ? dst + size - 1 - i : dst + i;
                b.write(to, 1, b.read(from, 1));
            }
            if (op == 4 && b.oneIn(2)) {
                b.set(Reg.gpr(0, bits), b.read(dst, size));
            }
        }
        String prefix = rep == 0 ? "" : rep == 2 ? "repne " : compare ? "repe " : "rep ";
        String suffix = switch (bits) {
            case 8 -> "b";
            case 16 -> "w";
            case 32 -> "d";
            default -> "q";
        };
        String name = prefix + NAMES[op] + suffix;
        b.form((addr32 ? "addr32 " : "") + name + (down ? " (DF=1)" : ""));
        b.step((addr32 ? "addr32 " : "") + name + "   ; count=" + count, DF,
                compare && count > 0 ? STATUS : 0, 0, a -> emit(a, op, bits, rep, addr32));
    }

    private static void emit(Asm a, int op, int bits, int rep, boolean addr32) {
        if (addr32) {
            a.db(0x67);
        }
        if (rep == 1) {
            a.rep();
        } else if (rep == 2) {
            a.repne();
        }
        switch (op) {
            case 0 -> a.movs(bits);
            case 1 -> a.stos(bits);
            case 2 -> a.lods(bits);
            case 3 -> a.cmps(bits);
            default -> a.scas(bits);
        }
    }
}
