package dev.jvisor.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.manager.HostBudget;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API end to end over the Unix socket, with tiny emulated guests. */
class RestApiTest {
    @TempDir
    Path dir;
    private DaemonFixture d;

    @BeforeEach
    void start() throws Exception {
        d = new DaemonFixture(dir, new HostBudget(256L << 20, 8));
    }

    @AfterEach
    void stop() {
        d.close();
    }

    @Test
    void theSocketIsOnlyForItsOwner() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.daemon.socket()))).isEqualTo("rw-------");
    }

    @Test
    void servesItsOpenApiDocumentCoveringEveryRoute() throws Exception {
        JsonNode doc = d.json("GET", "/openapi.json", null);
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        List<String> paths = new ArrayList<>();
        doc.get("paths").fieldNames().forEachRemaining(paths::add);
        assertThat(paths).contains("/v1/vms", "/v1/vms/{name}", "/v1/vms/{name}/start", "/v1/vms/{name}/stop",
                "/v1/vms/{name}/pause", "/v1/vms/{name}/resume", "/v1/vms/{name}/reboot", "/v1/vms/{name}/limits",
                "/v1/vms/{name}/stats", "/v1/vms/{name}/logs", "/v1/vms/{name}/console", "/v1/events", "/v1/host",
                "/v1/networks", "/metrics");
    }

    @Test
    void theDocumentedSchemasNameExactlyTheFieldsOfTheResponses() throws Exception {
        JsonNode schemas = d.json("GET", "/openapi.json", null).get("components").get("schemas");
        d.json("POST", "/v1/vms", d.vmJson("doc", d.kernel("", TinyKernels.Ending.IDLE), 32));
        d.json("POST", "/v1/vms/doc/start", null);
        assertThat(fields(d.json("GET", "/v1/vms/doc", null).get("definition")))
                .isEqualTo(fields(schemas.get("Definition").get("properties")));
        assertThat(fields(d.json("GET", "/v1/vms/doc", null))).isEqualTo(fields(schemas.get("Vm").get("properties")));
        assertThat(fields(d.json("GET", "/v1/vms/doc/stats", null)))
                .isEqualTo(fields(schemas.get("Stats").get("properties")));
        assertThat(fields(d.json("GET", "/v1/host", null))).isEqualTo(fields(schemas.get("Host").get("properties")));
        assertThat(fields(d.json("GET", "/v1/host", null).get("kvm_weights")))
                .isEqualTo(fields(schemas.get("Host").get("properties").get("kvm_weights").get("properties")));
        assertThat(fields(Json.mapper().valueToTree(new RestApi.LimitsRequest(1, 1, "0", Map.of()))))
                .isEqualTo(fields(schemas.get("Limits").get("properties")));
    }

    private static java.util.Set<String> fields(JsonNode object) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aVmGoesThroughItsLifecycleAndEventsReportIt() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        ApiClient.Open stream = d.client.open("GET", "/v1/events?vm=a", null, Map.of());
        java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.in(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(":")) {
                        subscribed.countDown(); // the daemon's opening comment: the subscription exists
                    }
                    if (line.startsWith("data: ")) {
                        JsonNode e = Json.mapper().readTree(line.substring(6));
                        events.add(e.get("type").asText() + ":" + e.get("state").asText());
                    }
                }
            } catch (Exception e) {
                // stream closed
            }
        });
        assertThat(subscribed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String k = d.kernel("hello", TinyKernels.Ending.IDLE);
        ApiClient.Response created = d.call("POST", "/v1/vms", d.vmJson("a", k, 32));
        assertThat(created.status()).isEqualTo(201);
        assertThat(d.state("a")).isEqualTo("created");
        assertThat(d.json("POST", "/v1/vms/a/start", null).get("state").asText()).isEqualTo("running");
        assertThat(d.json("POST", "/v1/vms/a/pause", null).get("state").asText()).isEqualTo("paused");
        assertThat(d.json("POST", "/v1/vms/a/resume", null).get("state").asText()).isEqualTo("running");
        assertThat(d.json("POST", "/v1/vms/a/reboot", null).get("state").asText()).isEqualTo("running");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!d.call("GET", "/v1/vms/a/logs", null).text().contains("hello") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(d.call("GET", "/v1/vms/a/logs", null).text()).contains("hello");
        JsonNode stats = d.json("GET", "/v1/vms/a/stats", null);
        assertThat(stats.get("backend").asText()).isEqualTo("emu");
        assertThat(stats.get("instructions").asLong()).isPositive();
        assertThat(d.json("POST", "/v1/vms/a/stop", null).get("state").asText()).isEqualTo("stopped");
        assertThat(d.call("DELETE", "/v1/vms/a", null).status()).isEqualTo(204);
        assertThat(d.call("GET", "/v1/vms/a", null).status()).isEqualTo(404);
        deadline = System.nanoTime() + 10_000_000_000L;
        while (!events.contains("deleted:null") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stream.close();
        reader.join(5000);
        assertThat(events).containsSubsequence("created:created", "state:running", "state:paused", "state:running",
                "rebooted:running", "state:stopped", "deleted:null");
        assertThat(events).contains("first-output:running");
    }

    @Test
    void aCrashingGuestIsCrashedWithTheReasonAndOthersCarryOn() throws Exception {
        d.call("POST", "/v1/vms", d.vmJson("calm", d.kernel("", TinyKernels.Ending.IDLE), 32));
        d.call("POST", "/v1/vms", d.vmJson("bad", d.kernel("", TinyKernels.Ending.TRIPLE_FAULT), 32));
        d.json("POST", "/v1/vms/calm/start", null);
        d.json("POST", "/v1/vms/bad/start", null);
        d.awaitState("bad", "crashed");
        assertThat(d.json("GET", "/v1/vms/bad", null).get("reason").asText()).contains("triple fault");
        assertThat(d.state("calm")).isEqualTo("running");
        // A crashed VM gives its memory back and can be started again.
        assertThat(d.json("GET", "/v1/host", null).get("budget").get("used_memory_bytes").asLong()).isEqualTo(32L << 20);
        assertThat(d.json("POST", "/v1/vms/bad/start", null).get("state").asText()).isIn("running", "crashed");
    }

    @Test
    void aGuestThatPowersOffIsStoppedAndOneThatResetsIsRebooted() throws Exception {
        d.call("POST", "/v1/vms", d.vmJson("off", d.kernel("", TinyKernels.Ending.POWER_OFF), 32));
        d.json("POST", "/v1/vms/off/start", null);
        d.awaitState("off", "stopped");
        assertThat(d.json("GET", "/v1/vms/off", null).get("reason").asText()).contains("powered off");

        List<String> events = new CopyOnWriteArrayList<>();
        ApiClient.Open stream = d.client.open("GET", "/v1/events?vm=rst", null, Map.of());
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.in(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("event: ")) {
                        events.add(line.substring(7));
                    }
                }
            } catch (Exception e) {
                // closed
            }
        });
        d.call("POST", "/v1/vms", d.vmJson("rst", d.kernel("", TinyKernels.Ending.RESET), 32));
        d.json("POST", "/v1/vms/rst/start", null);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!events.contains("rebooted") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stream.close();
        assertThat(events).contains("rebooted");
        d.call("POST", "/v1/vms/rst/stop", null);
    }

    @Test
    void admissionControlNamesTheShortfall() throws Exception {
        d.call("POST", "/v1/vms", d.vmJson("big", d.kernel("", TinyKernels.Ending.IDLE), 200));
        d.call("POST", "/v1/vms", d.vmJson("more", d.kernel("", TinyKernels.Ending.IDLE), 100));
        d.json("POST", "/v1/vms/big/start", null);
        ApiClient.Response r = d.call("POST", "/v1/vms/more/start", null);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text()).contains("not enough memory").contains("short by 44 MiB");
        assertThat(d.state("more")).isEqualTo("created");
        ApiClient.Response huge = d.call("POST", "/v1/vms", d.vmJson("huge", d.kernel("", TinyKernels.Ending.IDLE), 4096));
        assertThat(huge.status()).isEqualTo(409);
        assertThat(huge.text()).contains("host budget is only 256 MiB");
        JsonNode host = d.json("GET", "/v1/host", null);
        assertThat(host.get("budget").get("used_memory_bytes").asLong()).isEqualTo(200L << 20);
        assertThat(host.get("budget").get("used_vcpus").asInt()).isEqualTo(1);
        d.json("POST", "/v1/vms/big/stop", null);
        assertThat(d.json("POST", "/v1/vms/more/start", null).get("state").asText()).isEqualTo("running");
    }

    @Test
    void limitsChangeWhileRunningAndPersist() throws Exception {
        Path disk = dir.resolve("d.raw");
        dev.jvisor.io.disk.ImageTool.create(disk, dev.jvisor.io.disk.DiskFormat.RAW, 1 << 20);
        String body = "{\"name\":\"io\",\"memory_mib\":32,\"kernel\":\"" + d.kernel("", TinyKernels.Ending.IDLE)
                + "\",\"accel\":\"emu\",\"drives\":[\"file=" + disk + ",format=raw\"],\"nets\":[\"switch=lan0\"]}";
        assertThat(d.call("POST", "/v1/vms", body).status()).isEqualTo(201);
        d.json("POST", "/v1/vms/io/start", null);
        JsonNode vm = d.json("PATCH", "/v1/vms/io/limits",
                "{\"cpu_weight\":300,\"cpu_cap\":50,\"io\":{\"drive0\":{\"rate\":\"10M/s\",\"burst\":\"1M\"},\"net0\":{\"rate\":\"1000op/s\"}}}");
        assertThat(vm.get("definition").get("cpu_cap").asInt()).isEqualTo(50);
        assertThat(vm.get("definition").get("io_limits").get("drive0").get("rate").asText()).isEqualTo("10M/s");
        String stored = Files.readString(dir.resolve("state/vms/io.json"));
        assertThat(stored).contains("\"cpu_weight\" : 300").contains("1000op/s");
        ApiClient.Response bad = d.call("PATCH", "/v1/vms/io/limits", "{\"io\":{\"drive3\":{\"rate\":\"1M/s\"}}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.text()).contains("drive3 does not exist");
        assertThat(d.call("PATCH", "/v1/vms/io/limits", "{\"cpu_cap\":150}").text()).contains("at most 100%");
        JsonNode nets = d.json("GET", "/v1/networks", null);
        assertThat(nets.get(0).get("name").asText()).isEqualTo("lan0");
        assertThat(nets.get(0).get("connected_ports").asInt()).isEqualTo(1);
        assertThat(d.call("GET", "/metrics", null).text())
                .contains("jvisor_vm_vcpu_seconds_total{vm=\"io\",backend=\"emu\"}")
                .contains("jvisor_vm_disk_read_bytes_total{vm=\"io\",drive=\"0\"} 0")
                .contains("jvisor_vm_net_tx_frames_total{vm=\"io\",iface=\"0\"}")
                .contains("jvisor_vm_memory_bytes{vm=\"io\"} 33554432");
    }

    @Test
    void theConsoleStreamsGuestOutputAndTakesInput() throws Exception {
        d.call("POST", "/v1/vms", d.vmJson("con", d.kernel("boot!", TinyKernels.Ending.IDLE), 32));
        try (ApiClient.Open early = d.client.open("GET", "/v1/vms/con/console", null,
                Map.of("Connection", "Upgrade", "Upgrade", RestApi.CONSOLE_PROTOCOL))) {
            assertThat(early.status()).isEqualTo(409); // not running
        }
        d.json("POST", "/v1/vms/con/start", null);
        assertThat(d.call("GET", "/v1/vms/con/console", null).status()).isEqualTo(400); // no Upgrade header
        ApiClient.Open console = d.client.open("GET", "/v1/vms/con/console", null,
                Map.of("Connection", "Upgrade", "Upgrade", RestApi.CONSOLE_PROTOCOL));
        assertThat(console.status()).isEqualTo(101);
        console.out().write("typed".getBytes(StandardCharsets.US_ASCII)); // goes to the UART's receiver
        console.out().flush();
        // A reboot runs the kernel again; the attached console sees its output.
        d.json("POST", "/v1/vms/con/reboot", null);
        byte[] want = "boot!".getBytes(StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[64];
        while (!got.toString(StandardCharsets.US_ASCII).contains("boot!")) {
            int n = console.in().read(buf);
            assertThat(n).as("console stream ended early").isPositive();
            got.write(buf, 0, n);
        }
        assertThat(got.toByteArray()).containsSubsequence(want);
        // Stopping the VM ends the console stream.
        d.json("POST", "/v1/vms/con/stop", null);
        while (console.in().read(buf) > 0) {
            // drain until the daemon closes it
        }
        console.close();
        assertThat(d.json("GET", "/v1/vms/con/stats", null).get("memory_resident_bytes").asLong()).isEqualTo(-1);
    }

    @Test
    void memoryIsTouchedLazilyOrUpFrontAsConfigured() throws Exception {
        String k = d.kernel("", TinyKernels.Ending.IDLE);
        d.call("POST", "/v1/vms", d.vmJson("lazy", k, 64));
        d.call("POST", "/v1/vms", "{\"name\":\"eager\",\"memory_mib\":64,\"kernel\":\"" + k
                + "\",\"accel\":\"emu\",\"prefault\":true}");
        d.json("POST", "/v1/vms/lazy/start", null);
        d.json("POST", "/v1/vms/eager/start", null);
        long lazy = d.json("GET", "/v1/vms/lazy/stats", null).get("memory_resident_bytes").asLong();
        long eager = d.json("GET", "/v1/vms/eager/stats", null).get("memory_resident_bytes").asLong();
        assertThat(lazy).isPositive().isLessThan(4L << 20); // the loader's and the guest's few pages
        assertThat(eager).isEqualTo(64L << 20); // every page, never more than the VM's size
    }
}
