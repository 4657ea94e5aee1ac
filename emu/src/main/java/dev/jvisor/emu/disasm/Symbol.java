package dev.jvisor.emu.disasm;

/**
 * A named address.
 *
 * @param address where the symbol starts
 * @param size    its size in bytes, or 0 if unknown (System.map, kallsyms)
 * @param type    nm's type letter ('T' global text, 't' local text, 'D', 'B', 'R', 'W'...)
 * @param name    the symbol name
 */
public record Symbol(long address, long size, char type, String name) {
    public Symbol {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a symbol needs a name");
        }
    }

    /** Whether nm's type letter says code (T, t, W, w). */
    public boolean isText() {
        return type == 'T' || type == 't' || type == 'W' || type == 'w';
    }
}
