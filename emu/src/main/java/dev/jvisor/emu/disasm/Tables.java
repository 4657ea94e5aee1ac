package dev.jvisor.emu.disasm;

import java.util.ArrayList;
import java.util.List;

/**
 * The small language the opcode tables are written in. An instruction form is written as in the SDM
 * opcode maps, Intel operand order: {@code "add Eb,Gb"}. The mnemonic may carry suffix markers that
 * reproduce how AT&T syntax (as GNU objdump prints it) sizes instructions:
 * <ul>
 * <li>{@code {S}}: b/w/l/q suffix when the ModRM operand is memory (nothing else tells the size);
 * <li>{@code {D}}: suffix when the operand size differs from the mode's default (PUSH, RET, IRET);
 * <li>{@code {A}}: always a suffix (MOVS, CMPS, INS, OUTS);
 * <li>{@code {Q}}: l/q suffix in 64-bit mode only (SYSRET, SYSEXIT);
 * <li>{@code {a}}: w/l/q suffix when the address size differs from the mode's default (LOOP);
 * <li>{@code {o:x,y,z}}: a word chosen by operand size 16/32/64; {@code {ad:x,y,z}} by address size;
 * {@code {w:x,y}} by REX.W/VEX.W.
 * </ul>
 * A leading {@code ~} marks a VEX-only form, printed as written (without the {@code v} that VEX forms
 * of SSE instructions get).
 */
final class Tables {
    private Tables() {
    }

    static Entry op(String text) {
        return op(text, 0);
    }

    static Entry op(String text, int flags) {
        int space = text.indexOf(' ');
        String mnemonic = space < 0 ? text : text.substring(0, space);
        List<Operand> operands = new ArrayList<>();
        if (space >= 0) {
            for (String o : text.substring(space + 1).split(",")) {
                operands.add(Operand.parse(o.trim()));
            }
        }
        return new Entry.Op(mnemonic, operands.toArray(Operand[]::new), flags);
    }

    static Entry bad() {
        return Entry.BAD;
    }

    /** An entry that is {@code null} in a table literal means "invalid". */
    private static Entry orBad(Entry e) {
        return e == null ? Entry.BAD : e;
    }

    /** Group by ModRM.reg: exactly eight entries (null for invalid). */
    static Entry reg(Entry... eight) {
        if (eight.length != 8) {
            throw new IllegalArgumentException("a ModRM.reg group has 8 entries, not " + eight.length);
        }
        Entry[] e = new Entry[8];
        for (int i = 0; i < 8; i++) {
            e[i] = orBad(eight[i]);
        }
        return new Entry.ByReg(e);
    }

    /** Group by ModRM.rm (register forms): exactly eight entries (null for invalid). */
    static Entry rm(Entry... eight) {
        if (eight.length != 8) {
            throw new IllegalArgumentException("a ModRM.rm group has 8 entries, not " + eight.length);
        }
        Entry[] e = new Entry[8];
        for (int i = 0; i < 8; i++) {
            e[i] = orBad(eight[i]);
        }
        return new Entry.ByRm(e);
    }

    static Entry mod(Entry memory, Entry register) {
        return new Entry.ByMod(orBad(memory), orBad(register));
    }

    /** By mandatory prefix: none, 66, F3, F2 (null for invalid). */
    static Entry pfx(Entry none, Entry p66, Entry pF3, Entry pF2) {
        return new Entry.ByPrefix(orBad(none), orBad(p66), orBad(pF3), orBad(pF2));
    }

    static Entry mode(Entry legacy, Entry long64) {
        return new Entry.ByMode(orBad(legacy), orBad(long64));
    }

    static Entry w(Entry w0, Entry w1) {
        return new Entry.ByW(orBad(w0), orBad(w1));
    }

    static Entry l(Entry l0, Entry l1) {
        return new Entry.ByL(orBad(l0), orBad(l1));
    }

    /** The same mnemonic for the eight condition codes, in encoding order (SDM Vol. 1 Appendix B). */
    static final String[] CONDITIONS = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge",
            "le", "g"};
}
