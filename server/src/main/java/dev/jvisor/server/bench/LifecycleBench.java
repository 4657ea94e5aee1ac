package dev.jvisor.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.server.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code jvisor bench lifecycle}: through the daemon's API, as fast as it can for a while, create a
 * tiny VM, start it, wait for its first guest exit (the first byte it writes to COM1, reported by the
 * {@code first-output} event), stop it and delete it; several clients at once. Then start a batch of
 * VMs, keep them running, and measure the daemon's memory overhead per running VM: growth of its
 * resident set minus the guest RAM the guests (and the loader) touched.
 *
 * <p>The reference: Firecracker publishes 150 microVMs started per second per host and under 5 MiB
 * of VMM overhead per microVM.
 */
public final class LifecycleBench {
    /**
     * @param cycles       create→start→first exit→stop→delete cycles completed
     * @param seconds      time they took
     * @param vmsPerSecond cycles per second
     * @param meanMillis   mean cycle latency
     * @param overheadBytesPerVm daemon RSS growth per running VM minus its touched guest RAM
     * @param runningVms   VMs kept running for the overhead measurement
     */
    public record Result(long cycles, double seconds, double vmsPerSecond, double meanMillis, long overheadBytesPerVm,
                         int runningVms) {
    }

    private final ApiClient client;
    private final String kernel;
    private final String accel;
    private final Map<String, CompletableFuture<Void>> firstOutput = new ConcurrentHashMap<>();
    private final java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);

    /**
     * @param client a client of a running daemon
     * @param kernel absolute path (on the daemon's host) of a tiny kernel that writes to COM1 and halts
     * @param accel  {@code kvm} for the benchmark proper; {@code emu} where KVM is absent
     */
    public LifecycleBench(ApiClient client, String kernel, String accel) {
        this.client = client;
        this.kernel = kernel;
        this.accel = accel;
    }

    public Result run(double seconds, int clients, int keepRunning, PrintStream progress) throws IOException, InterruptedException {
        ApiClient.Open events = client.open("GET", "/v1/events", null, Map.of());
        Thread reader = Thread.ofVirtual().name("bench-events").start(() -> readEvents(events));
        try {
            // The daemon's opening comment says the subscription exists: no first-output is missed.
            if (!subscribed.await(30, TimeUnit.SECONDS)) {
                throw new IOException("the daemon's event stream did not open");
            }
            String prefix = "bench-" + ProcessHandle.current().pid() + "-";
            cycle(prefix + "warm"); // first use of the back end, class loading
            AtomicLong cycles = new AtomicLong();
            AtomicLong latencyNanos = new AtomicLong();
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            for (int c = 0; c < clients; c++) {
                int id = c;
                workers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; System.nanoTime() < end && failures.isEmpty(); i++) {
                        long t0 = System.nanoTime();
                        try {
                            cycle(prefix + id + "-" + i);
                        } catch (IOException | InterruptedException | RuntimeException e) {
                            failures.add(e);
                            return;
                        }
                        latencyNanos.addAndGet(System.nanoTime() - t0);
                        cycles.incrementAndGet();
                    }
                }));
            }
            for (Thread t : workers) {
                t.join();
            }
            if (!failures.isEmpty()) {
                throw new IOException("a lifecycle cycle failed: " + failures.getFirst().getMessage(), failures.getFirst());
            }
            double took = (System.nanoTime() - start) / 1e9;
            long n = cycles.get();
            progress.printf("lifecycle: %d VMs created, started to first exit, stopped and deleted in %.1f s by %d clients%n",
                    n, took, clients);
            long overhead = overhead(prefix, keepRunning, progress);
            return new Result(n, took, n / took, n == 0 ? 0 : latencyNanos.get() / 1e6 / n, overhead, keepRunning);
        } finally {
            events.close();
            reader.join(2000);
        }
    }

    private void readEvents(ApiClient.Open events) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(events.in(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(":")) {
                    subscribed.countDown();
                }
                if (line.startsWith("data: ")) {
                    JsonNode e = Json.mapper().readTree(line.substring(6));
                    if (e.get("type").asText().equals("first-output")) {
                        firstOutput.computeIfAbsent(e.get("vm").asText(), k -> new CompletableFuture<>()).complete(null);
                    }
                }
            }
        } catch (IOException e) {
            // the stream was closed at the end
        }
    }

    private void call(String method, String path, String body, int expected) throws IOException {
        ApiClient.Response r = client.send(method, path, body);
        if (r.status() != expected) {
            throw new IOException(method + " " + path + ": " + r.status() + " " + r.text());
        }
    }

    private void create(String name) throws IOException {
        call("POST", "/v1/vms", "{\"name\":\"" + name + "\",\"memory_mib\":16,\"kernel\":\"" + kernel
                + "\",\"accel\":\"" + accel + "\",\"rng\":false}", 201);
    }

    private void startToFirstExit(String name) throws IOException, InterruptedException {
        CompletableFuture<Void> seen = firstOutput.computeIfAbsent(name, k -> new CompletableFuture<>());
        call("POST", "/v1/vms/" + name + "/start", null, 200);
        try {
            seen.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("VM " + name + " did not write to its console within 30 s");
        } finally {
            firstOutput.remove(name);
        }
    }

    private void cycle(String name) throws IOException, InterruptedException {
        create(name);
        startToFirstExit(name);
        call("POST", "/v1/vms/" + name + "/stop", null, 200);
        call("DELETE", "/v1/vms/" + name, null, 204);
    }

    /** Starts {@code count} VMs, measures the daemon's RSS growth minus their touched guest RAM, deletes them. */
    private long overhead(String prefix, int count, PrintStream progress) throws IOException, InterruptedException {
        if (count < 1) {
            return -1;
        }
        System.gc();
        Thread.sleep(200);
        long before = daemonRss();
        List<String> names = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                String name = prefix + "keep-" + i;
                create(name);
                names.add(name);
                startToFirstExit(name);
            }
            Thread.sleep(200);
            long after = daemonRss();
            long guest = 0;
            for (String name : names) {
                JsonNode s = Json.mapper().readTree(client.get("/v1/vms/" + name + "/stats").body());
                guest += Math.max(0, s.get("memory_resident_bytes").asLong());
            }
            long perVm = (after - before - guest) / count;
            progress.printf("lifecycle: %d running VMs: daemon RSS %+.1f MiB, guest RAM touched %.1f MiB -> overhead %.2f MiB per VM%n",
                    count, (after - before) / 1048576.0, guest / 1048576.0, perVm / 1048576.0);
            return perVm;
        } finally {
            for (String name : names) {
                client.send("DELETE", "/v1/vms/" + name + "?force=true", null);
            }
        }
    }

    private long daemonRss() throws IOException {
        JsonNode host = Json.mapper().readTree(client.get("/v1/host").body());
        return host.get("daemon_resident_bytes").asLong();
    }
}
