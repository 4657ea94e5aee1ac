package dev.jvisor.conformance.differential;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares the emulator's results with the native (KVM) ones, case by case, skipping what the case
 * declares undefined, and writes a report a person can act on: the instruction bytes and text, the
 * initial state, and each difference.
 */
public final class Differ {
    /** RF is never visible to PUSHFQ (SDM Vol. 3A §18.3.1.1) and so never compared. */
    private static final long ALWAYS_IGNORED_FLAGS = Flags.RF;

    /** One case that ended differently. */
    public record Mismatch(TestCase testCase, byte[] bytes, long address, List<String> differences) {
        public String describe(boolean withXmm) {
            StringBuilder sb = new StringBuilder();
            TestCase c = testCase;
            sb.append(String.format("case %d [%s] %s%n", c.number(), c.category(), c.text()));
            sb.append(String.format("  bytes at 0x%x: %s%n", address, HexFormat.ofDelimiter(" ").formatHex(bytes)));
            sb.append("  initial state:\n    ").append(c.initial().describe(withXmm || c.sse()).replace("\n", "\n    ")).append('\n');
            sb.append(String.format("  data slot at 0x%x; compared flags: all but %s%n", c.slotBase(),
                    Flags.names(c.undefinedFlags() | ALWAYS_IGNORED_FLAGS)));
            for (String d : differences) {
                sb.append("  ").append(d).append('\n');
            }
            return sb.toString();
        }
    }

    private Differ() {
    }

    /** Every case whose emulator result differs from the oracle's. */
    public static List<Mismatch> compare(BatchProgram program, BatchRunner.Outcome oracle, BatchRunner.Outcome subject) {
        List<Mismatch> out = new ArrayList<>();
        List<TestCase> cases = program.cases();
        int common = Math.min(oracle.results().size(), subject.results().size());
        for (int i = 0; i < common; i++) {
            List<String> d = differences(cases.get(i), oracle.results().get(i), subject.results().get(i), oracle.backend().name(),
                    subject.backend().name());
            if (!d.isEmpty()) {
                out.add(new Mismatch(cases.get(i), program.snippet(i), program.snippetAddress(i), d));
            }
        }
        if (subject.problem() != null && subject.stopCase() >= 0 && subject.stopCase() < cases.size()
                && subject.stopCase() < oracle.results().size()) {
            int i = subject.stopCase();
            out.add(new Mismatch(cases.get(i), program.snippet(i), program.snippetAddress(i), List.of(subject.problem())));
        }
        return out;
    }

    static List<String> differences(TestCase c, CaseResult want, CaseResult got, String wantName, String gotName) {
        List<String> d = new ArrayList<>();
        String w = wantName.toLowerCase(), g = gotName.toLowerCase();
        if (want.vector() != got.vector()) {
            d.add(String.format("exception: %s %s, %s %s", w, vectorName(want.vector()), g, vectorName(got.vector())));
        } else if (want.vector() >= 0) {
            if (want.errorCode() != got.errorCode()) {
                d.add(String.format("error code: %s 0x%x, %s 0x%x", w, want.errorCode(), g, got.errorCode()));
            }
            if (want.faultRip() != got.faultRip()) {
                d.add(String.format("exception rip: %s 0x%x, %s 0x%x", w, want.faultRip(), g, got.faultRip()));
            }
            if (want.vector() == 14 && want.cr2() != got.cr2()) {
                d.add(String.format("cr2: %s 0x%x, %s 0x%x", w, want.cr2(), g, got.cr2()));
            }
        }
        for (int r = 0; r < 16; r++) {
            if ((c.undefinedGprs() >>> r & 1) == 0 && want.state().gpr(r) != got.state().gpr(r)) {
                d.add(String.format("%s: %s %016x, %s %016x", CpuState.GPR_NAMES[r], w, want.state().gpr(r), g, got.state().gpr(r)));
            }
        }
        long mask = ~(c.undefinedFlags() | ALWAYS_IGNORED_FLAGS);
        long wf = want.state().rflags() & mask, gf = got.state().rflags() & mask;
        if (wf != gf) {
            d.add(String.format("rflags: %s %x, %s %x (differ in %s)", w, want.state().rflags(), g, got.state().rflags(),
                    Flags.names(wf ^ gf)));
        }
        if (c.sse()) {
            for (int x = 0; x < 16; x++) {
                if (want.state().xmmLow(x) != got.state().xmmLow(x) || want.state().xmmHigh(x) != got.state().xmmHigh(x)) {
                    d.add(String.format("xmm%d: %s %016x_%016x, %s %016x_%016x", x, w, want.state().xmmHigh(x), want.state().xmmLow(x),
                            g, got.state().xmmHigh(x), got.state().xmmLow(x)));
                }
            }
            if (want.state().mxcsr() != got.state().mxcsr()) {
                d.add(String.format("mxcsr: %s %08x, %s %08x", w, want.state().mxcsr(), g, got.state().mxcsr()));
            }
        }
        if (c.x87()) {
            x87(c, want.state().x87(), got.state().x87(), w, g, d);
        }
        memory(c, want.slot(), got.slot(), w, g, d);
        return d;
    }

    private static void x87(TestCase c, X87State want, X87State got, String w, String g, List<String> d) {
        if (want.fcw() != got.fcw()) {
            d.add(String.format("fcw: %s %04x, %s %04x", w, want.fcw(), g, got.fcw()));
        }
        int mask = ~c.undefinedFsw() & 0xffff;
        if ((want.fsw() & mask) != (got.fsw() & mask)) {
            d.add(String.format("fsw: %s %04x, %s %04x (compared bits %04x)", w, want.fsw(), g, got.fsw(), mask));
        }
        if (want.ftw() != got.ftw()) {
            d.add(String.format("ftw: %s %02x, %s %02x", w, want.ftw(), g, got.ftw()));
        }
        for (int i = 0; i < 8; i++) {
            long[] a = want.register(i), b = got.register(i);
            if (a[0] != b[0] || a[1] != b[1]) {
                d.add(String.format("st%d: %s %04x_%016x, %s %04x_%016x", i, w, a[0], a[1], g, b[0], b[1]));
            }
        }
    }

    private static void memory(TestCase c, byte[] want, byte[] got, String w, String g, List<String> d) {
        boolean[] skip = c.undefinedBytes();
        int i = 0;
        while (i < want.length) {
            if (want[i] == got[i] || skip != null && skip[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < want.length && i - start < 16 && (want[i] != got[i] && (skip == null || !skip[i]))) {
                i++;
            }
            d.add(String.format("memory 0x%x: %s %s, %s %s", c.slotBase() + start, w,
                    HexFormat.ofDelimiter(" ").formatHex(want, start, i), g, HexFormat.ofDelimiter(" ").formatHex(got, start, i)));
        }
    }

    static String vectorName(int v) {
        String[] names = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS", "#NP", "#SS", "#GP",
            "#PF", "15", "#MF", "#AC", "#MC", "#XM"};
        return v < 0 ? "none" : v < names.length ? names[v] : "vector " + v;
    }

    /**
     * A report grouping mismatches by instruction form, with the first {@code examples} cases of
     * each of the first {@code forms} forms in full.
     */
    public static String report(List<Mismatch> mismatches, int forms, int examples, boolean withXmm) {
        Map<String, List<Mismatch>> byForm = new LinkedHashMap<>();
        for (Mismatch m : mismatches) {
            byForm.computeIfAbsent(m.testCase().form(), k -> new ArrayList<>()).add(m);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%d cases differ, in %d instruction forms:%n", mismatches.size(), byForm.size()));
        byForm.forEach((form, list) -> sb.append(String.format("  %5d  %s%n", list.size(), form)));
        int shown = 0;
        for (Map.Entry<String, List<Mismatch>> e : byForm.entrySet()) {
            if (shown++ == forms) {
                sb.append(String.format("(%d more forms in the full report)%n", byForm.size() - forms));
                break;
            }
            sb.append("\n== ").append(e.getKey()).append('\n');
            e.getValue().stream().limit(examples).forEach(m -> sb.append(m.describe(withXmm)));
        }
        return sb.toString();
    }
}
