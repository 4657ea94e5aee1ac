package dev.jvisor.vmm.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceComparisonTest {
    @TempDir
    Path dir;

    private static String qemu(long pc) {
        return String.format("Trace 0: 0x7f5850000100 [0000000000000000/%016x/0000c290/ff000201] ", pc);
    }

    private static String jvisor(long pc) {
        return String.format("cpu0 insn 0x%016x: nop", pc);
    }

    @Test
    void parsesBothFormats() {
        assertThat(TraceComparison.qemuAddress(qemu(0x431c2a0))).isEqualTo(0x431c2a0);
        assertThat(TraceComparison.jvisorAddress("cpu1 insn 0x0000000000100025 <work>: mov    $0x3f8,%edx"))
                .isEqualTo(0x100025);
        assertThat(TraceComparison.jvisorAddress("cpu0 io   out port 0x3f8 size 1 value 0x54")).isEqualTo(-1);
        assertThat(TraceComparison.qemuAddress("some other line")).isEqualTo(-1);
    }

    @Test
    void foldsRepeatsSkipsAnExcursionAndFindsTheRealDivergence() throws Exception {
        List<String> q = new ArrayList<>();
        List<String> j = new ArrayList<>();
        for (long pc = 0x1000; pc < 0x1040; pc += 4) {
            q.add(qemu(pc));
            j.add(jvisor(pc));
        }
        q.add(qemu(0x1040));
        q.add(qemu(0x1040)); // a REP string instruction: QEMU logs every iteration
        q.add(qemu(0x1040));
        j.add(jvisor(0x1040));
        for (long pc = 0x9000; pc < 0x9020; pc += 4) {
            j.add(jvisor(pc)); // a page-fault handler only jvisor ran
        }
        for (long pc = 0x1044; pc < 0x1080; pc += 4) {
            q.add(qemu(pc));
            j.add(jvisor(pc));
        }
        q.add(qemu(0x2000)); // the real divergence: different branch targets
        j.add(jvisor(0x3000));
        for (int k = 0; k < 20; k++) {
            q.add(qemu(0x2004 + 4L * k));
            j.add(jvisor(0x3004 + 4L * k));
        }
        Path qf = Files.write(dir.resolve("q.log"), q);
        Path jf = Files.write(dir.resolve("j.txt"), j);
        TraceComparison.Result r = new TraceComparison(0, Long.MAX_VALUE, -1, 1000, 4).compare(jf, qf);
        assertThat(r.divergence()).isNotNull();
        assertThat(r.divergence().reference()).isEqualTo(0x2000);
        assertThat(r.divergence().jvisor()).isEqualTo(0x3000);
        assertThat(r.divergence().context()).hasSize(4).last().asString().contains("0x000000000000107c");
        assertThat(r.resyncs()).isEqualTo(1);
        assertThat(r.matched()).isEqualTo(16 + 1 + 15);
    }

    @Test
    void identicalTracesMatchToTheEnd() throws Exception {
        List<String> q = new ArrayList<>();
        List<String> j = new ArrayList<>();
        for (long pc = 0x400000; pc < 0x400400; pc += 2) {
            q.add(qemu(pc));
            j.add(jvisor(pc));
        }
        TraceComparison.Result r = new TraceComparison(0, Long.MAX_VALUE, 0x400100, 100, 8)
                .compare(Files.write(dir.resolve("j.txt"), j), Files.write(dir.resolve("q.log"), q));
        assertThat(r.divergence()).isNull();
        assertThat(r.matched()).isEqualTo((0x400400 - 0x400100) / 2);
    }
}
