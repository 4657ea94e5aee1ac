package dev.jvisor.server.sched;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * A set of host CPUs, written in the Linux CPU list format of cpuset(7) and
 * {@code /sys/devices/system/cpu/online}: comma-separated CPU numbers and inclusive ranges, e.g.
 * {@code 0}, {@code 0-1}, {@code 1,3}, {@code 0-3,8}. Immutable.
 *
 * <p>{@link #toString()} gives the canonical form (ascending, ranges merged): {@code "3,1,2"} is
 * {@code "1-3"}.
 */
public final class CpuSet {
    /** The highest CPU number accepted (Linux's largest NR_CPUS is 8192). */
    public static final int MAX_CPU = 8191;

    private final BitSet cpus;

    private CpuSet(BitSet cpus) {
        this.cpus = cpus;
    }

    /** The set of the given CPU numbers (each 0..{@value #MAX_CPU}). */
    public static CpuSet of(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            if (c < 0 || c > MAX_CPU) {
                throw new IllegalArgumentException("CPU number " + c + " is out of range 0-" + MAX_CPU);
            }
            b.set(c);
        }
        if (b.isEmpty()) {
            throw new IllegalArgumentException("a CPU set needs at least one CPU");
        }
        return new CpuSet(b);
    }

    /**
     * Parses a CPU list. Refused, with a message that says why: an empty text, empty items
     * ({@code "0,,1"}, {@code "0,"}), anything but digits, ',' and '-' (no spaces, signs or
     * names), descending ranges ({@code "5-2"}) and CPU numbers above {@value #MAX_CPU}.
     */
    public static CpuSet parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("a CPU list must name at least one CPU, e.g. 0, 0-1 or 1,3");
        }
        BitSet b = new BitSet();
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                throw new IllegalArgumentException("CPU list '" + text + "' has an empty item (e.g. 0-1,3 not 0-1,,3)");
            }
            int dash = item.indexOf('-');
            int first = cpuNumber(text, dash < 0 ? item : item.substring(0, dash));
            int last = dash < 0 ? first : cpuNumber(text, item.substring(dash + 1));
            if (last < first) {
                throw new IllegalArgumentException("CPU list '" + text + "': range " + item
                        + " runs backwards (write " + last + "-" + first + ")");
            }
            b.set(first, last + 1);
        }
        return new CpuSet(b);
    }

    private static int cpuNumber(String text, String digits) {
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("CPU list '" + text + "' must be CPU numbers and ranges like 0, 0-1"
                    + " or 1,3; '" + digits + "' is not a CPU number");
        }
        int n = digits.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(digits);
        if (n > MAX_CPU) {
            throw new IllegalArgumentException("CPU list '" + text + "': CPU " + digits
                    + " is above the largest CPU number " + MAX_CPU);
        }
        return n;
    }

    /**
     * Checks that every CPU of this set is in {@code online}.
     *
     * @throws IllegalArgumentException naming the CPUs that are not online, and the online ones
     */
    public void checkWithin(CpuSet online) {
        BitSet missing = (BitSet) cpus.clone();
        missing.andNot(online.cpus);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException((missing.cardinality() == 1 ? "CPU " : "CPUs ")
                    + new CpuSet(missing) + (missing.cardinality() == 1 ? " is" : " are")
                    + " not online on this host (online CPUs: " + online + ")");
        }
    }

    /** The host's online CPUs ({@code /sys/devices/system/cpu/online}; if unreadable, 0 to availableProcessors-1). */
    public static CpuSet online() {
        try {
            return parse(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
        } catch (IOException | IllegalArgumentException e) {
            BitSet b = new BitSet();
            b.set(0, Runtime.getRuntime().availableProcessors());
            return new CpuSet(b);
        }
    }

    public boolean contains(int cpu) {
        return cpu >= 0 && cpus.get(cpu);
    }

    /** How many CPUs. */
    public int size() {
        return cpus.cardinality();
    }

    /** The highest CPU number in the set. */
    public int last() {
        return cpus.length() - 1;
    }

    /**
     * The set as a {@code cpu_set_t} bit mask of at least {@code minBytes} bytes (whole 64-bit words,
     * CPU n is bit n % 64 of little-endian word n / 64), as sched_setaffinity(2) takes it.
     */
    public long[] mask(int minBytes) {
        long[] words = cpus.toLongArray();
        int n = Math.max(words.length, (minBytes + 7) / 8);
        return java.util.Arrays.copyOf(words, n);
    }

    /** The set of the bits in a {@code cpu_set_t} mask. */
    public static CpuSet fromMask(long[] words) {
        BitSet b = BitSet.valueOf(words);
        if (b.isEmpty()) {
            throw new IllegalArgumentException("an empty CPU mask");
        }
        return new CpuSet(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet c && c.cpus.equals(cpus);
    }

    @Override
    public int hashCode() {
        return cpus.hashCode();
    }

    /** The canonical CPU list: ascending, consecutive CPUs as ranges. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int i = cpus.nextSetBit(0); i >= 0; ) {
            int end = cpus.nextClearBit(i) - 1;
            if (!s.isEmpty()) {
                s.append(',');
            }
            s.append(i);
            if (end > i) {
                s.append('-').append(end);
            }
            i = cpus.nextSetBit(end + 1);
        }
        return s.toString();
    }
}
