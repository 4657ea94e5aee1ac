package dev.jvisor.machine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of a bzImage's real-mode setup header that a 64-bit loader needs
 * (Linux Documentation/x86/boot.rst, "THE REAL-MODE KERNEL HEADER"). Offsets are file offsets,
 * which equal the offsets inside {@code struct boot_params}.
 *
 * @param setupSectors     512-byte sectors of real-mode setup code after the boot sector
 * @param version          boot protocol version, e.g. 0x020F for 2.15
 * @param loadFlags        {@code loadflags}
 * @param kernelAlignment  physical alignment a relocatable kernel needs
 * @param relocatable      {@code relocatable_kernel} is non-zero
 * @param xloadFlags       {@code xloadflags}
 * @param cmdlineSize      longest command line the kernel accepts, without the NUL
 * @param initrdAddrMax    highest address the initrd may occupy (inclusive)
 * @param prefAddress      preferred load address
 * @param initSize         bytes of RAM the kernel needs from its load address while booting
 * @param sysSize          size of the protected-mode code in bytes (syssize x 16)
 * @param headerEnd        file offset one past the setup header (0x202 + byte at 0x201)
 */
public record BzImageHeader(int setupSectors, int version, int loadFlags, long kernelAlignment, boolean relocatable,
                            int xloadFlags, long cmdlineSize, long initrdAddrMax, long prefAddress, long initSize,
                            long sysSize, int headerEnd) {
    /** File offset of the setup header; the same offset in the zero page. */
    public static final int HEADER_START = 0x1F1;
    /** Offsets of setup-header fields (boot.rst). */
    public static final int SETUP_SECTS = 0x1F1, SYSSIZE = 0x1F4, BOOT_FLAG = 0x1FE, JUMP = 0x200, MAGIC = 0x202,
            VERSION = 0x206, TYPE_OF_LOADER = 0x210, LOADFLAGS = 0x211, CODE32_START = 0x214, RAMDISK_IMAGE = 0x218,
            RAMDISK_SIZE = 0x21C, HEAP_END_PTR = 0x224, CMD_LINE_PTR = 0x228, INITRD_ADDR_MAX = 0x22C,
            KERNEL_ALIGNMENT = 0x230, RELOCATABLE_KERNEL = 0x234, XLOADFLAGS = 0x236, CMDLINE_SIZE = 0x238,
            PREF_ADDRESS = 0x258, INIT_SIZE = 0x260;
    /** "HdrS" read as a little-endian u32. */
    public static final int HDRS_MAGIC = 0x5372_6448;
    /** {@code boot_flag} value. */
    public static final int BOOT_FLAG_VALUE = 0xAA55;
    /** loadflags bits. */
    public static final int LOADED_HIGH = 0x01, CAN_USE_HEAP = 0x80;
    /** xloadflags bits. */
    public static final int XLF_KERNEL_64 = 0x01, XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;
    /** Oldest protocol accepted: 2.12 introduced xloadflags, which says whether a 64-bit entry exists. */
    public static final int MIN_VERSION = 0x020C;
    /** The setup header ends before {@code boot_params.edd_mbr_sig_buffer} at 0x290. */
    public static final int MAX_HEADER_END = 0x290;
    /** Offset of the 64-bit entry point from the start of the protected-mode kernel. */
    public static final long ENTRY64_OFFSET = 0x200;

    /** Whether {@code image} carries the bzImage boot flag and "HdrS" magic. */
    public static boolean matches(byte[] image) {
        if (image.length < MAX_HEADER_END) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        return (b.getShort(BOOT_FLAG) & 0xFFFF) == BOOT_FLAG_VALUE && b.getInt(MAGIC) == HDRS_MAGIC;
    }

    /**
     * Parses and validates the header of a bzImage that {@link #matches} accepted.
     *
     * @throws KernelLoadException if the kernel cannot be booted through the 64-bit protocol
     */
    public static BzImageHeader parse(byte[] image) throws KernelLoadException {
        if (!matches(image)) {
            throw new KernelLoadException("not a Linux bzImage: no 0xAA55 boot flag and \"HdrS\" magic");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getShort(VERSION) & 0xFFFF;
        if (version < MIN_VERSION) {
            throw new KernelLoadException(String.format(
                    "Linux boot protocol %d.%02d is older than 2.12, the first that says whether the kernel "
                            + "has a 64-bit entry point", version >> 8, version & 0xFF));
        }
        int setupSectors = image[SETUP_SECTS] & 0xFF;
        if (setupSectors == 0) {
            setupSectors = 4; // boot.rst: "If this field is 0, the real value is 4."
        }
        int headerEnd = 0x202 + (image[JUMP + 1] & 0xFF);
        if (headerEnd > MAX_HEADER_END) {
            throw new KernelLoadException(String.format(
                    "bzImage setup header claims to end at 0x%x, beyond boot_params' header area (0x%x)",
                    headerEnd, MAX_HEADER_END));
        }
        if (headerEnd < INIT_SIZE + 4) {
            throw new KernelLoadException(String.format(
                    "bzImage setup header ends at 0x%x, too short for protocol %d.%02d", headerEnd,
                    version >> 8, version & 0xFF));
        }
        int loadFlags = image[LOADFLAGS] & 0xFF;
        if ((loadFlags & LOADED_HIGH) == 0) {
            throw new KernelLoadException("zImage kernels that load at 0x10000 are not supported (LOADED_HIGH is clear)");
        }
        int xloadFlags = b.getShort(XLOADFLAGS) & 0xFFFF;
        if ((xloadFlags & XLF_KERNEL_64) == 0) {
            throw new KernelLoadException("bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags)");
        }
        long alignment = b.getInt(KERNEL_ALIGNMENT) & 0xFFFF_FFFFL;
        boolean relocatable = image[RELOCATABLE_KERNEL] != 0;
        if (relocatable && (alignment == 0 || Long.bitCount(alignment) != 1)) {
            throw new KernelLoadException(String.format("bzImage kernel_alignment 0x%x is not a power of two", alignment));
        }
        long initSize = b.getInt(INIT_SIZE) & 0xFFFF_FFFFL;
        long sysSize = (b.getInt(SYSSIZE) & 0xFFFF_FFFFL) * 16;
        long setupBytes = (setupSectors + 1L) * 512;
        long protectedModeBytes = image.length - setupBytes;
        if (protectedModeBytes <= 0) {
            throw new KernelLoadException(String.format(
                    "bzImage of %d bytes is shorter than its %d bytes of setup code", image.length, setupBytes));
        }
        if (protectedModeBytes <= ENTRY64_OFFSET) {
            // The CPU would start in whatever lies after the copied code (another file, or nothing).
            throw new KernelLoadException(String.format(
                    "bzImage has %d bytes of protected-mode code, which end before its 64-bit entry point at "
                            + "offset 0x%x", protectedModeBytes, ENTRY64_OFFSET));
        }
        if (sysSize > protectedModeBytes) {
            throw new KernelLoadException(String.format(
                    "bzImage is truncated: the header announces %d bytes of protected-mode code, the file has %d",
                    sysSize, protectedModeBytes));
        }
        if (initSize == 0) {
            throw new KernelLoadException("bzImage init_size is 0");
        }
        return new BzImageHeader(setupSectors, version, loadFlags, alignment, relocatable, xloadFlags,
                b.getInt(CMDLINE_SIZE) & 0xFFFF_FFFFL, b.getInt(INITRD_ADDR_MAX) & 0xFFFF_FFFFL,
                b.getLong(PREF_ADDRESS), initSize, sysSize, headerEnd);
    }

    /** File offset of the protected-mode kernel. */
    public long protectedModeOffset() {
        return (setupSectors + 1L) * 512;
    }
}
