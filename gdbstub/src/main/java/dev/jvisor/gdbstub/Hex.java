package dev.jvisor.gdbstub;

/**
 * Hexadecimal as the GDB remote protocol writes it: numbers big-endian in the usual way (addresses,
 * lengths, thread ids), register and memory contents as bytes in target (little-endian) order.
 */
final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    /** Parses a hex number (unsigned, at most 64 bits). @throws ProtocolException if malformed */
    static long parse(String s) {
        if (s.isEmpty() || s.length() > 16) {
            throw new ProtocolException("bad hex number '" + s + "'");
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            v = v << 4 | digit(s.charAt(i));
        }
        return v;
    }

    static int digit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        throw new ProtocolException("bad hex digit '" + c + "'");
    }

    /** Decodes pairs of hex digits into bytes. */
    static byte[] decode(String s) {
        if (s.length() % 2 != 0) {
            throw new ProtocolException("odd number of hex digits");
        }
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (digit(s.charAt(2 * i)) << 4 | digit(s.charAt(2 * i + 1)));
        }
        return out;
    }

    static void appendBytes(StringBuilder sb, byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            sb.append(DIGITS[(bytes[i] >> 4) & 0xf]).append(DIGITS[bytes[i] & 0xf]);
        }
    }

    static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        appendBytes(sb, bytes, 0, bytes.length);
        return sb.toString();
    }

    /** Appends the low {@code size} bytes of {@code value} in little-endian order. */
    static void appendLittleEndian(StringBuilder sb, long value, int size) {
        for (int i = 0; i < size; i++) {
            int b = (int) (value >>> (8 * i)) & 0xff;
            sb.append(DIGITS[b >> 4]).append(DIGITS[b & 0xf]);
        }
    }

    /** Reads {@code size} little-endian bytes from {@code bytes} at {@code offset}. */
    static long littleEndian(byte[] bytes, int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (bytes[offset + i] & 0xff);
        }
        return v;
    }

    /** Text as hex digits (qThreadExtraInfo, qRcmd output). */
    static String ascii(String text) {
        return encode(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
