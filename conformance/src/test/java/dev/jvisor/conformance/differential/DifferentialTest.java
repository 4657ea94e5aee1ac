package dev.jvisor.conformance.differential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Instruction-level differential tests of the emulator: random instruction sequences in random
 * states run natively at CPL3 under KVM (the oracle) and in the emulator; every GPR, RFLAGS (minus
 * what the SDM leaves undefined), exception, RIP and the data the sequence may touch must match.
 * Skipped where KVM is unavailable. A failure names the seed, each differing case's bytes, text,
 * initial state and differences; the full report goes to {@code target/differential/}.
 */
class DifferentialTest {
    @ParameterizedTest(name = "{0}")
    @EnumSource(Category.class)
    void emulatorMatchesNativeExecution(Category category) {
        assumeTrue(Campaign.selected(category.label()), "not selected by jvisor.diff.only");
        long seed = Campaign.seed();
        int count = Campaign.count(category.defaultCount());
        Campaign.Result result = Campaign.run(category.label(), category.generator(), seed, count);
        String header = String.format("category %s, seed 0x%x (rerun with -Djvisor.diff.seed=0x%x -Djvisor.diff.only=%s), %d cases%n",
                category.label(), seed, seed, category.label(), count);
        String problems = result.problems().isEmpty() ? "" : "run problems:\n  " + String.join("\n  ", result.problems()) + "\n";
        Campaign.clearReport(category.label());
        List<Differ.Mismatch> unexplained = new ArrayList<>();
        Map<KnownEmulatorBug, Integer> known = new EnumMap<>(KnownEmulatorBug.class);
        for (Differ.Mismatch m : result.mismatches()) {
            KnownEmulatorBug bug = KnownEmulatorBug.explaining(m);
            if (bug == null) {
                unexplained.add(m);
            } else {
                known.merge(bug, 1, Integer::sum);
            }
        }
        String knownText = known.isEmpty() ? "" : "set aside as known emulator bugs (see EmulatorBugsTest):\n"
                + known.entrySet().stream().map(e -> String.format("  %5d  %s%n", e.getValue(), e.getKey().description()))
                .reduce("", String::concat);
        System.out.print(header + knownText);
        if (unexplained.isEmpty() && result.problems().isEmpty()) {
            assertThat(result.cases()).isEqualTo(count);
            return;
        }
        String full = header + problems + knownText + Differ.report(unexplained, Integer.MAX_VALUE, 5, false);
        Path file = Campaign.writeReport(category.label(), full);
        fail(header + problems + knownText + Differ.report(unexplained, 8, 1, false) + "full report: " + file);
    }
}
