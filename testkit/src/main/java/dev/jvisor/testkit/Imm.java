package dev.jvisor.testkit;

/** Range checks and normalisation of immediate values. */
final class Imm {
    private Imm() {
    }

    static boolean fitsS8(long v) {
        return v >= -128 && v <= 127;
    }

    static boolean fitsS32(long v) {
        return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
    }

    /**
     * Checks that {@code value} is representable in {@code bits} (signed or unsigned) and returns it
     * sign-extended from that width, the form the CPU sees. For 64-bit operands the value must fit a
     * sign-extended 32-bit immediate, because no x86 ALU instruction takes a 64-bit immediate.
     */
    static long normalize(long value, int bits, String what) {
        if (bits == 64) {
            if (!fitsS32(value)) {
                throw new IllegalArgumentException(String.format(
                        "%s: immediate 0x%x does not fit a sign-extended 32-bit field", what, value));
            }
            return value;
        }
        long min = -(1L << (bits - 1));
        long max = (1L << bits) - 1;
        if (value < min || value > max) {
            throw new IllegalArgumentException(String.format("%s: immediate 0x%x does not fit in %d bits", what, value, bits));
        }
        int shift = 64 - bits;
        return value << shift >> shift;
    }

    /** Bytes of a full-size immediate ("iz": 2 for 16-bit operands, else 4). */
    static int izBytes(int bits) {
        return bits == 16 ? 2 : bits == 8 ? 1 : 4;
    }
}
