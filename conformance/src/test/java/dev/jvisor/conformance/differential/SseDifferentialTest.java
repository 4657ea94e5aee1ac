package dev.jvisor.conformance.differential;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential tests of the emulator's SSE/SSE2 instructions against native execution, one
 * dynamic test per instruction form (so a report shows exactly which forms differ). All forms run
 * together in a few batches; each form gets {@value #CASES_PER_FORM} random cases (times
 * {@code jvisor.diff.scale}), with XMM0–15 and MXCSR compared besides the usual state.
 */
class SseDifferentialTest {
    static final int CASES_PER_FORM = 80;
    private static final String LABEL = "sse";

    @TestFactory
    Stream<DynamicTest> emulatorMatchesNativeSse() {
        assumeTrue(Campaign.selected(LABEL), "not selected by jvisor.diff.only");
        List<SseCases.Form> forms = SseCases.FORMS;
        int perForm = Campaign.count(CASES_PER_FORM);
        long seed = Campaign.seed();
        Campaign.Result result = Campaign.runEach(LABEL, n -> SseCases.of(forms.get(n / perForm)), seed, perForm * forms.size());
        Map<String, List<Differ.Mismatch>> byForm = new LinkedHashMap<>();
        for (SseCases.Form f : forms) {
            byForm.put(f.name(), new ArrayList<>());
        }
        List<Differ.Mismatch> unexplained = new ArrayList<>();
        Map<KnownEmulatorBug, Integer> known = new EnumMap<>(KnownEmulatorBug.class);
        for (Differ.Mismatch m : result.mismatches()) {
            KnownEmulatorBug bug = KnownEmulatorBug.explaining(m);
            if (bug == null) {
                unexplained.add(m);
                byForm.get(forms.get(m.testCase().number() / perForm).name()).add(m);
            } else {
                known.merge(bug, 1, Integer::sum);
            }
        }
        known.forEach((bug, n) -> System.out.printf("set aside as a known emulator bug (see EmulatorBugsTest): %d x %s%n", n,
                bug.description()));
        Campaign.clearReport(LABEL);
        if (!unexplained.isEmpty() || !result.problems().isEmpty()) {
            Campaign.writeReport(LABEL, String.format("seed 0x%x%n%s%n", seed, String.join("\n", result.problems()))
                    + Differ.report(unexplained, Integer.MAX_VALUE, 3, true));
        }
        String rerun = String.format("seed 0x%x (rerun with -Djvisor.diff.seed=0x%x -Djvisor.diff.only=%s)", seed, seed, LABEL);
        return forms.stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            if (!result.problems().isEmpty()) {
                fail(rerun + ": " + String.join("\n", result.problems()));
            }
            List<Differ.Mismatch> list = byForm.get(f.name());
            if (!list.isEmpty()) {
                fail(f.name() + ", " + rerun + "\n" + Differ.report(list, 3, 2, true));
            }
        }));
    }
}
