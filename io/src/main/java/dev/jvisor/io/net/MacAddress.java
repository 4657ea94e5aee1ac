package dev.jvisor.io.net;

import java.nio.ByteBuffer;
import java.util.random.RandomGenerator;

/**
 * A 48-bit IEEE 802 MAC address, kept in the low 48 bits of a long (first octet most significant).
 */
public record MacAddress(long bits) {
    /** ff:ff:ff:ff:ff:ff. */
    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);

    public MacAddress {
        if ((bits & ~0xffff_ffff_ffffL) != 0) {
            throw new IllegalArgumentException("MAC address has more than 48 bits: 0x" + Long.toHexString(bits));
        }
    }

    /**
     * Parses {@code 52:54:00:12:34:56} (colons or dashes, hex digits in either case).
     *
     * @throws IllegalArgumentException with the offending text otherwise
     */
    public static MacAddress parse(String text) {
        String[] parts = text.split("[:-]", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("bad MAC address '" + text + "' (expected six hex octets like 52:54:00:12:34:56)");
        }
        long bits = 0;
        for (String p : parts) {
            if (p.length() != 2 || Character.digit(p.charAt(0), 16) < 0 || Character.digit(p.charAt(1), 16) < 0) {
                throw new IllegalArgumentException("bad MAC address '" + text + "' (octet '" + p + "' is not two hex digits)");
            }
            bits = bits << 8 | Integer.parseInt(p, 16);
        }
        return new MacAddress(bits);
    }

    /**
     * A random locally administered unicast address (IEEE 802: bit 1 of the first octet set, bit 0
     * clear), so it can never clash with a vendor-assigned one.
     */
    public static MacAddress randomLocal(RandomGenerator random) {
        long bits = random.nextLong() & 0xffff_ffff_ffffL;
        bits = (bits & ~(0x01L << 40)) | (0x02L << 40);
        return new MacAddress(bits);
    }

    /** Reads six octets at {@code index} of {@code frame} (absolute, the buffer's position is kept). */
    public static long bitsAt(ByteBuffer frame, int index) {
        long bits = 0;
        for (int i = 0; i < 6; i++) { // byte by byte: independent of the buffer's byte order
            bits = bits << 8 | (frame.get(index + i) & 0xff);
        }
        return bits;
    }

    /** Writes the six octets at {@code index} of {@code frame} (absolute). */
    public void putAt(ByteBuffer frame, int index) {
        for (int i = 0; i < 6; i++) {
            frame.put(index + i, (byte) (bits >>> (40 - 8 * i)));
        }
    }

    /** The six octets, first octet first. */
    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (40 - 8 * i));
        }
        return b;
    }

    /** Group (multicast or broadcast) addresses have bit 0 of the first octet set (IEEE 802-2014 8.2). */
    public boolean isMulticast() {
        return isMulticast(bits);
    }

    /** {@link #isMulticast()} on raw bits, for hot paths that avoid creating records. */
    public static boolean isMulticast(long bits) {
        return (bits & (0x01L << 40)) != 0;
    }

    @Override
    public String toString() {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", bits >>> 40 & 0xff, bits >>> 32 & 0xff,
                bits >>> 24 & 0xff, bits >>> 16 & 0xff, bits >>> 8 & 0xff, bits & 0xff);
    }
}
