package dev.jvisor.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.ImageTool;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.manager.HostBudget;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Definitions survive a clean restart and an abrupt kill (SIGKILL) of a daemon in another process. */
class PersistenceTest {
    @TempDir
    Path dir;

    @Test
    void definitionsSurviveARestart() throws Exception {
        Path state = dir.resolve("state");
        String kernel;
        try (DaemonFixture d = new DaemonFixture(dir, Daemon.Config.defaults(state).withBudget(new HostBudget(1L << 30, 8)))) {
            kernel = d.kernel("", TinyKernels.Ending.IDLE);
            d.call("POST", "/v1/vms", d.vmJson("keep", kernel, 32));
            d.json("POST", "/v1/vms/keep/start", null);
            d.json("PATCH", "/v1/vms/keep/limits", "{\"cpu_cap\":40}");
            d.call("POST", "/v1/vms", d.vmJson("gone", kernel, 32));
            d.call("DELETE", "/v1/vms/gone", null);
        }
        try (DaemonFixture d = new DaemonFixture(dir, Daemon.Config.defaults(state).withBudget(new HostBudget(1L << 30, 8)))) {
            JsonNode list = d.json("GET", "/v1/vms", null);
            assertThat(list).hasSize(1);
            assertThat(list.get(0).get("name").asText()).isEqualTo("keep");
            assertThat(list.get(0).get("state").asText()).isEqualTo("stopped");
            assertThat(list.get(0).get("definition").get("cpu_cap").asInt()).isEqualTo(40);
            assertThat(d.json("POST", "/v1/vms/keep/start", null).get("state").asText()).isEqualTo("running");
        }
    }

    @Test
    void aSecondDaemonOnTheSameStateIsRefused() throws Exception {
        Path state = dir.resolve("state");
        try (DaemonFixture d = new DaemonFixture(dir, Daemon.Config.defaults(state))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.start(Daemon.Config.defaults(state)
                    .withSocket(dir.resolve("other.sock")))).hasMessageContaining("another jvisor daemon");
        }
    }

    @Test
    @Timeout(120)
    void anAbruptKillLeavesDefinitionsAndImagesUsable() throws Exception {
        Path state = dir.resolve("state");
        Path kernel = dir.resolve("k.elf");
        Files.write(kernel, TinyKernels.kernel("up", TinyKernels.Ending.IDLE));
        Path disk = dir.resolve("disk.qcow2");
        ImageTool.create(disk, DiskFormat.QCOW2, 8 << 20);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DaemonLauncher.class.getName(), state.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("ready")) {
                // log lines before the daemon is up
            }
            assertThat(line).as("the daemon process started").isNotNull();
            Thread.ofVirtual().start(() -> {
                try {
                    while (out.readLine() != null) {
                        // drain
                    }
                } catch (Exception e) {
                    // process gone
                }
            });
            ApiClient c = ApiClient.unix(state.resolve("jvisor.sock"));
            String body = "{\"name\":\"db\",\"memory_mib\":32,\"kernel\":\"" + kernel + "\",\"accel\":\"emu\","
                    + "\"drives\":[\"file=" + disk + ",format=qcow2\"]}";
            assertThat(c.send("POST", "/v1/vms", body).status()).isEqualTo(201);
            assertThat(c.send("POST", "/v1/vms/db/start", null).status()).isEqualTo(200);
            // Keep the daemon rewriting definitions while it is killed.
            AtomicBoolean run = new AtomicBoolean(true);
            AtomicInteger writes = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                writers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; run.get(); i++) {
                        try {
                            c.send("PATCH", "/v1/vms/db/limits", "{\"cpu_weight\":" + (1 + i % 9000) + "}");
                            c.send("POST", "/v1/vms", "{\"name\":\"w" + id + "-" + i + "\",\"kernel\":\"" + kernel + "\"}");
                            writes.incrementAndGet();
                        } catch (Exception e) {
                            return; // the daemon died
                        }
                    }
                }));
            }
            while (writes.get() < 40) {
                Thread.sleep(10);
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            run.set(false);
            for (Thread t : writers) {
                t.join();
            }
        } finally {
            p.destroyForcibly();
        }
        try (var files = Files.list(state.resolve("vms"))) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .allMatch(n -> n.endsWith(".json") || n.startsWith(".tmp-"), "only definitions and temporaries");
        }
        try (DaemonFixture d = new DaemonFixture(dir, Daemon.Config.defaults(state).withBudget(new HostBudget(1L << 30, 8)))) {
            try (var files = Files.list(state.resolve("vms"))) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .noneMatch(n -> n.endsWith(".bad") || n.startsWith(".tmp-"));
            }
            JsonNode list = d.json("GET", "/v1/vms", null);
            assertThat(list.size()).isGreaterThan(1);
            JsonNode db = d.json("GET", "/v1/vms/db", null);
            assertThat(db.get("state").asText()).isEqualTo("stopped");
            // The image is intact and unlocked: the VM starts again and its disk is usable.
            assertThat(d.json("POST", "/v1/vms/db/start", null).get("state").asText()).isEqualTo("running");
            assertThat(Json.mapper().readTree(d.call("GET", "/v1/vms/db/stats", null).body()).get("drives")).hasSize(1);
        }
        var check = ImageTool.check(disk);
        assertThat(check.corruptions()).isZero();
    }
}
