package dev.jvisor.machine.acpi.aml;

import java.nio.charset.StandardCharsets;

/**
 * The primitive encodings of the ACPI Machine Language (ACPI 6.4 §20.2): name strings, package
 * lengths and integer constants.
 */
public final class AmlEncoding {
    /** Name-string prefixes (ACPI 6.4 §20.2.2). */
    static final int ROOT_CHAR = 0x5C, PARENT_PREFIX = 0x5E, DUAL_NAME_PREFIX = 0x2E, MULTI_NAME_PREFIX = 0x2F,
            NULL_NAME = 0x00;
    /** Integer opcodes (ACPI 6.4 §20.2.3). */
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xFF, BYTE_PREFIX = 0x0A, WORD_PREFIX = 0x0B,
            DWORD_PREFIX = 0x0C, QWORD_PREFIX = 0x0E;
    /** Largest value a PkgLength can hold: 28 bits. */
    static final int MAX_PKG_LENGTH = (1 << 28) - 1;

    private AmlEncoding() {
    }

    /**
     * Encodes a name path such as {@code \_SB.PCI0}, {@code ^CPU0} or {@code _S5}: an optional
     * root or parent prefix, then 4-character segments (shorter ones padded with '_'), with the
     * dual- or multi-name prefix when there is more than one segment.
     *
     * @throws IllegalArgumentException for a segment longer than 4 characters, one with characters
     *                                  other than A-Z, 0-9 and '_', or one starting with a digit
     */
    public static byte[] nameString(String path) {
        AmlWriter out = new AmlWriter();
        int at = 0;
        if (path.startsWith("\\")) {
            out.u8(ROOT_CHAR);
            at = 1;
        } else {
            while (at < path.length() && path.charAt(at) == '^') {
                out.u8(PARENT_PREFIX);
                at++;
            }
        }
        String rest = path.substring(at);
        if (rest.isEmpty()) {
            return out.u8(NULL_NAME).toByteArray();
        }
        String[] segments = rest.split("\\.", -1);
        if (segments.length > 255) {
            throw new IllegalArgumentException("AML name path has more than 255 segments: " + path);
        }
        if (segments.length == 2) {
            out.u8(DUAL_NAME_PREFIX);
        } else if (segments.length > 2) {
            out.u8(MULTI_NAME_PREFIX).u8(segments.length);
        }
        for (String segment : segments) {
            out.bytes(nameSegment(segment, path));
        }
        return out.toByteArray();
    }

    private static byte[] nameSegment(String segment, String path) {
        if (segment.isEmpty() || segment.length() > 4) {
            throw new IllegalArgumentException("AML name segment '" + segment + "' in '" + path + "' is not 1-4 characters");
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            boolean lead = c == '_' || (c >= 'A' && c <= 'Z');
            boolean ok = lead || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                throw new IllegalArgumentException("AML name segment '" + segment + "' in '" + path
                        + "' may use only A-Z, '_' and (after the first character) 0-9");
            }
        }
        String padded = (segment + "___").substring(0, 4);
        return padded.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes a PkgLength for a body of {@code bodyLength} bytes (ACPI 6.4 §20.2.4). The encoded
     * length counts the PkgLength bytes themselves: 1 byte up to 63, otherwise the low nibble in
     * the lead byte (bits 7-6 = number of following bytes) and 8 more bits per following byte.
     */
    public static void pkgLength(AmlWriter out, int bodyLength) {
        for (int extra = 0; extra <= 3; extra++) {
            long total = (long) bodyLength + 1 + extra;
            if (extra == 0 && total <= 0x3F) {
                out.u8((int) total);
                return;
            }
            if (extra > 0 && total < (1L << (4 + 8 * extra))) {
                out.u8((extra << 6) | (int) (total & 0xF));
                for (int i = 0; i < extra; i++) {
                    out.u8((int) (total >>> (4 + 8 * i)));
                }
                return;
            }
        }
        throw new IllegalArgumentException("AML package of " + bodyLength + " bytes exceeds the PkgLength range");
    }

    /** Writes the shortest integer constant for {@code value} (ZeroOp, OneOp, OnesOp or a prefix). */
    public static void integer(AmlWriter out, long value) {
        if (value == 0) {
            out.u8(ZERO_OP);
        } else if (value == 1) {
            out.u8(ONE_OP);
        } else if (value == -1L) {
            out.u8(ONES_OP);
        } else if ((value & ~0xFFL) == 0) {
            out.u8(BYTE_PREFIX).u8((int) value);
        } else if ((value & ~0xFFFFL) == 0) {
            out.u8(WORD_PREFIX).u16((int) value);
        } else if ((value & ~0xFFFF_FFFFL) == 0) {
            out.u8(DWORD_PREFIX).u32(value);
        } else {
            out.u8(QWORD_PREFIX).u64(value);
        }
    }

    /**
     * A compressed EISA ID such as {@code PNP0A03} as the 32-bit integer {@code EISAID()} yields:
     * three letters of 5 bits each (A = 1) and four hex digits, stored big-endian.
     */
    public static long eisaId(String id) {
        if (id.length() != 7) {
            throw new IllegalArgumentException("EISA ID '" + id + "' is not 3 letters and 4 hex digits");
        }
        int value = 0;
        for (int i = 0; i < 3; i++) {
            char c = id.charAt(i);
            if (c < 'A' || c > 'Z') {
                throw new IllegalArgumentException("EISA ID '" + id + "' must start with 3 capital letters");
            }
            value = (value << 5) | (c - 0x40);
        }
        for (int i = 3; i < 7; i++) {
            int digit = Character.digit(id.charAt(i), 16);
            if (digit < 0 || Character.isLowerCase(id.charAt(i))) {
                throw new IllegalArgumentException("EISA ID '" + id + "' must end with 4 upper-case hex digits");
            }
            value = (value << 4) | digit;
        }
        // value holds 31 bits: 15 of vendor letters, 16 of product. Byte-swap to the stored order.
        return Integer.reverseBytes(value) & 0xFFFF_FFFFL;
    }
}
