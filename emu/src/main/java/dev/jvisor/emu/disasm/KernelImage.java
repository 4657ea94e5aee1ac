package dev.jvisor.emu.disasm;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/**
 * Extracts the uncompressed kernel (vmlinux, an ELF file) from a bzImage: the setup header
 * (Documentation/x86/boot.rst: "HdrS" at 0x202, protocol 2.08+ for payload_offset/payload_length at
 * 0x248/0x24c) locates the compressed payload, which is decompressed if it is LZ4 (legacy frame) or
 * gzip. Other compressors (xz, zstd, lzma, lzo, bzip2) are reported as unsupported.
 */
public final class KernelImage {
    private KernelImage() {
    }

    /** Whether the bytes look like a bzImage (boot sector signature and "HdrS"). */
    public static boolean isBzImage(byte[] image) {
        return image.length > 0x250 && (image[0x1fe] & 0xff) == 0x55 && (image[0x1ff] & 0xff) == 0xaa
                && image[0x202] == 'H' && image[0x203] == 'd' && image[0x204] == 'r' && image[0x205] == 'S';
    }

    /** The decompressed vmlinux of a bzImage. */
    public static byte[] vmlinux(byte[] image) {
        if (!isBzImage(image)) {
            throw new IllegalArgumentException("not a bzImage (no boot signature or HdrS header)");
        }
        int version = (image[0x206] & 0xff) | (image[0x207] & 0xff) << 8;
        if (version < 0x0208) {
            throw new IllegalArgumentException(String.format(
                    "boot protocol %x.%02x has no payload_offset (needs 2.08+)", version >> 8, version & 0xff));
        }
        int setupSects = image[0x1f1] & 0xff;
        if (setupSects == 0) {
            setupSects = 4; // boot.rst: 0 means 4
        }
        long start = (setupSects + 1L) * 512 + (Lz4.readInt(image, 0x248) & 0xffff_ffffL);
        long length = Lz4.readInt(image, 0x24c) & 0xffff_ffffL;
        if (start + length > image.length || length < 8) {
            throw new IllegalArgumentException("bzImage payload lies outside the file");
        }
        int from = (int) start;
        int to = (int) (start + length);
        if (Lz4.isLegacyFrame(image, from)) {
            return Lz4.decompressLegacy(image, from, to);
        }
        if ((image[from] & 0xff) == 0x1f && (image[from + 1] & 0xff) == 0x8b) {
            return gunzip(image, from, to - from - 4); // size_append adds the uncompressed size
        }
        throw new IllegalArgumentException(String.format(
                "unsupported kernel compression (payload starts %02x %02x %02x %02x); LZ4 and gzip are supported",
                image[from], image[from + 1], image[from + 2], image[from + 3]));
    }

    private static byte[] gunzip(byte[] data, int offset, int length) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data, offset, length))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt gzip kernel payload", e);
        }
    }
}
