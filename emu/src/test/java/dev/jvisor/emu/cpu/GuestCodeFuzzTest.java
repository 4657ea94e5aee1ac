package dev.jvisor.emu.cpu;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.emu.cpu.GuestCodeFuzzer.Mode;
import dev.jvisor.emu.cpu.GuestCodeFuzzer.Outcome;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Arbitrary guest code on the emulated CPU, in every mode, interpreted and with every block compiled
 * by the translation tier: whatever the bytes, the emulator raises guest exceptions (#UD for what it
 * does not implement) and never fails itself, and every run ends within its budget. See
 * {@link GuestCodeFuzzer} for the machine and the checks.
 *
 * <p>{@link #arbitraryCode} is the Jazzer target (it replays its corpus in normal runs; JAZZER_FUZZ=1
 * fuzzes); {@link #seededSeriesInterpreted} and {@link #seededSeriesCompiled} (each case run both
 * ways, the final states compared) run a fixed series of random cases in every build, and
 * {@link #seededSeriesTwoCpus} two CPUs at once on shared memory and code cache
 * ({@code -Djvisor.fuzz.scale=N} runs N times as many, {@code -Djvisor.fuzz.seed=S} another series).
 */
class GuestCodeFuzzTest {
    private static final GuestCodeFuzzer FUZZER = new GuestCodeFuzzer();
    /**
     * Fewer instructions per run where each costs more: under coverage instrumentation (the fuzz
     * target) and when every block is compiled.
     */
    private static final GuestCodeFuzzer SHORT_RUNS = new GuestCodeFuzzer(300);
    private static final int SCALE = Integer.getInteger("jvisor.fuzz.scale", 1);
    private static final long SEED = Long.getLong("jvisor.fuzz.seed", 0x6A56_1503L);

    @AfterAll
    static void closeMemory() {
        FUZZER.close();
        SHORT_RUNS.close();
    }

    @FuzzTest(maxDuration = "5m")
    void arbitraryCode(FuzzedDataProvider data) {
        Mode mode = data.pickValue(Mode.values());
        boolean compiled = data.consumeBoolean();
        // Raw bytes as the fuzzer mutates them, or instruction-shaped code steered by its choices.
        byte[] code = data.consumeBoolean() ? data.consumeBytes(1 + data.consumeInt(0, GuestCodeFuzzer.MAX_CODE - 1))
                : null;
        if (compiled) {
            SHORT_RUNS.differential(Entropy.of(data), mode, code);
        } else {
            SHORT_RUNS.run(Entropy.of(data), mode, false, code);
        }
    }

    @Test
    @Timeout(300) // a hang guard: the series takes a few seconds
    void seededSeriesInterpreted() {
        series(8_000 * SCALE, false, SEED);
    }

    @Test
    @Timeout(300)
    void seededSeriesCompiled() {
        series(1_000 * SCALE, true, SEED ^ 0xC0DE);
    }

    @Test
    @Timeout(300)
    void seededSeriesTwoCpus() {
        Map<String, String> failures = new LinkedHashMap<>();
        int rounds = 100 * SCALE;
        Mode[] modes = Mode.values();
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            SplittableRandom random = new SplittableRandom(SEED + 0x5A5A + round * 0x9E37_79B9L);
            try {
                FUZZER.runPair(Entropy.of(random), modes[round % modes.length], round % 4 == 0);
            } catch (AssertionError failure) {
                String key = signature(failure);
                if (!failures.containsKey(key) && failures.size() < 50) {
                    failures.put(key, "round " + round + ": " + failure.getMessage()
                            + (failure.getCause() != null ? "\n" + stackOf(failure.getCause()) : ""));
                }
            }
        }
        System.out.printf("%d two-CPU cases in %.1f s%n", rounds, (System.nanoTime() - start) / 1e9);
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " distinct emulator failures:\n\n"
                    + String.join("\n\n", failures.values()));
        }
    }

    /**
     * Runs {@code rounds} cases over all modes; collects every distinct failure (by exception and
     * where it was thrown) and reports them together with how to rerun each.
     */
    private static void series(int rounds, boolean compiled, long seed) {
        Stats stats = new Stats();
        Map<String, String> failures = new LinkedHashMap<>();
        Mode[] modes = Mode.values();
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            SplittableRandom random = new SplittableRandom(seed + round * 0x9E37_79B9L);
            Entropy e = Entropy.of(random);
            Mode mode = modes[round % modes.length];
            byte[] code = random.nextInt(8) == 0 ? randomBytes(random) : null;
            try {
                stats.add(compiled ? SHORT_RUNS.differential(e, mode, code) : FUZZER.run(e, mode, false, code));
            } catch (AssertionError failure) {
                String key = signature(failure);
                if (!failures.containsKey(key) && failures.size() < 50) {
                    failures.put(key, "round " + round + " (seed " + seed + "): " + failure.getMessage()
                            + (failure.getCause() != null ? "\n" + stackOf(failure.getCause()) : ""));
                }
            }
        }
        System.out.printf("%d %s cases in %.1f s%n%s", rounds, compiled ? "compiled" : "interpreted",
                (System.nanoTime() - start) / 1e9, stats);
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " distinct emulator failures:\n\n"
                    + String.join("\n\n", failures.values()));
        }
    }

    private static byte[] randomBytes(SplittableRandom random) {
        byte[] b = new byte[1 + random.nextInt(64)];
        random.nextBytes(b);
        return b;
    }

    /** The failure's kind: the exception and the emulator frame it came from. */
    private static String signature(AssertionError failure) {
        Throwable cause = failure.getCause();
        String message = failure.getMessage();
        if (cause == null) {
            // A crash report: the reason line and the first stack line the report carries.
            String reason = message.lines().findFirst().orElse("");
            String at = message.lines().filter(l -> l.startsWith("  at ")).findFirst().orElse("");
            return reason.replaceAll("0x[0-9a-f]+|\\d+", "#") + at;
        }
        StackTraceElement[] st = cause.getStackTrace();
        return cause.getClass().getName() + (st.length > 0 ? st[0].toString() : "");
    }

    private static String stackOf(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c != t) {
                sb.append("\ncaused by ").append(c);
            }
            StackTraceElement[] st = c.getStackTrace();
            for (int i = 0; i < Math.min(st.length, 10); i++) {
                sb.append("\n  at ").append(st[i]);
            }
        }
        return sb.toString();
    }

    /** What the series did: exits, the first exception's vector, instructions and time. */
    private static final class Stats {
        final Map<String, Integer> exits = new TreeMap<>();
        final Map<Integer, Integer> vectors = new TreeMap<>();
        long instructions;
        long maxNanos;
        String slowest = "";
        int runs;

        void add(Outcome o) {
            runs++;
            exits.merge(o.exit().getClass().getSimpleName(), 1, Integer::sum);
            vectors.merge(o.firstVector(), 1, Integer::sum);
            instructions += o.instructions();
            if (runs > 100 && o.nanos() > maxNanos) { // after warm-up
                maxNanos = o.nanos();
                slowest = o.description();
            }
        }

        @Override
        public String toString() {
            return String.format("exits %s%nfirst exception vector (-1: none) %s%n%d instructions, %.1f per run;"
                    + " slowest run %.1f ms: %s%n", exits, vectors, instructions, instructions / (double) Math.max(runs, 1),
                    maxNanos / 1e6, slowest);
        }
    }
}
