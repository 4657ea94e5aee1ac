package dev.jvisor.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.DaemonFixture;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.manager.HostBudget;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input and actions in the wrong state: each gets a 4xx with a message that says what is wrong,
 * and nothing changes (the VM list and states are compared before and after).
 */
class RobustnessTest {
    @TempDir
    Path dir;
    private DaemonFixture d;
    private String kernel;

    @BeforeEach
    void start() throws Exception {
        d = new DaemonFixture(dir, new HostBudget(512L << 20, 8));
        kernel = d.kernel("", TinyKernels.Ending.IDLE);
        d.call("POST", "/v1/vms", d.vmJson("run", kernel, 32));
        d.call("POST", "/v1/vms", d.vmJson("idle", kernel, 32));
        d.json("POST", "/v1/vms/run/start", null);
    }

    @AfterEach
    void stop() {
        d.close();
    }

    private String snapshot() throws Exception {
        StringBuilder s = new StringBuilder();
        for (JsonNode vm : d.json("GET", "/v1/vms", null)) {
            s.append(vm.get("name").asText()).append('=').append(vm.get("state").asText()).append(' ')
                    .append(vm.get("definition")).append('\n');
        }
        return s.toString();
    }

    private void refused(String method, String path, String body, int status, String message) throws Exception {
        String before = snapshot();
        ApiClient.Response r = d.call(method, path, body);
        assertThat(r.status()).as(method + " " + path + " " + body + " -> " + r.text()).isEqualTo(status);
        JsonNode err = Json.mapper().readTree(r.body());
        assertThat(err.get("error").asText()).contains(message);
        assertThat(snapshot()).isEqualTo(before);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"name\":\"x\",                       | malformed JSON",
        "[1,2]                                  | must be a JSON object",
        "null                                   | JSON object",
        "{\"name\":\"x\",\"kernal\":\"/k\"}     | unknown field 'kernal'",
        "{\"name\":\"x\",\"memory_mib\":\"512\"} | field 'memory_mib' must be an integer",
        "{\"name\":\"x\",\"memory_mib\":1.5}    | field 'memory_mib' must be an integer",
        "{\"name\":\"x\",\"vcpus\":true}         | field 'vcpus' must be an integer",
        "{\"name\":5}                           | field 'name' must be a string",
        "{\"name\":\"x\",\"drives\":\"a\"}      | field 'drives' must be a list",
        "{\"name\":\"x\",\"name\":\"y\"}        | malformed JSON: Duplicate field 'name'",
        "{\"name\":\"x\"} {}                    | malformed JSON",
        "{\"name\":\"x\",\"memory_mib\":99999999999999999999} | memory_mib",
    })
    void malformedCreateRequestsAreRefused(String body, String message) throws Exception {
        refused("POST", "/v1/vms", body, 400, message);
    }

    @Test
    void badValuesAreRefusedWithWhatToFix() throws Exception {
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"memory_mib\":-5,\"kernel\":\"" + kernel + "\"}", 400,
                "memory_mib must be between 1 and");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"memory_mib\":0,\"kernel\":\"" + kernel + "\"}", 400, "memory_mib");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"vcpus\":100000,\"kernel\":\"" + kernel + "\"}", 400, "vcpus must be between");
        refused("POST", "/v1/vms", "{\"name\":\"../etc\",\"kernel\":\"" + kernel + "\"}", 400, "name must be");
        refused("POST", "/v1/vms", "{\"name\":\"x\"}", 400, "kernel is required");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"rel/k\"}", 400, "absolute path");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"/nonexistent/k\"}", 400, "does not exist");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"accel\":\"xen\"}", 400, "accel must be");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"drives\":[\"file=/d.img,bogus=1\"]}", 400,
                "unknown option 'bogus'");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"nets\":[\"ethernet\"]}", 400, "--net");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"cpu_weight\":0}", 400, "cpu weight");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"cpu_cap\":-1}", 400, "cpu cap");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"io_limits\":{\"disk\":{}}}", 400,
                "driveN or netN");
        refused("POST", "/v1/vms", "{\"name\":\"x\",\"memory_mib\":1048576,\"kernel\":\"" + kernel + "\"}", 409,
                "host budget is only");
    }

    @Test
    void badCpusetsAreRefusedAtCreateAndInLimits() throws Exception {
        String vm = "{\"name\":\"x\",\"kernel\":\"" + kernel + "\",\"cpuset\":";
        refused("POST", "/v1/vms", vm + "\"\"}", 400, "cpuset: a CPU list must name at least one CPU");
        refused("POST", "/v1/vms", vm + "\"a\"}", 400, "cpuset: CPU list 'a' must be CPU numbers and ranges");
        refused("POST", "/v1/vms", vm + "\"5-2\"}", 400, "range 5-2 runs backwards");
        refused("POST", "/v1/vms", vm + "\"0,\"}", 400, "empty item");
        refused("POST", "/v1/vms", vm + "7}", 400, "field 'cpuset' must be a string");
        int beyond = dev.jvisor.server.sched.CpuSet.online().last() + 1;
        refused("POST", "/v1/vms", vm + "\"0-" + beyond + "\"}", 400, "CPU " + beyond
                + " is not online on this host (online CPUs: " + dev.jvisor.server.sched.CpuSet.online() + ")");
        refused("PATCH", "/v1/vms/run/limits", "{\"cpu_weight\":500,\"cpuset\":\"" + beyond + "\"}", 400, "not online");
        refused("PATCH", "/v1/vms/idle/limits", "{\"cpuset\":\"x-1\"}", 400, "'x' is not a CPU number");
        // Accepted ones are stored in canonical form; "all" removes the pinning.
        JsonNode created = d.json("POST", "/v1/vms", vm + "\"0,0-0\"}");
        assertThat(created.get("definition").get("cpuset").asText()).isEqualTo("0");
        JsonNode changed = d.json("PATCH", "/v1/vms/x/limits", "{\"cpuset\":\"all\"}");
        assertThat(changed.get("definition").get("cpuset").isNull()).isTrue();
    }

    @Test
    void duplicateNamesAreRefused() throws Exception {
        refused("POST", "/v1/vms", d.vmJson("idle", kernel, 64), 409, "already exists");
    }

    @Test
    void actionsInTheWrongStateAreRefused() throws Exception {
        refused("POST", "/v1/vms/run/start", null, 409, "already running");
        refused("POST", "/v1/vms/run/resume", null, 409, "only a paused VM");
        refused("POST", "/v1/vms/idle/pause", null, 409, "only a running VM");
        refused("POST", "/v1/vms/idle/stop", null, 409, "is not running");
        refused("POST", "/v1/vms/idle/reboot", null, 409, "only a running or paused VM");
        refused("DELETE", "/v1/vms/run", null, 409, "stop it first");
        refused("POST", "/v1/vms/ghost/start", null, 404, "no VM named 'ghost'");
        refused("GET", "/v1/vms/ghost/stats", null, 404, "no VM named");
    }

    @Test
    void wrongMethodsPathsAndMediaTypesAreRefused() throws Exception {
        refused("PUT", "/v1/vms", "{}", 405, "not allowed");
        refused("GET", "/v1/vms/run/start", null, 405, "allowed: POST");
        refused("GET", "/v2/anything", null, 404, "no such endpoint");
        refused("POST", "/v1/vms/run/explode", null, 404, "no such VM action");
        refused("GET", "/v1/vms/run/logs?bytes=-1", null, 400, "bytes");
        refused("DELETE", "/v1/vms/run?force=maybe", null, 400, "force");
        refused("PATCH", "/v1/vms/run/limits", "{\"cpu_weight\":\"high\"}", 400, "must be an integer");
        refused("POST", "/v1/vms", "not json", 400, "malformed JSON");
        refused("POST", "/v1/vms", null, 400, "needs a JSON body");
    }

    /** Raw bytes on the socket: a broken request gets a clean error and the daemon keeps serving. */
    private String raw(String request) throws Exception {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(d.daemon.socket()))) {
            OutputStream out = Channels.newOutputStream(ch);
            InputStream in = Channels.newInputStream(ch);
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            ch.shutdownOutput();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void brokenHttpGetsCleanErrors() throws Exception {
        assertThat(raw("GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("GET /v1/vms HTTP/2.0\r\n\r\n")).startsWith("HTTP/1.1 505");
        assertThat(raw("POST /v1/vms HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")).startsWith("HTTP/1.1 413");
        assertThat(raw("POST /v1/vms HTTP/1.1\r\nContent-Length: -1\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("GET /v1/vms HTTP/1.1\r\nX: " + "a".repeat(40_000) + "\r\n\r\n")).startsWith("HTTP/1.1 431");
        assertThat(raw("POST /v1/vms HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"a\"")).startsWith("HTTP/1.1 400");
        assertThat(raw("POST /v1/vms HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                + "4\r\n{\"na\r\nzz\r\n")).startsWith("HTTP/1.1 400");
        // Chunked bodies are understood; two requests on one connection are both answered.
        String two = raw("GET /v1/host HTTP/1.1\r\n\r\nGET /v1/vms/idle HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertThat(two.split("HTTP/1.1 200", -1)).hasSize(3);
        String chunked = raw("POST /v1/vms HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "6\r\n{\"name\r\n3\r\n\":5\r\n1\r\n}\r\n0\r\n\r\n");
        assertThat(chunked).startsWith("HTTP/1.1 400").contains("field 'name' must be a string");
        assertThat(d.state("run")).isEqualTo("running");
    }
}
