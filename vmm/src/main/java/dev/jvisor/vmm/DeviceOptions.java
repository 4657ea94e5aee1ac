package dev.jvisor.vmm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A device description in the comma-separated form {@code --drive} and {@code --net} take:
 * {@code word[,key=value]...}, in the style of QEMU's option strings. A literal comma inside a value
 * (a file name, say) is written twice ({@code file=a,,b.img} names {@code a,b.img}). Keys are
 * case-insensitive; values are kept as written. A key may appear several times (several
 * {@code hostfwd=}); callers that allow only one use {@link #single}.
 *
 * @param what    what the text describes ("--drive"), for error messages
 * @param entries the items in order; a bare word has a null value
 */
public record DeviceOptions(String what, List<Entry> entries) {
    /** One {@code key=value} item, or a bare word ({@code value == null}). */
    public record Entry(String key, String value) {
    }

    public DeviceOptions {
        entries = List.copyOf(entries);
    }

    /**
     * Splits {@code text}.
     *
     * @throws IllegalArgumentException for an empty text or an empty item ({@code a,,} at the end is
     *                                  a trailing comma, {@code ,b} a missing key)
     */
    public static DeviceOptions parse(String what, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + " needs a value");
        }
        List<Entry> entries = new ArrayList<>();
        StringBuilder item = new StringBuilder();
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) == ',' && i + 1 < text.length() && text.charAt(i + 1) == ',') {
                item.append(',');
                i++;
            } else if (i == text.length() || text.charAt(i) == ',') {
                entries.add(entry(what, text, item.toString()));
                item.setLength(0);
            } else {
                item.append(text.charAt(i));
            }
        }
        return new DeviceOptions(what, entries);
    }

    private static Entry entry(String what, String text, String item) {
        if (item.isEmpty()) {
            throw new IllegalArgumentException(what + " '" + text + "' has an empty item (stray comma?)");
        }
        int eq = item.indexOf('=');
        if (eq == 0) {
            throw new IllegalArgumentException(what + " '" + text + "': '" + item + "' has no key before '='");
        }
        if (eq < 0) {
            return new Entry(item.toLowerCase(Locale.ROOT), null);
        }
        return new Entry(item.substring(0, eq).toLowerCase(Locale.ROOT), item.substring(eq + 1));
    }

    /** Every value given for {@code key}, in order. */
    public List<String> all(String key) {
        List<String> values = new ArrayList<>();
        for (Entry e : entries) {
            if (e.key.equals(key)) {
                values.add(e.value);
            }
        }
        return values;
    }

    /**
     * The value of {@code key}, or null if absent.
     *
     * @throws IllegalArgumentException if it is given more than once or without a value
     */
    public String single(String key) {
        List<String> values = all(key);
        if (values.size() > 1) {
            throw new IllegalArgumentException(what + ": '" + key + "' is given " + values.size() + " times");
        }
        if (values.isEmpty()) {
            return null;
        }
        if (values.getFirst() == null) {
            throw new IllegalArgumentException(what + ": '" + key + "' needs a value (" + key + "=...)");
        }
        return values.getFirst();
    }

    /**
     * An on/off switch: {@code key=on|off|yes|no|true|false}, or the bare word {@code key} for on.
     *
     * @return {@code absent} when the key is not given
     */
    public boolean flag(String key, boolean absent) {
        List<String> values = all(key);
        if (values.isEmpty()) {
            return absent;
        }
        if (values.size() > 1) {
            throw new IllegalArgumentException(what + ": '" + key + "' is given " + values.size() + " times");
        }
        String v = values.getFirst();
        if (v == null) {
            return true;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "yes", "true" -> true;
            case "off", "no", "false" -> false;
            default -> throw new IllegalArgumentException(what + ": " + key + "=" + v + " must be on or off");
        };
    }

    /**
     * Refuses keys outside {@code known}, naming the accepted ones.
     *
     * @throws IllegalArgumentException for the first unknown key
     */
    public void requireOnly(List<String> known) {
        for (Entry e : entries) {
            if (!known.contains(e.key)) {
                throw new IllegalArgumentException(what + ": unknown option '" + e.key + "' (known: "
                        + String.join(", ", known) + ")");
            }
        }
    }
}
