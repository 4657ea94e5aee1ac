package dev.jvisor.vmm.trace;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code --trace} records on the emulator back end, parsed from
 * {@code --trace MODE[,MODE]...}: {@code insn} (every instruction, disassembled), {@code insn=FILTER}
 * (only instructions in an address range {@code START-END}, hex, end exclusive, or in the function
 * named FILTER, which needs {@code --symbols}), {@code exc} (exceptions), {@code int} (external
 * interrupts and NMIs), {@code io} (port accesses), {@code mmio} (device memory accesses), or
 * {@code all}.
 *
 * @param kinds       what to record
 * @param range       the instruction filter's range, if given as addresses
 * @param symbol      the instruction filter's function, if given by name
 * @param symbols     a System.map, ELF or kernel image to name addresses with ({@code --symbols})
 * @param output      the file to write ({@code --trace-file}); standard error when empty
 */
public record TraceConfig(Set<Kind> kinds, Optional<Range> range, Optional<String> symbol, Optional<Path> symbols,
                          Optional<Path> output) {
    /** The things a trace can record. */
    public enum Kind { INSTRUCTIONS, EXCEPTIONS, INTERRUPTS, PORTS, MMIO }

    /** Linear addresses {@code [start, end)}. */
    public record Range(long start, long end) {
        public Range {
            if (Long.compareUnsigned(start, end) >= 0) {
                throw new IllegalArgumentException(String.format("--trace: empty range 0x%x-0x%x", start, end));
            }
        }

        public boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }
    }

    public TraceConfig {
        kinds = kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(kinds);
    }

    /**
     * Parses the {@code --trace} value.
     *
     * @throws IllegalArgumentException naming the bad mode
     */
    public static TraceConfig parse(String text, Optional<Path> symbols, Optional<Path> output) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--trace needs modes: insn[=START-END|=SYMBOL], exc, int, io, mmio or all");
        }
        EnumSet<Kind> kinds = EnumSet.noneOf(Kind.class);
        Range range = null;
        String symbol = null;
        for (String item : text.split(",")) {
            String mode = item.strip();
            String filter = null;
            int eq = mode.indexOf('=');
            if (eq >= 0) {
                filter = mode.substring(eq + 1);
                mode = mode.substring(0, eq);
            }
            switch (mode.toLowerCase(Locale.ROOT)) {
                case "insn" -> kinds.add(Kind.INSTRUCTIONS);
                case "exc" -> kinds.add(Kind.EXCEPTIONS);
                case "int" -> kinds.add(Kind.INTERRUPTS);
                case "io" -> kinds.add(Kind.PORTS);
                case "mmio" -> kinds.add(Kind.MMIO);
                case "all" -> kinds.addAll(EnumSet.allOf(Kind.class));
                default -> throw new IllegalArgumentException("--trace: unknown mode '" + mode
                        + "' (known: insn, exc, int, io, mmio, all)");
            }
            if (filter != null) {
                if (!mode.equalsIgnoreCase("insn") || filter.isEmpty()) {
                    throw new IllegalArgumentException("--trace: only insn takes a filter (insn=START-END or insn=SYMBOL), not '"
                            + item + "'");
                }
                int dash = filter.indexOf('-');
                if (dash > 0 && isHex(filter.substring(0, dash)) && isHex(filter.substring(dash + 1))) {
                    range = new Range(hex(filter.substring(0, dash)), hex(filter.substring(dash + 1)));
                } else {
                    symbol = filter;
                }
            }
        }
        if (symbol != null && symbols.isEmpty()) {
            throw new IllegalArgumentException("--trace insn=" + symbol + " names a symbol: give --symbols FILE too");
        }
        return new TraceConfig(kinds, Optional.ofNullable(range), Optional.ofNullable(symbol), symbols, output);
    }

    private static boolean isHex(String s) {
        String t = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        return !t.isEmpty() && t.length() <= 16 && t.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    private static long hex(String s) {
        String t = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        return Long.parseUnsignedLong(t, 16);
    }

    public boolean has(Kind kind) {
        return kinds.contains(kind);
    }
}
