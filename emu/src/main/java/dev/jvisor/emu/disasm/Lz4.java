package dev.jvisor.emu.disasm;

import java.io.ByteArrayOutputStream;

/**
 * An LZ4 decompressor for the "legacy" frame format the Linux kernel uses for LZ4-compressed
 * images ({@code CONFIG_KERNEL_LZ4}): magic 0x184C2102, then blocks each preceded by its 32-bit
 * little-endian compressed size and expanding to at most 8 MiB. The block format follows the LZ4 block
 * specification (lz4/doc/lz4_Block_format.md): sequences of a token (literal length, match length),
 * literals, and a 16-bit little-endian match offset.
 */
public final class Lz4 {
    /** Magic of the legacy frame format, little-endian. */
    public static final int LEGACY_MAGIC = 0x184C2102;
    private static final int LEGACY_BLOCK_SIZE = 8 << 20;
    private static final int MIN_MATCH = 4;

    private Lz4() {
    }

    /** Whether {@code data} starts with the legacy frame magic at {@code offset}. */
    public static boolean isLegacyFrame(byte[] data, int offset) {
        return offset + 4 <= data.length && readInt(data, offset) == LEGACY_MAGIC;
    }

    /**
     * Decompresses a legacy frame starting at {@code offset} and ending at {@code end}. A trailing
     * 4-byte field (the kernel appends the uncompressed size) and further frames are handled; bad input
     * raises {@link IllegalArgumentException}.
     */
    public static byte[] decompressLegacy(byte[] data, int offset, int end) {
        if (!isLegacyFrame(data, offset)) {
            throw new IllegalArgumentException("not an LZ4 legacy frame (bad magic)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, (end - offset) * 3));
        byte[] block = new byte[LEGACY_BLOCK_SIZE];
        int p = offset + 4;
        while (end - p >= 4) {
            int size = readInt(data, p);
            if (size == LEGACY_MAGIC) {
                p += 4; // a concatenated frame: carry on
                continue;
            }
            if (end - p == 4 || size <= 0 || size > end - p - 4) {
                break; // the kernel's trailing uncompressed-size field, or garbage after the stream
            }
            p += 4;
            int produced = decompressBlock(data, p, size, block);
            out.write(block, 0, produced);
            p += size;
        }
        return out.toByteArray();
    }

    /**
     * Decompresses one LZ4 block of {@code length} bytes at {@code offset} into {@code out}; returns
     * the number of bytes produced.
     */
    public static int decompressBlock(byte[] in, int offset, int length, byte[] out) {
        int ip = offset;
        int end = offset + length;
        int op = 0;
        while (ip < end) {
            int token = in[ip++] & 0xff;
            int literals = token >>> 4;
            if (literals == 15) {
                int b;
                do {
                    ensure(ip < end, "literal length runs past the block");
                    b = in[ip++] & 0xff;
                    literals += b;
                } while (b == 255);
            }
            ensure(literals <= end - ip, "literals run past the block");
            ensure(literals <= out.length - op, "block expands beyond its maximum size");
            System.arraycopy(in, ip, out, op, literals);
            ip += literals;
            op += literals;
            if (ip == end) {
                break; // the last sequence has literals only
            }
            ensure(end - ip >= 2, "match offset runs past the block");
            int distance = (in[ip] & 0xff) | (in[ip + 1] & 0xff) << 8;
            ip += 2;
            ensure(distance > 0 && distance <= op, "match offset outside the decompressed data");
            int match = (token & 15);
            if (match == 15) {
                int b;
                do {
                    ensure(ip < end, "match length runs past the block");
                    b = in[ip++] & 0xff;
                    match += b;
                } while (b == 255);
            }
            match += MIN_MATCH;
            ensure(match <= out.length - op, "block expands beyond its maximum size");
            int from = op - distance;
            if (distance >= match) {
                System.arraycopy(out, from, out, op, match);
            } else {
                for (int i = 0; i < match; i++) {
                    out[op + i] = out[from + i]; // overlapping copy repeats the last bytes
                }
            }
            op += match;
        }
        return op;
    }

    private static void ensure(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("corrupt LZ4 data: " + what);
        }
    }

    static int readInt(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }
}
