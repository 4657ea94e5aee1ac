package dev.jvisor.irqchip;

/**
 * A set of the 256 interrupt vectors, laid out like the local APIC's IRR, ISR and TMR (eight 32-bit
 * registers, vector {@code v} at bit {@code v % 32} of register {@code v / 32}; Intel SDM Vol. 3A
 * 10.8.4). Not thread-safe: the owning {@link LocalApic} guards it.
 */
final class VectorSet {
    private final long[] words = new long[4];

    void set(int vector) {
        words[vector >>> 6] |= 1L << vector;
    }

    void clear(int vector) {
        words[vector >>> 6] &= ~(1L << vector);
    }

    boolean contains(int vector) {
        return (words[vector >>> 6] & (1L << vector)) != 0;
    }

    void clearAll() {
        words[0] = 0;
        words[1] = 0;
        words[2] = 0;
        words[3] = 0;
    }

    /** The highest vector in the set, or -1 if empty (the highest vector has the highest priority). */
    int highest() {
        for (int i = 3; i >= 0; i--) {
            long w = words[i];
            if (w != 0) {
                return (i << 6) + 63 - Long.numberOfLeadingZeros(w);
            }
        }
        return -1;
    }

    /** The 32-bit register {@code index} (0-7) as the APIC's MMIO view shows it. */
    int register(int index) {
        return (int) (words[index >>> 1] >>> ((index & 1) << 5));
    }
}
