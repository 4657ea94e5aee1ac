package dev.jvisor.server.api;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.server.http.HttpException;
import dev.jvisor.server.http.HttpHandler;
import dev.jvisor.server.http.HttpRequest;
import dev.jvisor.server.http.HttpResponse;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.json.JsonInputException;
import dev.jvisor.server.manager.ConsoleTap;
import dev.jvisor.server.manager.EventBus;
import dev.jvisor.server.manager.HostBudget;
import dev.jvisor.server.manager.ServiceException;
import dev.jvisor.server.manager.VmDefinition;
import dev.jvisor.server.manager.VmEvent;
import dev.jvisor.server.manager.VmInfo;
import dev.jvisor.server.manager.VmManager;
import dev.jvisor.server.manager.VmState;
import dev.jvisor.server.sched.CpuSet;
import dev.jvisor.server.sched.KvmVcpuThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * jvisor's REST API (described by {@code /openapi.json}): requests are parsed into calls on the
 * {@link VmManager}; errors are JSON {@code {"error": "..."}} with a 4xx status that says whose
 * mistake it was (400 bad input, 404 no such VM, 405 wrong method, 409 wrong state, duplicate name
 * or no room in the host budget, 422 the host could not build the VM).
 */
public final class RestApi implements HttpHandler {
    /** Upgrade protocol name of the console stream. */
    public static final String CONSOLE_PROTOCOL = "jvisor-console";

    private final VmManager manager;
    private final byte[] openApi;

    public RestApi(VmManager manager) {
        this.manager = manager;
        try (InputStream in = RestApi.class.getResourceAsStream("/dev/jvisor/server/openapi.json")) {
            this.openApi = in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("openapi.json is missing from the build", e);
        }
    }

    /** Body of {@code PATCH /v1/vms/{name}/limits}. */
    public record LimitsRequest(Integer cpuWeight, Integer cpuCap, String cpuset,
                                Map<String, VmDefinition.IoLimit> io) {
    }

    @Override
    public HttpResponse handle(HttpRequest req) throws HttpException {
        String[] p = segments(req.path());
        try {
            if (p.length == 1 && p[0].equals("openapi.json")) {
                method(req, "GET");
                return new HttpResponse.Fixed(200, Map.of("Content-Type", "application/json"), openApi);
            }
            if (p.length == 1 && p[0].equals("metrics")) {
                method(req, "GET");
                return HttpResponse.text(200, PrometheusMetrics.CONTENT_TYPE, PrometheusMetrics.render(manager.allStats(),
                        manager.budget().usage(), HostProcess.residentBytes()));
            }
            if (p.length < 2 || !p[0].equals("v1")) {
                throw new HttpException(404, "no such endpoint: " + req.path() + " (see /openapi.json)");
            }
            return switch (p[1]) {
                case "host" -> {
                    requireLength(p, 2, req);
                    method(req, "GET");
                    yield ok(hostInfo());
                }
                case "networks" -> {
                    requireLength(p, 2, req);
                    method(req, "GET");
                    yield ok(networks());
                }
                case "events" -> {
                    requireLength(p, 2, req);
                    method(req, "GET");
                    yield events(req.query().get("vm"));
                }
                case "vms" -> vms(req, p);
                default -> throw new HttpException(404, "no such endpoint: " + req.path() + " (see /openapi.json)");
            };
        } catch (ServiceException e) {
            throw new HttpException(e.httpStatus(), e.getMessage());
        } catch (JsonInputException e) {
            throw new HttpException(400, e.getMessage());
        }
    }

    private HttpResponse vms(HttpRequest req, String[] p) throws HttpException, ServiceException, JsonInputException {
        if (p.length == 2) {
            return switch (req.method()) {
                case "GET" -> ok(manager.list());
                case "POST" -> {
                    requireJson(req);
                    yield json(201, manager.create(Json.read(req.body(), VmDefinition.class)));
                }
                default -> throw notAllowed(req, "GET, POST");
            };
        }
        String name = p[2];
        if (p.length == 3) {
            return switch (req.method()) {
                case "GET" -> ok(manager.get(name));
                case "DELETE" -> {
                    manager.delete(name, flag(req, "force"));
                    yield HttpResponse.empty(204);
                }
                default -> throw notAllowed(req, "GET, DELETE");
            };
        }
        if (p.length != 4) {
            throw new HttpException(404, "no such endpoint: " + req.path());
        }
        String action = p[3];
        return switch (action) {
            case "start", "stop", "pause", "resume", "reboot", "power-button" -> {
                method(req, "POST");
                VmInfo info = switch (action) {
                    case "start" -> manager.start(name);
                    case "stop" -> manager.stop(name);
                    case "pause" -> manager.pause(name);
                    case "resume" -> manager.resume(name);
                    case "reboot" -> manager.reboot(name);
                    default -> {
                        manager.powerButton(name);
                        yield manager.get(name);
                    }
                };
                yield ok(info);
            }
            case "limits" -> {
                method(req, "PATCH");
                requireJson(req);
                LimitsRequest l = Json.read(req.body(), LimitsRequest.class);
                yield ok(manager.setLimits(name, l.cpuWeight(), l.cpuCap(), l.cpuset(), l.io()));
            }
            case "stats" -> {
                method(req, "GET");
                yield ok(manager.stats(name));
            }
            case "logs" -> {
                method(req, "GET");
                int bytes = intParam(req, "bytes", 64 << 10, 1, 16 << 20);
                yield new HttpResponse.Fixed(200, Map.of("Content-Type", "text/plain; charset=utf-8"),
                        manager.logs(name, bytes));
            }
            case "console" -> {
                method(req, "GET");
                if (!CONSOLE_PROTOCOL.equalsIgnoreCase(req.header("upgrade"))) {
                    throw new HttpException(400, "the console needs 'Upgrade: " + CONSOLE_PROTOCOL + "'");
                }
                ConsoleTap tap = manager.attachConsole(name);
                yield new HttpResponse.Upgraded(CONSOLE_PROTOCOL, (in, out) -> console(name, tap, in, out));
            }
            default -> throw new HttpException(404, "no such VM action '" + action + "'");
        };
    }

    private void console(String name, ConsoleTap tap, InputStream in, OutputStream out) throws IOException {
        Thread input = Thread.ofVirtual().name("console-in-" + name).start(() -> {
            byte[] buf = new byte[1024];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (!manager.consoleInput(name, java.util.Arrays.copyOf(buf, n))) {
                        break;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            } finally {
                manager.detachConsole(name, tap);
            }
        });
        byte[] buf = new byte[4096];
        try {
            while (true) {
                int n = tap.read(buf, 1000);
                if (n < 0) {
                    break;
                }
                if (n > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                if (!input.isAlive() && n == 0) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            manager.detachConsole(name, tap);
        }
    }

    private HttpResponse events(String vmFilter) {
        return HttpResponse.stream("text/event-stream", out -> {
            try (EventBus.Subscription sub = manager.events().subscribe()) {
                // A comment line first, so the client sees the stream is open (WHATWG HTML §9.2 event streams).
                out.write(": jvisor events\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                while (true) {
                    VmEvent e = sub.next(15_000);
                    if (sub.lagged()) {
                        out.write("event: lagged\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        return;
                    }
                    if (e == null) {
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    } else if (vmFilter == null || vmFilter.equals(e.vm())) {
                        out.write(("id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + Json.write(e) + "\n\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * {@code host info}: capacity, allocation and back ends; the online CPUs (what a cpuset may name)
     * and how KVM weights are applied.
     */
    public record HostInfo(int cpus, String onlineCpus, HostBudget.Usage budget, Map<String, Integer> vms,
                           Map<String, Object> backends, int schedulerWorkers, KvmVcpuThreads.Status kvmWeights,
                           long daemonResidentBytes, int daemonOpenFiles) {
    }

    private HostInfo hostInfo() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (VmState s : VmState.values()) {
            counts.put(s.id(), 0);
        }
        for (VmInfo v : manager.list()) {
            counts.merge(v.state(), 1, Integer::sum);
        }
        Availability kvm = manager.backends().kvmAvailability();
        Map<String, Object> backends = new LinkedHashMap<>();
        backends.put("kvm", Map.of("present", kvm.present(), "runs_kernels", kvm.runsKernels(), "reason", kvm.reason()));
        backends.put("emu", Map.of("present", true, "runs_kernels", true, "reason", "pure-Java x86-64 emulator"));
        return new HostInfo(Runtime.getRuntime().availableProcessors(), CpuSet.online().toString(),
                manager.budget().usage(), counts, backends, manager.scheduler().workers(), manager.kvmThreadStatus(),
                HostProcess.residentBytes(), HostProcess.openFileDescriptors());
    }

    /** A virtual switch and the VMs whose interfaces name it. */
    public record NetworkInfo(String name, int connectedPorts, List<String> vms) {
    }

    private List<NetworkInfo> networks() {
        Map<String, List<String>> byName = new java.util.TreeMap<>();
        for (VmInfo v : manager.list()) {
            for (String n : v.definition().nets()) {
                try {
                    if (dev.jvisor.vmm.NetConfig.parse(n).attachment() instanceof dev.jvisor.vmm.NetConfig.Switch s) {
                        byName.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(v.name());
                    }
                } catch (IllegalArgumentException e) {
                    // stored definitions were validated; nothing to list
                }
            }
        }
        for (String s : manager.switches().names()) {
            byName.computeIfAbsent(s, k -> new ArrayList<>());
        }
        List<NetworkInfo> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : byName.entrySet()) {
            int ports = manager.switches().names().contains(e.getKey())
                    ? manager.switches().getOrCreate(e.getKey()).ports().size() : 0;
            out.add(new NetworkInfo(e.getKey(), ports, e.getValue()));
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static String[] segments(String path) {
        String trimmed = path.replaceAll("^/+|/+$", "");
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/+");
    }

    private static void requireLength(String[] p, int n, HttpRequest req) throws HttpException {
        if (p.length != n) {
            throw new HttpException(404, "no such endpoint: " + req.path());
        }
    }

    private static void method(HttpRequest req, String allowed) throws HttpException {
        if (!req.method().equals(allowed) && !(allowed.equals("GET") && req.method().equals("HEAD"))) {
            throw notAllowed(req, allowed);
        }
    }

    private static HttpException notAllowed(HttpRequest req, String allowed) {
        return new HttpException(405, req.method() + " is not allowed on " + req.path() + " (allowed: " + allowed + ")");
    }

    private static void requireJson(HttpRequest req) throws HttpException {
        String ct = req.header("content-type");
        if (ct != null && !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new HttpException(415, "the body must be application/json, not " + ct);
        }
    }

    private static boolean flag(HttpRequest req, String name) throws HttpException {
        String v = req.query().get(name);
        if (v == null || v.equals("false") || v.equals("0")) {
            return false;
        }
        if (v.isEmpty() || v.equals("true") || v.equals("1")) {
            return true;
        }
        throw new HttpException(400, "query parameter '" + name + "' must be true or false");
    }

    private static int intParam(HttpRequest req, String name, int dflt, int min, int max) throws HttpException {
        String v = req.query().get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new HttpException(400, "query parameter '" + name + "' must be an integer from " + min + " to " + max);
        }
    }

    private static HttpResponse ok(Object body) {
        return json(200, body);
    }

    private static HttpResponse json(int status, Object body) {
        return HttpResponse.json(status, Json.write(body));
    }
}
