package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.kind;
import static dev.jvisor.conformance.differential.CaseBuilder.t;
import static dev.jvisor.conformance.differential.Flags.*;
import static dev.jvisor.conformance.differential.Operands.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;

/**
 * Bit instructions: BT/BTS/BTR/BTC with register and immediate offsets (memory forms with large
 * signed offsets that reach outside the addressed operand, SDM Vol. 1 §3.4.1 "bit string"),
 * BSF/BSR (the destination is undefined for a zero source and is then not compared) and BSWAP.
 */
final class BitCases {
    private static final String[] NAMES = {"bt", "bts", "btr", "btc"};
    /**
     * Flags BT* leave undefined. The current SDM says ZF is unaffected, older editions said
     * undefined, so ZF is not compared either.
     */
    static final long BT_UNDEFINED = OF | SF | AF | PF | ZF;

    private BitCases() {
    }

    static void emitBt(Asm a, int which, Operand base, Reg offset) {
        switch (which) {
            case 0 -> a.bt(base, offset);
            case 1 -> a.bts(base, offset);
            case 2 -> a.btr(base, offset);
            default -> a.btc(base, offset);
        }
    }

    static void emitBt(Asm a, int which, Operand base, int bit) {
        switch (which) {
            case 0 -> a.bt(base, bit);
            case 1 -> a.bts(base, bit);
            case 2 -> a.btr(base, bit);
            default -> a.btc(base, bit);
        }
    }

    /** BTx r/m, r and BTx r/m, imm8, with LOCK on some memory forms that write. */
    static void bitTest(CaseBuilder b) {
        int which = b.random().nextInt(4);
        int bits = b.pickInt(16, 32, 64);
        String name = NAMES[which];
        boolean memory = b.oneIn(2);
        // In sequences an offset register might change before use and reach outside the slot.
        boolean immediate = b.inSequence() || b.oneIn(3);
        Operand base;
        if (memory) {
            // Aim at the middle of the slot: register offsets may reach 0x600 bytes either way.
            long middle = b.slotBase() + 0x780 + b.random().nextInt(0x100);
            base = sized(b.memAt(middle), bits);
        } else {
            Reg r = b.reg(bits);
            b.randomize(r);
            base = r;
        }
        boolean lock = memory && which != 0 && b.oneIn(5);
        String prefix = lock ? "lock " : "";
        if (immediate) {
            int bit = b.oneIn(2) ? b.random().nextInt(bits) : b.random().nextInt(256);
            b.form(prefix + name + " " + kind(base, bits) + ", imm8");
            b.step(prefix + name + " " + t(base) + ", " + bit, 0, CF, BT_UNDEFINED, a -> {
                if (lock) {
                    a.lock();
                }
                emitBt(a, which, base, bit);
            });
            return;
        }
        Reg offset = b.freeReg(bits);
        long value = memory ? b.random().nextInt(2 * 0x600 * 8) - 0x600 * 8 : b.value(bits);
        b.pin(offset, b.value(64));
        b.set(offset, value);
        b.form(prefix + name + " " + kind(base, bits) + ", r" + bits);
        b.step(prefix + name + " " + t(base) + ", " + t(offset), 0, CF, BT_UNDEFINED, a -> {
            if (lock) {
                a.lock();
            }
            emitBt(a, which, base, offset);
        });
    }

    /** BSF/BSR r, r/m: ZF tells whether the source was zero; CF, OF, SF, AF and PF are undefined. */
    static void bitScan(CaseBuilder b) {
        int bits = b.pickInt(16, 32, 64);
        boolean forward = b.oneIn(2);
        String name = forward ? "bsf" : "bsr";
        Reg d = b.reg(bits);
        b.randomize(d);
        Operand s = regOrMem(b, bits, 3);
        if (b.oneIn(4)) {
            setValue(b, s, bits, 0);
        } else if (b.oneIn(3)) {
            setValue(b, s, bits, 1L << b.random().nextInt(bits));
        }
        if (valueOf(b, s, bits) == 0) {
            // SDM: "If the content of the source operand is 0, the content of the destination operand is undefined."
            b.undefinedGpr(d);
        }
        b.form(name + " r" + bits + ", " + kind(s, bits));
        b.step(name + " " + t(d) + ", " + t(s), 0, ZF, CF | OF | SF | AF | PF, a -> {
            if (forward) {
                a.bsf(d, s);
            } else {
                a.bsr(d, s);
            }
        });
    }

    /**
     * REP BSF (F3 0F BC), the encoding Linux's {@code __ffs} uses: TZCNT on CPUs with BMI1 (the
     * host), BSF on CPUs without it (the emulator's CPUID). For a non-zero source both give the
     * index of the lowest set bit; their flags differ by design and are not compared.
     */
    static void repBitScan(CaseBuilder b) {
        int bits = b.pickInt(16, 32, 64);
        Reg d = b.reg(bits);
        b.randomize(d);
        Operand s = regOrMem(b, bits, 3);
        if (valueOf(b, s, bits) == 0) {
            setValue(b, s, bits, 1L << b.random().nextInt(bits));
        }
        b.form("rep bsf r" + bits + ", " + kind(s, bits));
        b.step("rep bsf " + t(d) + ", " + t(s), 0, 0, STATUS, a -> {
            a.db(0xf3);
            a.bsf(d, s);
        });
    }

    /** BSWAP r32/r64 (a 32-bit BSWAP zero-extends into the full register). */
    static void byteSwap(CaseBuilder b) {
        int bits = b.pickInt(32, 64);
        Reg r = b.reg(bits);
        b.randomize(r);
        b.form("bswap r" + bits);
        b.step("bswap " + t(r), a -> a.bswap(r));
    }
}
