package dev.jvisor.emu.disasm;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses System.map / {@code nm} output: one symbol per line, {@code <hex address> <type> <name>}
 * (optionally followed by a module name in brackets, as /proc/kallsyms prints). Undefined ('U', 'w'
 * without address) and absolute ('A', 'a') entries are skipped: they name no code or data.
 */
public final class SystemMap {
    private SystemMap() {
    }

    /** The symbols of a System.map; a line that is not of that form is an error naming the line. */
    public static List<Symbol> parse(String text) {
        List<Symbol> out = new ArrayList<>();
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            String t = line.strip();
            if (t.isEmpty()) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length == 2 && f[0].length() == 1) {
                continue; // "U name": undefined, no address
            }
            if (f.length < 3 || f[1].length() != 1 || !isHex(f[0])) {
                throw new IllegalArgumentException("System.map line " + lineNumber
                        + " is not \"<address> <type> <name>\": " + abbreviate(t));
            }
            char type = f[1].charAt(0);
            if (type == 'U' || type == 'A' || type == 'a') {
                continue;
            }
            out.add(new Symbol(Long.parseUnsignedLong(f[0], 16), 0, type, f[2]));
        }
        return out;
    }

    private static boolean isHex(String s) {
        if (s.isEmpty() || s.length() > 16) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
