package dev.jvisor.kvm.bench;

import static dev.jvisor.testkit.Reg.AL;
import static dev.jvisor.testkit.Reg.DX;
import static dev.jvisor.testkit.Reg.ECX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KvmExitBenchTest {
    @Test
    void guestBytesAreTheDocumentedLoop() {
        Asm a = new Asm(16, KvmExitBench.CODE_ADDRESS);
        a.mov(DX, KvmExitBench.LOOP_PORT);
        Label loop = a.here();
        a.out(DX, AL).dec(ECX).j(Cond.NZ, loop).out(KvmExitBench.EXIT_PORT, AL).hlt();
        assertThat(KvmExitBench.guestCode()).isEqualTo(a.assemble());
    }

    @Test
    void measuresTheRequestedNumberOfExitsAndPrintsTheSummaryLast() {
        assumeTrue(new KvmHypervisor().availability().present(), "KVM is not usable here");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        KvmExitBench.Result r = KvmExitBench.run(3000, true, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(r.exits()).isEqualTo(3000);
        assertThat(r.totalNanos()).isPositive();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo(r.summary()).matches("kvm-exit: 3000 exits, \\d+ ns/exit");
        assertThat(lines[0]).startsWith("kvm-exit (C reference): ");
        if (!lines[0].contains("skipped")) {
            assertThat(lines[0]).matches("kvm-exit \\(C reference\\): 3000 exits, \\d+ ns/exit");
            assertThat(lines[1]).matches("kvm-exit Java/C ratio: \\d+\\.\\d\\d");
        }
    }

    @Test
    void badExitCountsAreRejected() {
        assertThatThrownBy(() -> KvmExitBench.measure(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvmExitBench.measure(1L << 32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvmExitBench.main(new String[]{"--bogus"})).isInstanceOf(IllegalArgumentException.class);
    }
}
