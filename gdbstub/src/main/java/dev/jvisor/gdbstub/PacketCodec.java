package dev.jvisor.gdbstub;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The framing of the GDB remote serial protocol (GDB manual, "Overview" of the remote protocol):
 * {@code $data#cc} where {@code cc} is the modulo-256 sum of the data bytes in two hex digits, and
 * binary data escaped as {@code 0x7d} followed by the byte XOR 0x20 ({@code $ # } *} must be).
 */
final class PacketCodec {
    static final byte START = '$', END = '#', ESCAPE = 0x7d, INTERRUPT = 0x03, ACK = '+', NACK = '-';

    private PacketCodec() {
    }

    /** The frame for {@code payload} (already escaped where it holds binary data). */
    static byte[] frame(String payload) {
        byte[] data = payload.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[data.length + 4];
        out[0] = START;
        System.arraycopy(data, 0, out, 1, data.length);
        int sum = checksum(data, 0, data.length);
        out[data.length + 1] = END;
        out[data.length + 2] = (byte) Character.forDigit(sum >> 4, 16);
        out[data.length + 3] = (byte) Character.forDigit(sum & 0xf, 16);
        return out;
    }

    static int checksum(byte[] data, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum += data[i] & 0xff;
        }
        return sum & 0xff;
    }

    /** Escapes binary data for a response ({@code qXfer} chunks). */
    static String escape(byte[] data, int offset, int length) {
        StringBuilder sb = new StringBuilder(length + 8);
        for (int i = offset; i < offset + length; i++) {
            int b = data[i] & 0xff;
            if (b == '$' || b == '#' || b == '}' || b == '*') {
                sb.append((char) ESCAPE).append((char) (b ^ 0x20));
            } else {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    /** Undoes the escaping of binary data received from the debugger ({@code X} packets). */
    static byte[] unescape(byte[] data, int offset, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        for (int i = offset; i < offset + length; i++) {
            if (data[i] == ESCAPE) {
                if (++i == offset + length) {
                    throw new ProtocolException("escape character at the end of binary data");
                }
                out.write((data[i] & 0xff) ^ 0x20);
            } else {
                out.write(data[i]);
            }
        }
        return out.toByteArray();
    }
}
