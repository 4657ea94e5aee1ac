package dev.jvisor.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Parses sizes such as {@code 256M}, {@code 1G}, {@code 512MiB} or a plain byte count. */
final class Sizes implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        String s = value.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> unit = 0;
            }
            if (unit != 0) {
                s = s.substring(0, s.length() - 1);
            } else {
                unit = 1;
            }
        }
        try {
            long n = Long.parseLong(s);
            if (n <= 0) {
                throw new CommandLine.TypeConversionException("a size must be positive: '" + value + "'");
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException(
                    "not a size: '" + value + "' (use e.g. 256M, 1G or a number of bytes)");
        }
    }
}
