package dev.jvisor.emu.disasm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Recovers the kernel's own symbol table (kallsyms, built by scripts/kallsyms.c into every kernel
 * with CONFIG_KALLSYMS) from an uncompressed x86-64 vmlinux, stripped or not. Debian ships no
 * System.map, so this is how traces of its kernel get names.
 *
 * <p>The tables carry no symbols of their own in a stripped image, so they are found by their
 * structure and each step is verified:
 * <ol>
 * <li>{@code kallsyms_token_index}: 256 little-endian u16 offsets, the first 0, rising by the
 * length + 1 of each token of {@code kallsyms_token_table}, which ends just before it;
 * <li>{@code kallsyms_markers}: one offset (u32, or u64 in older kernels) per 256 symbols into
 * {@code kallsyms_names}, starting at 0, somewhere before the token table (6.2 and the Debian 6.1
 * kernels put {@code kallsyms_seqs_of_names} in between);
 * <li>{@code kallsyms_num_syms} and {@code kallsyms_names}: the count precedes the names, and decoding
 * the names (a length, one byte or two for lengths of 128 and more, then token numbers) must hit every
 * marker exactly and end just before the markers;
 * <li>{@code kallsyms_relative_base} and {@code kallsyms_offsets} (CONFIG_KALLSYMS_BASE_RELATIVE, the
 * x86 default since 4.6) before the count; with CONFIG_KALLSYMS_ABSOLUTE_PERCPU negative offsets are
 * relative to the base and non-negative ones absolute (per-CPU symbols), as kernel/kallsyms.c reads
 * them.
 * </ol>
 * Verified on Debian's 6.1 kernels; the 4.6..6.x layouts with base-relative offsets follow the same
 * order. Failure to find a consistent set of tables is an error, never a guess.
 */
public final class Kallsyms {
    private static final int TOKENS = 256;
    private static final int MARKER_SEARCH = 32 << 20;

    private Kallsyms() {
    }

    /** The symbols of a vmlinux image, in the kernel's (address) order. */
    public static List<Symbol> find(byte[] image) {
        int index = findTokenIndex(image);
        if (index < 0) {
            throw new IllegalArgumentException("no kallsyms token index found: not a kernel with CONFIG_KALLSYMS?");
        }
        int[] tokenOffsets = new int[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            tokenOffsets[i] = u16(image, index + 2 * i);
        }
        int table = findTokenTable(image, index, tokenOffsets);
        String[] tokens = new String[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            int s = table + tokenOffsets[i];
            int e = s;
            while (image[e] != 0) {
                e++;
            }
            tokens[i] = new String(image, s, e - s, StandardCharsets.ISO_8859_1);
        }
        Markers markers = findMarkers(image, table);
        Names names = findNames(image, markers);
        long[] addresses = readAddresses(image, names);
        List<Symbol> out = new ArrayList<>(names.count);
        int p = names.start;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.count; i++) {
            int length = image[p++] & 0xff;
            if ((length & 0x80) != 0) {
                length = (length & 0x7f) | (image[p++] & 0xff) << 7;
            }
            sb.setLength(0);
            for (int k = 0; k < length; k++) {
                sb.append(tokens[image[p++] & 0xff]);
            }
            if (sb.length() >= 2) {
                out.add(new Symbol(addresses[i], 0, sb.charAt(0), sb.substring(1)));
            }
        }
        return out;
    }

    /** Finds the 256-entry u16 token index: starts at 0, every step 2..255 (a token of 1..254 bytes). */
    private static int findTokenIndex(byte[] b) {
        for (int p = 0; p + 2 * TOKENS <= b.length; p += 4) {
            if (b[p] != 0 || b[p + 1] != 0) {
                continue;
            }
            int prev = 0;
            int i = 1;
            for (; i < TOKENS; i++) {
                int v = u16(b, p + 2 * i);
                int step = v - prev;
                if (step < 2 || step > 255) {
                    break;
                }
                prev = v;
            }
            if (i == TOKENS && tokenTableBefore(b, p) >= 0) {
                return p;
            }
        }
        return -1;
    }

    private static int tokenTableBefore(byte[] b, int index) {
        int[] offsets = new int[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            offsets[i] = u16(b, index + 2 * i);
        }
        try {
            return findTokenTable(b, index, offsets);
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** The token table ends (with at most 7 bytes of alignment) where the index begins. */
    private static int findTokenTable(byte[] b, int index, int[] offsets) {
        for (int pad = 0; pad < 8; pad++) {
            int end = index - pad; // one past the last token's NUL
            for (int lastLength = 1; lastLength < 256; lastLength++) {
                int table = end - lastLength - 1 - offsets[TOKENS - 1];
                if (table < 0) {
                    break;
                }
                if (b[end - 1] == 0 && tokensConsistent(b, table, offsets, end)) {
                    return table;
                }
            }
        }
        throw new IllegalArgumentException("kallsyms token table not found before its index");
    }

    private static boolean tokensConsistent(byte[] b, int table, int[] offsets, int end) {
        for (int i = 0; i < TOKENS; i++) {
            int s = table + offsets[i];
            int e = i + 1 < TOKENS ? table + offsets[i + 1] - 1 : end - 1;
            if (e <= s || b[e] != 0) {
                return false;
            }
            for (int k = s; k < e; k++) {
                if (b[k] == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** kallsyms_markers: the longest run of offsets 0, then steps of 2..64 bytes per symbol times 256. */
    private record Markers(int start, int elementSize, long[] values) {
    }

    private static Markers findMarkers(byte[] b, int tokenTable) {
        Markers best = null;
        int lowest = Math.max(0, tokenTable - MARKER_SEARCH);
        for (int size = 4; size <= 8; size += 4) {
            for (int q = tokenTable - size; q >= lowest; q -= 4) {
                if (read(b, q, size) != 0) {
                    continue;
                }
                List<Long> values = new ArrayList<>();
                values.add(0L);
                long prev = 0;
                for (int r = q + size; r + size <= tokenTable; r += size) {
                    long v = read(b, r, size);
                    long step = v - prev;
                    if (step < TOKENS * 2L || step > TOKENS * 64L) {
                        break;
                    }
                    values.add(v);
                    prev = v;
                }
                if (values.size() >= 2 && (best == null || values.size() > best.values.length)) {
                    best = new Markers(q, size, values.stream().mapToLong(Long::longValue).toArray());
                }
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("kallsyms markers not found before the token table");
        }
        return best;
    }

    /** kallsyms_names and kallsyms_num_syms. */
    private record Names(int start, int count) {
    }

    private static Names findNames(byte[] b, Markers markers) {
        long[] m = markers.values;
        int k = m.length;
        long lastMarker = m[k - 1];
        int newest = (int) (markers.start - lastMarker);
        int oldest = (int) Math.max(8, newest - TOKENS * 2L * 129);
        for (int start = newest; start >= oldest; start--) {
            for (int countSize = 4; countSize <= 8; countSize += 4) {
                if (start - countSize < 0) {
                    continue;
                }
                for (int pad = 0; pad <= 4 && start - countSize - pad >= 0; pad += 4) {
                    long count = read(b, start - countSize - pad, countSize);
                    if (count > (long) TOKENS * (k - 1) && count <= (long) TOKENS * k
                            && namesMatch(b, start, (int) count, markers)) {
                        return new Names(start, (int) count);
                    }
                }
            }
        }
        throw new IllegalArgumentException("kallsyms names not found: no symbol count matches the markers");
    }

    private static boolean namesMatch(byte[] b, int start, int count, Markers markers) {
        int p = start;
        for (int i = 0; i < count; i++) {
            if ((i & (TOKENS - 1)) == 0 && p - start != markers.values[i / TOKENS]) {
                return false;
            }
            if (p >= markers.start) {
                return false;
            }
            int length = b[p++] & 0xff;
            if ((length & 0x80) != 0) {
                length = (length & 0x7f) | (b[p++] & 0xff) << 7;
            }
            if (length == 0) {
                return false;
            }
            p += length;
        }
        return p <= markers.start && markers.start - p < 8;
    }

    /**
     * kallsyms_offsets and kallsyms_relative_base precede kallsyms_num_syms (each table 8-byte
     * aligned). The base is a kernel address; the text symbols must come out in ascending order.
     */
    private static long[] readAddresses(byte[] b, Names names) {
        for (int baseAt = names.start - 8; baseAt >= names.start - 24 && baseAt >= 0; baseAt -= 4) {
            long base = read(b, baseAt, 8);
            if (base >>> 47 != 0x1ffffL) {
                continue; // not a canonical upper-half (kernel) address
            }
            for (int pad = 0; pad <= 4; pad += 4) {
                int offsets = baseAt - pad - 4 * names.count;
                if (offsets < 0 || offsets % 8 != names.start % 8) {
                    continue; // every kallsyms table starts 8-byte aligned (".balign 8")
                }
                long[] addresses = decodeOffsets(b, offsets, names.count, base);
                if (plausible(addresses, base)) {
                    return addresses;
                }
            }
        }
        throw new IllegalArgumentException("kallsyms offsets and relative base not found before the symbol count");
    }

    private static long[] decodeOffsets(byte[] b, int at, int count, long base) {
        boolean absolutePercpu = false;
        for (int i = 0; i < count; i++) {
            if (Lz4.readInt(b, at + 4 * i) < 0) {
                absolutePercpu = true;
                break;
            }
        }
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            int offset = Lz4.readInt(b, at + 4 * i);
            if (!absolutePercpu) {
                out[i] = base + (offset & 0xffff_ffffL);
            } else {
                out[i] = offset >= 0 ? offset : base - 1 - offset;
            }
        }
        return out;
    }

    /** Most addresses at or above the base and, above it, in ascending order (kallsyms sorts by address). */
    private static boolean plausible(long[] addresses, long base) {
        int kernel = 0;
        int descending = 0;
        long prev = Long.MIN_VALUE;
        for (long a : addresses) {
            if (Long.compareUnsigned(a, base) >= 0) {
                kernel++;
                if (prev != Long.MIN_VALUE && Long.compareUnsigned(a, prev) < 0) {
                    descending++;
                }
                prev = a;
            }
        }
        return kernel > addresses.length / 2 && descending == 0;
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    private static long read(byte[] b, int p, int size) {
        long v = Lz4.readInt(b, p) & 0xffff_ffffL;
        return size == 8 ? v | (Lz4.readInt(b, p + 4) & 0xffff_ffffL) << 32 : v;
    }
}
