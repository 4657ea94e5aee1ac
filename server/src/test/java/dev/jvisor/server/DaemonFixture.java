package dev.jvisor.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.manager.HostBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A daemon in a temporary state directory, a client for it, and tiny kernels on disk. */
public final class DaemonFixture implements AutoCloseable {
    public final Path dir;
    public final Daemon daemon;
    public final ApiClient client;

    public DaemonFixture(Path dir, HostBudget budget) throws IOException {
        this(dir, Daemon.Config.defaults(dir.resolve("state")).withBudget(budget).withWorkers(2).withLogs(4096, 2));
    }

    public DaemonFixture(Path dir, Daemon.Config config) throws IOException {
        this.dir = dir;
        this.daemon = Daemon.start(config);
        this.client = ApiClient.unix(daemon.socket());
    }

    /** Writes a tiny kernel (marker printed, then {@code ending}) and returns its absolute path. */
    public String kernel(String marker, TinyKernels.Ending ending) throws IOException {
        Path k = dir.resolve(ending + "-" + marker + ".elf");
        Files.write(k, TinyKernels.kernel(marker, ending));
        return k.toAbsolutePath().toString();
    }

    /** A create request for an emulated VM with {@code mib} MiB. */
    public String vmJson(String name, String kernel, int mib) {
        return "{\"name\":\"" + name + "\",\"memory_mib\":" + mib + ",\"kernel\":\"" + kernel
                + "\",\"accel\":\"emu\",\"rng\":false}";
    }

    public ApiClient.Response call(String method, String path, String body) throws IOException {
        return client.send(method, path, body);
    }

    public JsonNode json(String method, String path, String body) throws IOException {
        ApiClient.Response r = call(method, path, body);
        if (r.status() >= 300) {
            throw new IOException(method + " " + path + " -> " + r.status() + " " + r.text());
        }
        return Json.mapper().readTree(r.body());
    }

    public String state(String vm) throws IOException {
        return json("GET", "/v1/vms/" + vm, null).get("state").asText();
    }

    /** Polls until {@code vm} is in {@code state} (bounded; a guard against hangs, not a speed check). */
    public void awaitState(String vm, String state) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!state(vm).equals(state)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(vm + " did not reach " + state + "; it is " + state(vm));
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        daemon.close();
    }
}
