package dev.jvisor.server.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.http.HttpServer;
import dev.jvisor.server.json.Json;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Firecracker-compatible endpoint driven by curl exactly as Firecracker's getting-started guide
 * does (logger, boot source, root drive, InstanceStart), and its error behaviour: 400 with a
 * {@code fault_message}, nothing changed.
 */
class FirecrackerApiTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream serial = new ByteArrayOutputStream();
    private FirecrackerApi api;
    private HttpServer server;
    private Path socket;

    @BeforeEach
    void start() throws Exception {
        api = new FirecrackerApi(serial, VmConfig.Accel.AUTO);
        server = new HttpServer(api);
        socket = dir.resolve("firecracker.socket");
        server.listenUnix(socket);
    }

    @AfterEach
    void stop() {
        server.close();
        api.close();
    }

    /** Runs curl like the guide: {@code curl -X METHOD --unix-socket SOCK --data BODY URL}; returns status and body. */
    private String[] curl(String method, String path, String data) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method,
                "--unix-socket", socket.toString()));
        if (data != null) {
            cmd.add("--data");
            cmd.add(data);
        }
        cmd.add("http://localhost" + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int nl = out.lastIndexOf('\n');
        return new String[]{out.substring(nl + 1), out.substring(0, nl)};
    }

    private static boolean hasCurl() {
        try {
            return new ProcessBuilder("curl", "--version").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theGettingStartedSequenceBootsAGuest() throws Exception {
        assumeTrue(hasCurl(), "curl is not installed");
        Path kernel = dir.resolve("vmlinux");
        Files.write(kernel, TinyKernels.kernel("booted\n", TinyKernels.Ending.POWER_OFF));
        Path rootfs = dir.resolve("rootfs.ext4");
        Files.write(rootfs, new byte[1 << 20]);
        Path logfile = dir.resolve("firecracker.log");
        Files.createFile(logfile);
        assertThat(curl("PUT", "/logger", "{\"log_path\": \"" + logfile + "\", \"level\": \"Debug\", \"show_level\": true, \"show_log_origin\": true}")[0])
                .isEqualTo("204");
        assertThat(curl("PUT", "/boot-source", "{\"kernel_image_path\": \"" + kernel
                + "\", \"boot_args\": \"console=ttyS0 reboot=k panic=1 pci=off\"}")[0]).isEqualTo("204");
        assertThat(curl("PUT", "/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + rootfs
                + "\", \"is_root_device\": true, \"is_read_only\": false}")[0]).isEqualTo("204");
        assertThat(curl("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}")[0]).isEqualTo("204");
        assertThat(curl("PUT", "/metrics", "{\"metrics_path\": \"" + dir.resolve("metrics.json") + "\"}")[0]).isEqualTo("204");
        JsonNode info = Json.mapper().readTree(curl("GET", "/", null)[1]);
        assertThat(info.get("state").asText()).isEqualTo("Not started");
        JsonNode config = Json.mapper().readTree(curl("GET", "/vm/config", null)[1]);
        assertThat(config.get("boot-source").get("kernel_image_path").asText()).isEqualTo(kernel.toString());
        assertThat(config.get("drives").get(0).get("is_root_device").asBoolean()).isTrue();
        assertThat(config.get("machine-config").get("mem_size_mib").asInt()).isEqualTo(64);

        assertThat(curl("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}")[0]).isEqualTo("204");
        ExitReason r = api.exit().get(30, TimeUnit.SECONDS);
        assertThat(r).isInstanceOf(ExitReason.PowerOff.class);
        assertThat(serial.toString(StandardCharsets.US_ASCII)).isEqualTo("booted\n");
        assertThat(Files.readString(logfile)).contains("PUT request on \"/boot-source\"").contains("Successfully started microvm");
        // After the start, configuration is refused; FlushMetrics writes a line.
        String[] late = curl("PUT", "/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}");
        assertThat(late[0]).isEqualTo("400");
        assertThat(Json.mapper().readTree(late[1]).get("fault_message").asText()).contains("after starting");
        assertThat(curl("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}")[0]).isEqualTo("204");
        assertThat(Files.readString(dir.resolve("metrics.json"))).contains("\"drive_id\":\"rootfs\"");
    }

    private void fault(String method, String path, String body, String message) throws Exception {
        ApiClient c = ApiClient.unix(socket);
        String before = c.get("/vm/config").text();
        ApiClient.Response r = c.send(method, path, body);
        assertThat(r.status()).as(path + " " + body).isEqualTo(400);
        assertThat(Json.mapper().readTree(r.body()).get("fault_message").asText()).contains(message);
        assertThat(c.get("/vm/config").text()).isEqualTo(before);
    }

    @Test
    void badRequestsGetA400FaultMessageAndChangeNothing() throws Exception {
        Path kernel = dir.resolve("k");
        Files.write(kernel, TinyKernels.kernel("", TinyKernels.Ending.IDLE));
        fault("PUT", "/boot-source", "{\"kernel_image_path\": \"/nope\"}", "Invalid kernel_image_path");
        fault("PUT", "/boot-source", "{\"kernel_image_path\": 5}", "must be a string");
        fault("PUT", "/boot-source", "{\"kernel_image_path\": \"" + kernel + "\", \"extra\": 1}", "unknown field 'extra'");
        fault("PUT", "/boot-source", "{", "malformed JSON");
        fault("PUT", "/machine-config", "{\"vcpu_count\": 0, \"mem_size_mib\": 64}", "vCPU number is invalid");
        fault("PUT", "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": -1}", "memory size");
        fault("PUT", "/machine-config", "{\"vcpu_count\": 1}", "required");
        fault("PUT", "/drives/a", "{\"drive_id\": \"b\", \"path_on_host\": \"" + kernel + "\", \"is_root_device\": false}",
                "does not match");
        fault("PUT", "/drives/a", "{\"drive_id\": \"a\", \"path_on_host\": \"" + kernel + "\", \"is_root_device\": false,"
                + " \"rate_limiter\": {\"bandwidth\": {\"size\": -1, \"refill_time\": 100}}}", "negative");
        fault("PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"zz\"}", "");
        fault("PUT", "/actions", "{\"action_type\": \"Explode\"}", "action_type must be");
        fault("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", "without kernel configuration");
        fault("PATCH", "/vm", "{\"state\": \"Paused\"}", "before starting");
        fault("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", "not initialized");
        fault("GET", "/nothing", null, "Invalid request method and/or path");
        fault("DELETE", "/boot-source", null, "Invalid request method and/or path");
    }

    @Test
    void pauseResumeAndLiveRateLimits() throws Exception {
        Path kernel = dir.resolve("k");
        Files.write(kernel, TinyKernels.kernel("x", TinyKernels.Ending.IDLE));
        Path data = dir.resolve("data.img");
        Files.write(data, new byte[1 << 20]);
        ApiClient c = ApiClient.unix(socket);
        assertThat(c.send("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\"}").status()).isEqualTo(204);
        assertThat(c.send("PUT", "/drives/data", "{\"drive_id\":\"data\",\"path_on_host\":\"" + data
                + "\",\"is_root_device\":false,\"is_read_only\":true}").status()).isEqualTo(204);
        assertThat(c.send("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}").status()).isEqualTo(204);
        assertThat(c.send("PATCH", "/vm", "{\"state\":\"Paused\"}").status()).isEqualTo(204);
        assertThat(Json.mapper().readTree(c.get("/").body()).get("state").asText()).isEqualTo("Paused");
        assertThat(c.send("PATCH", "/vm", "{\"state\":\"Resumed\"}").status()).isEqualTo(204);
        assertThat(Json.mapper().readTree(c.get("/").body()).get("state").asText()).isEqualTo("Running");
        assertThat(c.send("PATCH", "/drives/data", "{\"drive_id\":\"data\",\"rate_limiter\":{\"bandwidth\":"
                + "{\"size\":1048576,\"refill_time\":1000}}}").status()).isEqualTo(204);
        assertThat(api.machine().virtio().driveLimiter(0).isLimited()).isTrue();
        assertThat(c.send("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status()).isEqualTo(204);
    }
}
