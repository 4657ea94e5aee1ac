package dev.jvisor.machine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * A Multiboot v1 header (Multiboot Specification 0.6.96 §3.1): found 4-byte aligned in the first
 * 8192 bytes of the image, with {@code magic + flags + checksum == 0 (mod 2^32)}.
 *
 * @param offset     file offset of the header
 * @param flags      the header's flags word
 * @param headerAddr a.out kludge: physical address the header itself is loaded to
 * @param loadAddr   a.out kludge: physical address of the start of the text segment
 * @param loadEndAddr a.out kludge: end of the data segment (0: the rest of the file)
 * @param bssEndAddr a.out kludge: end of the bss (0: no bss)
 * @param entryAddr  a.out kludge: entry point
 */
public record MultibootHeader(int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr,
                              long entryAddr) {
    /** Header magic. */
    public static final int MAGIC = 0x1BAD_B002;
    /** The value the kernel finds in EAX. */
    public static final int BOOTLOADER_MAGIC = 0x2BAD_B002;
    /** How far into the image the header may start. */
    public static final int SEARCH_LIMIT = 8192;
    /** Flag bits: modules page aligned, memory information, video mode, address fields valid. */
    public static final int FLAG_PAGE_ALIGN = 1, FLAG_MEMORY_INFO = 1 << 1, FLAG_VIDEO_MODE = 1 << 2,
            FLAG_AOUT_KLUDGE = 1 << 16;
    /** Requirement bits (0-15) this loader satisfies; any other bit in 0-15 makes it refuse (§3.1.2). */
    static final int SUPPORTED_REQUIREMENTS = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

    /**
     * Finds the header.
     *
     * @return empty if there is no magic in the first 8 KiB
     * @throws KernelLoadException if the magic is there but no candidate's checksum is right, or the
     *                             header asks for features this loader does not provide
     */
    public static Optional<MultibootHeader> find(byte[] image) throws KernelLoadException {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int limit = Math.min(SEARCH_LIMIT, image.length) - 12;
        int badChecksumAt = -1;
        for (int at = 0; at <= limit; at += 4) {
            if (b.getInt(at) != MAGIC) {
                continue;
            }
            int flags = b.getInt(at + 4);
            if (MAGIC + flags + b.getInt(at + 8) != 0) {
                if (badChecksumAt < 0) {
                    badChecksumAt = at;
                }
                continue;
            }
            int unsupported = flags & 0xFFFF & ~SUPPORTED_REQUIREMENTS;
            if (unsupported != 0) {
                throw new KernelLoadException(String.format(
                        "Multiboot header requires features this loader does not provide (flags 0x%x)", unsupported));
            }
            if ((flags & FLAG_AOUT_KLUDGE) == 0) {
                return Optional.of(new MultibootHeader(at, flags, 0, 0, 0, 0, 0));
            }
            if (at + 32 > image.length) {
                throw new KernelLoadException("Multiboot header at offset " + at + " is cut off by the end of the file");
            }
            return Optional.of(new MultibootHeader(at, flags, u32(b, at + 12), u32(b, at + 16), u32(b, at + 20),
                    u32(b, at + 24), u32(b, at + 28)));
        }
        if (badChecksumAt >= 0) {
            throw new KernelLoadException("Multiboot header at offset " + badChecksumAt + " has a bad checksum");
        }
        return Optional.empty();
    }

    /** Whether the header's address fields say where to load the image (flag 16). */
    public boolean usesAddressFields() {
        return (flags & FLAG_AOUT_KLUDGE) != 0;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xFFFF_FFFFL;
    }
}
