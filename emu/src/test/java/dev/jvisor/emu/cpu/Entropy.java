package dev.jvisor.emu.cpu;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Where the fuzz targets take their choices from: Jazzer's input when fuzzing (so the fuzzer steers
 * every choice), or a seeded {@link SplittableRandom} for the fixed series every build runs.
 */
public interface Entropy {
    /** A value in {@code [0, bound)}. */
    int below(int bound);

    long bits64();

    default boolean oneIn(int n) {
        return below(n) == 0;
    }

    default int bits8() {
        return below(256);
    }

    /**
     * Choices from {@code source}, remembered so that {@link Recording#replay} makes the same ones
     * again (to build the same machine twice from a fuzzer input that can be read only once).
     */
    static Recording recording(Entropy source) {
        return new Recording(source);
    }

    /** See {@link #recording}. */
    final class Recording implements Entropy {
        private final Entropy source;
        private final ArrayList<Long> values = new ArrayList<>();

        private Recording(Entropy source) {
            this.source = source;
        }

        @Override
        public int below(int bound) {
            int v = source.below(bound);
            values.add((long) v);
            return v;
        }

        @Override
        public long bits64() {
            long v = source.bits64();
            values.add(v);
            return v;
        }

        /** The recorded choices again, in order (0 past the end). */
        public Entropy replay() {
            Iterator<Long> it = List.copyOf(values).iterator();
            return new Entropy() {
                @Override
                public int below(int bound) {
                    return it.hasNext() ? (int) (long) it.next() : 0;
                }

                @Override
                public long bits64() {
                    return it.hasNext() ? it.next() : 0;
                }
            };
        }
    }

    static Entropy of(SplittableRandom random) {
        return new Entropy() {
            @Override
            public int below(int bound) {
                return random.nextInt(bound);
            }

            @Override
            public long bits64() {
                return random.nextLong();
            }
        };
    }

    /** Choices from the fuzzer's input; once it is used up every choice is the smallest (0). */
    static Entropy of(FuzzedDataProvider data) {
        return new Entropy() {
            @Override
            public int below(int bound) {
                return bound <= 1 ? 0 : data.consumeInt(0, bound - 1);
            }

            @Override
            public long bits64() {
                return data.consumeLong();
            }
        };
    }
}
