package dev.jvisor.emu.disasm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An immutable, sorted table of symbols that turns addresses into {@code name+0xoff}, loaded from a
 * System.map ({@code nm} output), an ELF symbol table ({@code .symtab}, else {@code .dynsym}), or the
 * kallsyms table of a Linux kernel image (bzImage or vmlinux; see {@link Kallsyms}). Thread-safe.
 */
public final class SymbolTable implements AddressNamer {
    /** How far past the last symbol an address may lie and still be named after it. */
    private static final long LAST_SYMBOL_REACH = 1 << 20;

    private final long[] addresses;
    private final Symbol[] symbols;
    private final Map<String, Symbol> byName;

    private SymbolTable(List<Symbol> list) {
        List<Symbol> sorted = new ArrayList<>(list);
        // Stable sort by address; among symbols at one address prefer globals, then the first listed.
        sorted.sort(Comparator.comparingLong(Symbol::address).thenComparing(s -> Character.isLowerCase(s.type())));
        List<Symbol> unique = new ArrayList<>();
        for (Symbol s : sorted) {
            if (unique.isEmpty() || unique.getLast().address() != s.address()) {
                unique.add(s);
            }
        }
        this.symbols = unique.toArray(Symbol[]::new);
        this.addresses = new long[symbols.length];
        for (int i = 0; i < symbols.length; i++) {
            addresses[i] = symbols[i].address();
        }
        this.byName = new HashMap<>();
        for (Symbol s : list) {
            // Local symbols may share a name (static functions); a global one wins the name.
            byName.merge(s.name(), s, (old, now) -> Character.isLowerCase(old.type())
                    && Character.isUpperCase(now.type()) ? now : old);
        }
    }

    /** A table of the given symbols. */
    public static SymbolTable of(Collection<Symbol> symbols) {
        return new SymbolTable(List.copyOf(symbols));
    }

    /**
     * Loads symbols from a file, recognising its format: an ELF file (its symbol table; a stripped
     * vmlinux falls back to its kallsyms), a bzImage (kallsyms), or else a System.map text file.
     */
    public static SymbolTable load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Like {@link #load(Path)}, for bytes already in memory. */
    public static SymbolTable fromBytes(byte[] bytes) {
        if (ElfSymbols.isElf(bytes)) {
            List<Symbol> symbols = ElfSymbols.read(bytes);
            if (symbols.isEmpty()) {
                symbols = Kallsyms.find(bytes); // a stripped vmlinux still carries kallsyms
            }
            return of(symbols);
        }
        if (KernelImage.isBzImage(bytes)) {
            return of(Kallsyms.find(KernelImage.vmlinux(bytes)));
        }
        return of(SystemMap.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
    }

    public int size() {
        return byName.size();
    }

    /** All symbols in address order (one per address). */
    public List<Symbol> symbols() {
        return List.of(symbols);
    }

    /** The symbol of that name (the global one if locals share it), if any. */
    public Optional<Symbol> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The address of the named symbol, if any. */
    public OptionalLong addressOf(String name) {
        Symbol s = byName.get(name);
        return s == null ? OptionalLong.empty() : OptionalLong.of(s.address());
    }

    /**
     * The symbol covering {@code address}: the last one at or below it, if the address lies before the
     * next symbol (and within the symbol's size, when known).
     */
    public Optional<Symbol> lookup(long address) {
        int i = Arrays.binarySearch(addresses, address);
        if (i < 0) {
            i = -i - 2;
        }
        if (i < 0) {
            return Optional.empty();
        }
        Symbol s = symbols[i];
        long offset = address - s.address();
        if (s.size() > 0 && Long.compareUnsigned(offset, s.size()) >= 0) {
            return Optional.empty();
        }
        if (i == symbols.length - 1 && s.size() == 0 && Long.compareUnsigned(offset, LAST_SYMBOL_REACH) >= 0) {
            return Optional.empty();
        }
        return Optional.of(s);
    }

    @Override
    public String nameOf(long address) {
        return lookup(address).map(s -> address == s.address() ? s.name()
                : s.name() + "+0x" + Long.toHexString(address - s.address())).orElse(null);
    }
}
