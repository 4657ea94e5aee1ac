package dev.jvisor.server.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The CPU list format of cpusets: parsing, the canonical form, masks and the check against online CPUs. */
class CpuSetTest {
    @Test
    void parsesNumbersRangesAndListsIntoTheCanonicalForm() {
        assertThat(CpuSet.parse("0")).hasToString("0");
        assertThat(CpuSet.parse("0-1")).hasToString("0-1");
        assertThat(CpuSet.parse("1,3")).hasToString("1,3");
        assertThat(CpuSet.parse("3,1,2")).hasToString("1-3");
        assertThat(CpuSet.parse("0-2,1-4,7,8")).hasToString("0-4,7-8");
        assertThat(CpuSet.parse("5-5")).hasToString("5");
        assertThat(CpuSet.parse("0-1")).isEqualTo(CpuSet.of(1, 0));
        assertThat(CpuSet.parse("1,3").size()).isEqualTo(2);
        assertThat(CpuSet.parse("1,3").last()).isEqualTo(3);
        assertThat(CpuSet.parse("8191")).hasToString("8191");
    }

    @Test
    void refusesBadListsSayingWhy() {
        assertThatThrownBy(() -> CpuSet.parse("")).hasMessageContaining("at least one CPU");
        assertThatThrownBy(() -> CpuSet.parse("a")).hasMessageContaining("'a' is not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse("5-2")).hasMessageContaining("range 5-2 runs backwards (write 2-5)");
        assertThatThrownBy(() -> CpuSet.parse("0,,1")).hasMessageContaining("empty item");
        assertThatThrownBy(() -> CpuSet.parse("0,")).hasMessageContaining("empty item");
        assertThatThrownBy(() -> CpuSet.parse("-1")).hasMessageContaining("'' is not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse("1-")).hasMessageContaining("'' is not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse("1-2-3")).hasMessageContaining("'2-3' is not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse(" 1")).hasMessageContaining("' 1' is not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse("+1")).hasMessageContaining("not a CPU number");
        assertThatThrownBy(() -> CpuSet.parse("8192")).hasMessageContaining("above the largest CPU number 8191");
        assertThatThrownBy(() -> CpuSet.parse("0-99999999999")).hasMessageContaining("CPU 99999999999 is above");
        assertThatThrownBy(() -> CpuSet.of()).hasMessageContaining("at least one CPU");
    }

    @Test
    void cpusBeyondTheOnlineOnesAreNamed() {
        CpuSet online = CpuSet.parse("0-1");
        CpuSet.parse("1").checkWithin(online);
        CpuSet.parse("0-1").checkWithin(online);
        assertThatThrownBy(() -> CpuSet.parse("2").checkWithin(online))
                .hasMessage("CPU 2 is not online on this host (online CPUs: 0-1)");
        assertThatThrownBy(() -> CpuSet.parse("1-3,7").checkWithin(online))
                .hasMessage("CPUs 2-3,7 are not online on this host (online CPUs: 0-1)");
        assertThatThrownBy(() -> CpuSet.parse("0,2").checkWithin(CpuSet.parse("0-1,3")))
                .hasMessage("CPU 2 is not online on this host (online CPUs: 0-1,3)");
    }

    @Test
    void thisHostsOnlineCpusIncludeCpuZeroAndMatchTheJvmsCount() {
        CpuSet online = CpuSet.online();
        assertThat(online.contains(0)).isTrue();
        assertThat(online.size()).isGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void masksAreCpuSetTWords() {
        assertThat(CpuSet.parse("0,65").mask(16)).containsExactly(1L, 2L);
        assertThat(CpuSet.parse("1").mask(128)).hasSize(16).startsWith(2L, 0L);
        assertThat(CpuSet.fromMask(new long[]{0b1010, 0})).hasToString("1,3");
    }
}
