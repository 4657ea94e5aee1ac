package dev.jvisor.conformance.differential;

import dev.jvisor.conformance.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Generates the cases of one category from a seed, runs them in batches natively (KVM) and in the
 * emulator side by side, and collects the mismatches. The same seed always gives the same cases.
 *
 * <p>System properties: {@code jvisor.diff.seed} (a number, or {@code random}), {@code
 * jvisor.diff.scale} (multiplies every category's case count, e.g. 10 for a long local run) and
 * {@code jvisor.diff.only} (comma-separated category labels to run).
 */
public final class Campaign {
    /** The seed when none is given, so CI runs are reproducible. */
    public static final long DEFAULT_SEED = 0x6a76_6973_6f72L;
    private static final int MAX_ATTEMPTS = 200;
    /** KVM vCPUs must run on platform threads; one per back end lets both run at once. */
    private static final ExecutorService RUNNERS = Executors.newFixedThreadPool(2, r -> {
        Thread t = Thread.ofPlatform().daemon().name("differential-runner").unstarted(r);
        return t;
    });

    /** The outcome of a category's run. */
    public record Result(long seed, int cases, List<Differ.Mismatch> mismatches, List<String> problems) {
    }

    private Campaign() {
    }

    public static long seed() {
        String s = System.getProperty("jvisor.diff.seed", "").trim();
        if (s.isEmpty()) {
            return DEFAULT_SEED;
        }
        if (s.equals("random")) {
            return new Random().nextLong();
        }
        try {
            return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("jvisor.diff.seed must be a number, 0x<hex> or 'random', not '" + s + "'", e);
        }
    }

    public static int count(int defaultCount) {
        String s = System.getProperty("jvisor.diff.scale", "1").trim();
        double scale;
        try {
            scale = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("jvisor.diff.scale must be a positive number, not '" + s + "'", e);
        }
        if (!(scale > 0) || scale > 10_000) {
            throw new IllegalArgumentException("jvisor.diff.scale must be in (0, 10000], not " + s);
        }
        return Math.max(1, (int) Math.round(defaultCount * scale));
    }

    public static boolean selected(String label) {
        String only = System.getProperty("jvisor.diff.only", "");
        return only.isBlank() || List.of(only.split(",")).contains(label);
    }

    /** The cases of batch {@code batch} of a category: deterministic in (seed, batch, position). */
    public static List<TestCase> batch(String label, IntFunction<Generator> generators, long seed, int batch, int size) {
        List<TestCase> cases = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            int number = batch * BatchProgram.MAX_CASES + i;
            Random rnd = new Random(seed ^ (0x9e37_79b9_7f4a_7c15L * (number + 1L)) ^ label.hashCode());
            cases.add(generate(label, generators.apply(number), rnd, i, number));
        }
        return cases;
    }

    static TestCase generate(String label, Generator generator, Random rnd, int index, int number) {
        IllegalArgumentException last = null;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            CaseBuilder b = new CaseBuilder(rnd, BatchProgram.slotBase(index));
            try {
                generator.generate(b);
                return b.build(index, number, label);
            } catch (IllegalArgumentException e) {
                last = e;   // an operand combination that cannot be encoded or is unsuitable: draw again
            }
        }
        throw new IllegalStateException("generator for " + label + " never produced a case", last);
    }

    /** Generates and runs {@code count} cases on both back ends. */
    public static Result run(String label, Generator generator, long seed, int count) {
        return runEach(label, n -> generator, seed, count);
    }

    /** Like {@link #run(String, Generator, long, int)}, with the generator of case {@code n} given by {@code generators}. */
    public static Result runEach(String label, IntFunction<Generator> generators, long seed, int count) {
        Backend.KVM.hypervisor();       // skips the test where KVM, the oracle, is missing
        Backend.EMU.hypervisor();
        List<Differ.Mismatch> mismatches = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int batches = (count + BatchProgram.MAX_CASES - 1) / BatchProgram.MAX_CASES;
        for (int batch = 0; batch < batches; batch++) {
            int size = Math.min(BatchProgram.MAX_CASES, count - batch * BatchProgram.MAX_CASES);
            BatchProgram program = new BatchProgram(batch(label, generators, seed, batch, size));
            Future<BatchRunner.Outcome> kvm = RUNNERS.submit(() -> BatchRunner.run(Backend.KVM, program));
            Future<BatchRunner.Outcome> emu = RUNNERS.submit(() -> BatchRunner.run(Backend.EMU, program));
            BatchRunner.Outcome oracle = get(kvm);
            BatchRunner.Outcome subject = get(emu);
            if (oracle.problem() != null) {
                problems.add("the oracle failed (a generator or harness bug): " + oracle.problem() + describeStop(program, oracle));
            }
            if (subject.problem() != null) {
                problems.add(subject.problem() + describeStop(program, subject));
            }
            mismatches.addAll(Differ.compare(program, oracle, subject));
        }
        return new Result(seed, count, mismatches, problems);
    }

    private static String describeStop(BatchProgram program, BatchRunner.Outcome o) {
        if (o.stopCase() < 0) {
            return "";
        }
        TestCase c = program.cases().get(o.stopCase());
        return "\n    stopped in: " + c.text();
    }

    private static BatchRunner.Outcome get(Future<BatchRunner.Outcome> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Removes the report a previous failing run of the category left behind. */
    public static void clearReport(String label) {
        try {
            Files.deleteIfExists(Path.of("target", "differential", label + ".txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the full report of a category to {@code target/differential/<label>.txt}; returns its path. */
    public static Path writeReport(String label, String text) {
        try {
            Path dir = Path.of("target", "differential");
            Files.createDirectories(dir);
            Path file = dir.resolve(label + ".txt");
            Files.writeString(file, text);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
