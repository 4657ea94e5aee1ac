package dev.jvisor.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.manager.HostBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 concurrent API clients create, start, pause, resume, stop and delete VMs with overlapping
 * names; afterwards the daemon's state is consistent (the VM list, the stored definitions and the
 * host budget agree), no request got a 5xx, and destroying VMs returns their memory and file
 * descriptors.
 */
class StressTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(180) // a guard against deadlock, not a speed check
    void hundredConcurrentClientsLeaveConsistentState() throws Exception {
        try (DaemonFixture d = new DaemonFixture(dir, new HostBudget(192L << 20, 64))) {
            String kernel = d.kernel("", TinyKernels.Ending.IDLE);
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            int clients = 100;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Random rnd = new Random(c);
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 12; i++) {
                            String name = "vm" + rnd.nextInt(20);
                            ApiClient.Response r = switch (rnd.nextInt(7)) {
                                case 0, 1 -> d.call("POST", "/v1/vms", d.vmJson(name, kernel, 16));
                                case 2, 3 -> d.call("POST", "/v1/vms/" + name + "/start", null);
                                case 4 -> d.call("POST", "/v1/vms/" + name + "/" + (rnd.nextBoolean() ? "pause" : "resume"), null);
                                case 5 -> d.call("POST", "/v1/vms/" + name + "/stop", null);
                                default -> d.call("DELETE", "/v1/vms/" + name + (rnd.nextBoolean() ? "?force=true" : ""), null);
                            };
                            statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(statuses.keySet()).allMatch(s -> s < 500, "no 5xx: " + statuses);
            assertThat(statuses.keySet()).contains(200, 201);

            // Consistency: the list, the stored definitions and the budget agree.
            JsonNode list = d.json("GET", "/v1/vms", null);
            TreeSet<String> listed = new TreeSet<>();
            long activeMemory = 0;
            int activeVcpus = 0;
            for (JsonNode vm : list) {
                listed.add(vm.get("name").asText());
                String state = vm.get("state").asText();
                assertThat(state).isIn("created", "running", "paused", "stopped", "crashed");
                if (state.equals("running") || state.equals("paused")) {
                    activeMemory += vm.get("memory_mib").asLong() << 20;
                    activeVcpus += vm.get("vcpus").asInt();
                }
            }
            TreeSet<String> stored = new TreeSet<>();
            try (var files = Files.list(dir.resolve("state/vms"))) {
                files.forEach(f -> stored.add(f.getFileName().toString().replace(".json", "")));
            }
            assertThat(stored).isEqualTo(listed);
            JsonNode budget = d.json("GET", "/v1/host", null).get("budget");
            assertThat(budget.get("used_memory_bytes").asLong()).isEqualTo(activeMemory);
            assertThat(budget.get("used_vcpus").asInt()).isEqualTo(activeVcpus);

            // Everything can still be driven to an end state, and then the budget is empty.
            for (String name : listed) {
                ApiClient.Response r = d.call("DELETE", "/v1/vms/" + name + "?force=true", null);
                assertThat(r.status()).isEqualTo(204);
            }
            assertThat(d.json("GET", "/v1/vms", null)).isEmpty();
            budget = d.json("GET", "/v1/host", null).get("budget");
            assertThat(budget.get("used_memory_bytes").asLong()).isZero();
            assertThat(budget.get("used_vcpus").asInt()).isZero();
        }
    }

    private static long vmSizeKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.substring(7).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no VmSize");
    }

    @Test
    void destroyingVmsReturnsTheirMemoryAndFileDescriptors() throws Exception {
        try (DaemonFixture d = new DaemonFixture(dir, new HostBudget(1L << 30, 16))) {
            String kernel = d.kernel("x", TinyKernels.Ending.IDLE);
            Path disk = dir.resolve("d.raw");
            dev.jvisor.io.disk.ImageTool.create(disk, dev.jvisor.io.disk.DiskFormat.RAW, 1 << 20);
            String body = "{\"name\":\"NAME\",\"memory_mib\":128,\"kernel\":\"" + kernel + "\",\"accel\":\"emu\","
                    + "\"drives\":[\"file=" + disk + ",format=raw\"],\"nets\":[\"switch=s\"]}";
            cycle(d, body.replace("NAME", "warm"));
            int fds = HostProcess.openFileDescriptors();
            long vmSize = vmSizeKb();
            for (int i = 0; i < 20; i++) {
                cycle(d, body.replace("NAME", "v" + i));
            }
            // 20 leaked guests would hold 2.5 GiB of address space and at least 20 image fds.
            assertThat(vmSizeKb() - vmSize).isLessThan(128 * 1024);
            assertThat(HostProcess.openFileDescriptors()).isLessThanOrEqualTo(fds + 4);
        }
    }

    private static void cycle(DaemonFixture d, String body) throws Exception {
        String name = body.substring(body.indexOf("\"name\":\"") + 8, body.indexOf("\",\"memory"));
        assertThat(d.call("POST", "/v1/vms", body).status()).isEqualTo(201);
        d.json("POST", "/v1/vms/" + name + "/start", null);
        d.json("POST", "/v1/vms/" + name + "/stop", null);
        assertThat(d.call("DELETE", "/v1/vms/" + name, null).status()).isEqualTo(204);
    }
}
