package dev.jvisor.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.manager.HostBudget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle benchmark's plumbing on both back ends (its figures are printed, never asserted). */
class LifecycleBenchTest {
    @TempDir
    Path dir;

    private void runOn(String accel) throws Exception {
        try (DaemonFixture d = new DaemonFixture(dir, new HostBudget(4L << 30, 64))) {
            String kernel = d.kernel("R", TinyKernels.Ending.HALT);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            LifecycleBench.Result r = new LifecycleBench(d.client, kernel, accel)
                    .run(1.0, 2, 4, new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(r.cycles()).isPositive();
            assertThat(r.runningVms()).isEqualTo(4);
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("lifecycle: ").contains("overhead");
            // Everything the benchmark made is gone again.
            assertThat(d.json("GET", "/v1/vms", null)).isEmpty();
            assertThat(d.json("GET", "/v1/host", null).get("budget").get("used_memory_bytes").asLong()).isZero();
            System.out.print(out.toString(StandardCharsets.UTF_8));
            System.out.printf("%s: %.1f VMs/s, %.1f ms per cycle, overhead %.2f MiB per VM%n", accel, r.vmsPerSecond(),
                    r.meanMillis(), r.overheadBytesPerVm() / 1048576.0);
        }
    }

    @Test
    void emulatedTinyVms() throws Exception {
        runOn("emu");
    }

    @Test
    void kvmTinyVms() throws Exception {
        try (KvmHypervisor kvm = new KvmHypervisor()) {
            assumeTrue(kvm.availability().present(), "no usable /dev/kvm");
        }
        runOn("kvm");
    }
}
