package dev.jvisor.devices;

/**
 * Access sizes of port and MMIO accesses, and the bit masks devices use to declare which ones they
 * accept. Each size is its own mask bit (1, 2, 4 and 8 are distinct powers of two), so a set of
 * sizes is simply their bitwise OR: {@code BYTE | WORD} accepts 8- and 16-bit accesses.
 */
public final class AccessSizes {
    /** An 8-bit access. */
    public static final int BYTE = 1;
    /** A 16-bit access. */
    public static final int WORD = 2;
    /** A 32-bit access. */
    public static final int DWORD = 4;
    /** A 64-bit access. */
    public static final int QWORD = 8;
    /** Byte, word and dword: what x86 port I/O can produce. */
    public static final int UP_TO_DWORD = BYTE | WORD | DWORD;
    /** Every size. */
    public static final int ANY = BYTE | WORD | DWORD | QWORD;

    private AccessSizes() {
    }

    /** Whether {@code size} is one of 1, 2, 4 or 8. */
    public static boolean isValid(int size) {
        return size == BYTE || size == WORD || size == DWORD || size == QWORD;
    }

    /** Whether the set {@code accepted} (an OR of sizes) contains the valid size {@code size}. */
    public static boolean accepts(int accepted, int size) {
        return isValid(size) && (accepted & size) != 0;
    }

    /** The value mask of a {@code size}-byte access: {@code 0xFF} for 1, all 64 bits for 8. */
    public static long mask(int size) {
        return size >= QWORD ? -1L : (1L << (size * 8)) - 1;
    }

    /** What a read returns when nothing answers: all ones, as a floating bus reads on a PC. */
    public static long allOnes(int size) {
        return mask(size);
    }
}
