package dev.jvisor.testkit;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.SplittableRandom;

/**
 * The choices a fuzz scenario is built from, taken either from Jazzer's data (the {@code @FuzzTest}
 * targets) or from a seeded random generator (the series every build runs), so both drive exactly
 * the same generator and checks.
 */
public interface FuzzInput {
    /** A value in {@code [min, max]}. */
    int intIn(int min, int max);

    long anyLong();

    boolean bool();

    /** Up to {@code max} bytes. */
    byte[] bytes(int max);

    /** True with probability about 1/{@code n}. */
    default boolean oneIn(int n) {
        return intIn(0, n - 1) == 0;
    }

    default long pick(long... options) {
        return options[intIn(0, options.length - 1)];
    }

    @SuppressWarnings("unchecked")
    default <T> T pickOf(T... options) {
        return options[intIn(0, options.length - 1)];
    }

    static FuzzInput of(FuzzedDataProvider data) {
        return new FuzzInput() {
            @Override
            public int intIn(int min, int max) {
                return data.consumeInt(min, max);
            }

            @Override
            public long anyLong() {
                return data.consumeLong();
            }

            @Override
            public boolean bool() {
                return data.consumeBoolean();
            }

            @Override
            public byte[] bytes(int max) {
                return data.consumeBytes(max);
            }
        };
    }

    static FuzzInput of(SplittableRandom random) {
        return new FuzzInput() {
            @Override
            public int intIn(int min, int max) {
                return max == Integer.MAX_VALUE ? min + random.nextInt(max - min) : random.nextInt(min, max + 1);
            }

            @Override
            public long anyLong() {
                return random.nextLong();
            }

            @Override
            public boolean bool() {
                return random.nextBoolean();
            }

            @Override
            public byte[] bytes(int max) {
                byte[] b = new byte[random.nextInt(max + 1)];
                random.nextBytes(b);
                return b;
            }
        };
    }
}
