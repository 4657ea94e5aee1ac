package dev.jvisor.conformance.differential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.testkit.Mem;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The differential framework itself, without any back end: memory operands address what the
 * generator meant, the comparison honours what a case declares undefined and catches the rest,
 * known-bug patterns match only their bug's shape, and campaigns are deterministic in their seed.
 */
class FrameworkTest {
    @Test
    void memoryOperandsAddressTheirTargetInEveryForm() {
        for (int seed = 0; seed < 5000; seed++) {
            CaseBuilder b = new CaseBuilder(new Random(seed), BatchProgram.slotBase(3));
            long target = b.target(8);
            Mem m;
            try {
                m = b.memAt(target);
            } catch (IllegalArgumentException e) {
                continue;       // a form that could not be built this time; the caller draws again
            }
            assertThat(Operands.address(b, m)).as("seed %d: %s", seed, m).isEqualTo(target);
        }
    }

    @Test
    void comparisonSkipsUndefinedFlagsRegistersAndBytesButNothingElse() {
        TestCase c = new TestCase(0, 0, "t", "t", List.of("t"), a -> a.nop(), state(0, 0x202), 0x600000, new byte[16],
                Flags.AF, 1 << 3, undefinedByte(16, 5), false, 0);
        CaseResult want = new CaseResult(state(7, 0x202), -1, 0, 0, 0, new byte[16]);
        byte[] changed = new byte[16];
        changed[5] = 1;
        CaseResult same = new CaseResult(stateWithRbx(7, 0x212, 99), -1, 0, 0, 0, changed);
        assertThat(Differ.differences(c, want, same, "kvm", "emu")).as("AF, RBX and byte 5 are undefined").isEmpty();
        changed[6] = 1;
        CaseResult differs = new CaseResult(state(8, 0x203), 13, 0, 0, 0, changed);
        assertThat(Differ.differences(c, want, differs, "kvm", "emu")).containsExactly(
                "exception: kvm none, emu #GP",
                "rax: kvm 0000000000000007, emu 0000000000000008",
                "rflags: kvm 202, emu 203 (differ in CF)",
                "memory 0x600006: kvm 00, emu 01");
    }

    @Test
    void noMismatchIsSetAsideWhileNoBugIsKnown() {
        // Every known bug is fixed: the random runs must report every mismatch, hiding none.
        assertThat(KnownEmulatorBug.values()).isEmpty();
        assertThat(explains("mov qword ptr [r13], r13   ; r13=0x1234000000000e3b", "exception: kvm #GP, emu #SS"))
                .isNull();
        assertThat(explains("mov rax, qword ptr [r13]", "rax: kvm 1, emu 2")).isNull();
    }

    @Test
    void campaignsAreDeterministicInTheirSeed() {
        List<TestCase> a = Campaign.batch("alu", n -> Category.ALU.generator(), 42, 0, 50);
        List<TestCase> b = Campaign.batch("alu", n -> Category.ALU.generator(), 42, 0, 50);
        List<TestCase> c = Campaign.batch("alu", n -> Category.ALU.generator(), 43, 0, 50);
        assertThat(a).extracting(TestCase::text).isEqualTo(b.stream().map(TestCase::text).toList());
        assertThat(a).extracting(TestCase::initial).isEqualTo(b.stream().map(TestCase::initial).toList());
        assertThat(a).extracting(TestCase::text).isNotEqualTo(c.stream().map(TestCase::text).toList());
    }

    @Test
    void everyCategoryProducesEncodableCases() {
        for (Category category : Category.values()) {
            List<TestCase> cases = Campaign.batch(category.label(), n -> category.generator(), 7, 0, 64);
            BatchProgram program = new BatchProgram(cases);
            for (int i = 0; i < cases.size(); i++) {
                assertThat(program.snippet(i)).as("%s case %d: %s", category, i, cases.get(i).text()).isNotEmpty();
            }
        }
    }

    @Test
    void badSettingsAreRejectedClearly() {
        String old = System.getProperty("jvisor.diff.scale");
        try {
            System.setProperty("jvisor.diff.scale", "lots");
            assertThatThrownBy(() -> Campaign.count(10)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jvisor.diff.scale");
            System.setProperty("jvisor.diff.scale", "-1");
            assertThatThrownBy(() -> Campaign.count(10)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            if (old == null) {
                System.clearProperty("jvisor.diff.scale");
            } else {
                System.setProperty("jvisor.diff.scale", old);
            }
        }
        assertThatThrownBy(() -> new BatchProgram(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static KnownEmulatorBug explains(String instruction, String difference) {
        TestCase c = new TestCase(0, 0, "t", "t", List.of(instruction), a -> a.nop(), state(0, 2), 0, new byte[0], 0, 0, null, false, 0);
        return KnownEmulatorBug.explaining(new Differ.Mismatch(c, new byte[0], 0, List.of(difference)));
    }

    private static CpuState state(long rax, long rflags) {
        return stateWithRbx(rax, rflags, 0);
    }

    private static CpuState stateWithRbx(long rax, long rflags, long rbx) {
        long[] g = new long[16];
        g[0] = rax;
        g[3] = rbx;
        return new CpuState(g, rflags, new long[32], 0x1f80);
    }

    private static boolean[] undefinedByte(int size, int index) {
        boolean[] b = new boolean[size];
        b[index] = true;
        return b;
    }
}
