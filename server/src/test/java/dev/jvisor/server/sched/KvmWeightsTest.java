package dev.jvisor.server.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.manager.HostBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights and cpusets of KVM VMs through the daemon: two busy tiny KVM guests pinned to the same host
 * CPU with weights 100 and 300 get nice 5 and 0 and vCPU CPU time in a ratio near 3 (1024:335 = 3.06
 * by the kernel's weight table). CPU time is measured, not wall-clock speed; the tolerance (2.0-4.5)
 * absorbs the noise of a small shared host.
 */
class KvmWeightsTest {
    @TempDir
    Path dir;

    @Test
    void weights100And300OnOneCpuShareItAboutOneToThree() throws Exception {
        try (DaemonFixture d = new DaemonFixture(dir, new HostBudget(256L << 20, 8))) {
            JsonNode host = d.json("GET", "/v1/host", null);
            assertThat(host.get("online_cpus").asText()).isEqualTo(CpuSet.online().toString());
            JsonNode kvm = host.get("backends").get("kvm");
            assumeTrue(kvm.get("present").asBoolean(), "/dev/kvm is not usable here, so KVM weights cannot be tested: "
                    + kvm.get("reason").asText());
            int cpu = CpuSet.online().last();
            String k = d.kernel("", TinyKernels.Ending.SPIN);
            for (String[] vm : new String[][]{{"low", "100"}, {"high", "300"}}) {
                d.json("POST", "/v1/vms", "{\"name\":\"" + vm[0] + "\",\"memory_mib\":16,\"kernel\":\"" + k
                        + "\",\"accel\":\"kvm\",\"rng\":false,\"cpu_weight\":" + vm[1]
                        + ",\"cpuset\":\"" + cpu + "\"}");
                d.json("POST", "/v1/vms/" + vm[0] + "/start", null);
            }
            try {
                JsonNode low = stats(d, "low"), high = stats(d, "high");
                assertThat(low.get("host_nice").asInt()).isEqualTo(5);
                assertThat(high.get("host_nice").asInt()).isZero();
                assertThat(low.get("host_scheduling_problem").isNull()).as("%s", low).isTrue();
                assertThat(vcpuThreadAffinities()).hasSize(2).allMatch(a -> a.equals(String.valueOf(cpu)));
                assertThat(d.json("GET", "/v1/host", null).get("kvm_weights").get("last_warning").isNull()).isTrue();

                long a0 = low.get("cpu_nanos").asLong(), b0 = high.get("cpu_nanos").asLong();
                long a = a0, b = b0;
                long deadline = System.nanoTime() + 8_000_000_000L; // a hang guard, not a speed check
                while ((a - a0) + (b - b0) < 2_500_000_000L && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    a = stats(d, "low").get("cpu_nanos").asLong();
                    b = stats(d, "high").get("cpu_nanos").asLong();
                }
                double ratio = (double) (b - b0) / Math.max(1, a - a0);
                System.out.printf("KVM weights 300:100 on CPU %d: vCPU CPU time %.2f s : %.2f s, ratio %.2f%n", cpu,
                        (b - b0) / 1e9, (a - a0) / 1e9, ratio);
                assertThat(ratio).isBetween(2.0, 4.5);

                // A weight change applies while the VMs run; the heaviest VM keeps nice 0.
                d.json("PATCH", "/v1/vms/low/limits", "{\"cpu_weight\":600}");
                assertThat(stats(d, "low").get("host_nice").asInt()).isZero();
                assertThat(stats(d, "high").get("host_nice").asInt()).isEqualTo(3); // log(2)/log(1.25) = 3.1
                // Unpinned while running: the threads may use every CPU of the daemon again.
                d.json("PATCH", "/v1/vms/low/limits", "{\"cpuset\":\"all\"}");
                assertThat(vcpuThreadAffinities()).containsExactlyInAnyOrder(String.valueOf(cpu),
                        HostThreads.affinity((int) ProcessHandle.current().pid()).toString());
                // When the heaviest VM stops, the other becomes the heaviest.
                d.json("POST", "/v1/vms/low/stop", null);
                assertThat(stats(d, "high").get("host_nice").asInt()).isZero();
            } finally {
                for (String vm : new String[]{"low", "high"}) {
                    d.call("POST", "/v1/vms/" + vm + "/stop", null);
                }
            }
        }
    }

    private static JsonNode stats(DaemonFixture d, String vm) throws IOException {
        return d.json("GET", "/v1/vms/" + vm + "/stats", null);
    }

    /** Cpus_allowed_list of this process's KVM vCPU threads (named vcpu-N), from /proc/self/task (proc(5)). */
    private static List<String> vcpuThreadAffinities() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (!Files.readString(t.resolve("comm")).strip().matches("vcpu-\\d+")) {
                        continue;
                    }
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("Cpus_allowed_list:")) {
                            out.add(line.substring(line.indexOf(':') + 1).strip());
                        }
                    }
                } catch (IOException e) {
                    // the thread ended while listed
                }
            }
        }
        return out;
    }
}
