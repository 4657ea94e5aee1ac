package dev.jvisor.server.firecracker;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.net.MacAddress;
import dev.jvisor.server.firecracker.FirecrackerModels.BootSource;
import dev.jvisor.server.firecracker.FirecrackerModels.Drive;
import dev.jvisor.server.firecracker.FirecrackerModels.MachineConfig;
import dev.jvisor.server.firecracker.FirecrackerModels.NetworkInterface;
import dev.jvisor.server.http.HttpException;
import dev.jvisor.server.http.HttpHandler;
import dev.jvisor.server.http.HttpRequest;
import dev.jvisor.server.http.HttpResponse;
import dev.jvisor.server.json.Json;
import dev.jvisor.server.json.JsonInputException;
import dev.jvisor.server.manager.Backends;
import dev.jvisor.server.manager.ServiceException;
import dev.jvisor.vmm.CountingDiskImage;
import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.RateLimitConfig;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Firecracker's single-VM API, so that tools and the curl sequences of Firecracker's getting-started
 * guide drive jvisor unchanged: {@code PUT /boot-source}, {@code /machine-config}, {@code /drives/{id}},
 * {@code /network-interfaces/{id}}, {@code /logger}, {@code /metrics}, {@code /actions}
 * (InstanceStart, SendCtrlAltDel, FlushMetrics), {@code PATCH /vm} (Paused/Resumed),
 * {@code PATCH /drives/{id}} (rate limiter after boot), {@code GET /}, {@code /vm/config},
 * {@code /machine-config}. Success is 204 (200 with a body for GETs); every error is 400 with
 * {@code {"fault_message": "..."}}, as Firecracker answers.
 *
 * <p>Where jvisor's machine differs, requests are translated, not refused: jvisor's virtio devices
 * are on PCI, so {@code pci=off} is dropped from the boot arguments; drives are raw images (as in
 * Firecracker); the root device becomes {@code /dev/vda} with {@code root=/dev/vda rw|ro} appended;
 * {@code SendCtrlAltDel} presses the ACPI power button (jvisor's i8042 has no keyboard input).
 */
public final class FirecrackerApi implements HttpHandler, AutoCloseable {
    private static final String AFTER_START = "The requested operation is not supported after starting the microVM.";
    private static final String BEFORE_START = "The requested operation is not supported before starting the microVM.";

    private final OutputStream serialOut;
    private final VmConfig.Accel accel;
    private final Backends backends = new Backends();
    private final CompletableFuture<ExitReason> exit = new CompletableFuture<>();
    private final ApiLog log = new ApiLog();
    private BootSource boot;
    private MachineConfig machineConfig = new MachineConfig(1, 128, false, false, null, null);
    private final Map<String, Drive> drives = new LinkedHashMap<>();
    private final Map<String, NetworkInterface> nets = new LinkedHashMap<>();
    private final Map<String, RateLimitConfig> driveLimits = new LinkedHashMap<>();
    private FirecrackerModels.Logger logger;
    private FirecrackerModels.Metrics metrics;
    private VirtualMachine vm;
    private List<String> guestDriveOrder = List.of();
    private boolean paused;

    /**
     * @param serialOut where the guest's serial console goes (the process's stdout)
     * @param accel     which back end runs the guest ({@code auto} in {@code jvisor firecracker})
     */
    public FirecrackerApi(OutputStream serialOut, VmConfig.Accel accel) {
        this.serialOut = serialOut;
        this.accel = accel;
    }

    @Override
    public HttpResponse error(int status, String message) {
        log.write("Error", message);
        return HttpResponse.json(status == 404 || status == 405 ? 400 : status,
                "{\"fault_message\":" + HttpResponse.jsonString(message) + "}");
    }

    @Override
    public synchronized HttpResponse handle(HttpRequest req) throws HttpException {
        log.write("Info", "The API server received a " + req.method() + " request on \"" + req.path() + "\".");
        String[] p = req.path().replaceAll("^/+|/+$", "").split("/+");
        String route = req.method() + " " + (p[0].isEmpty() ? "/" : "/" + p[0]);
        try {
            return switch (route) {
                case "GET /" -> ok(instanceInfo());
                case "GET /vm" -> {
                    if (p.length == 2 && p[1].equals("config")) {
                        yield ok(vmConfig());
                    }
                    throw invalidPath(req);
                }
                case "PATCH /vm" -> vmState(read(req, FirecrackerModels.VmStateChange.class));
                case "GET /machine-config" -> ok(machineConfigView());
                case "PUT /machine-config" -> putMachineConfig(read(req, MachineConfig.class), false);
                case "PATCH /machine-config" -> putMachineConfig(read(req, MachineConfig.class), true);
                case "PUT /boot-source" -> putBootSource(read(req, BootSource.class));
                case "PUT /drives" -> putDrive(id(req, p), read(req, Drive.class));
                case "PATCH /drives" -> patchDrive(id(req, p), read(req, FirecrackerModels.PartialDrive.class));
                case "PUT /network-interfaces" -> putNet(id(req, p), read(req, NetworkInterface.class));
                case "PUT /logger" -> putLogger(read(req, FirecrackerModels.Logger.class));
                case "PUT /metrics" -> putMetrics(read(req, FirecrackerModels.Metrics.class));
                case "PUT /actions" -> action(read(req, FirecrackerModels.InstanceActionInfo.class));
                default -> throw invalidPath(req);
            };
        } catch (JsonInputException e) {
            throw new HttpException(400, "An error occurred when deserializing the json body of a request: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new HttpException(400, e.getMessage());
        }
    }

    private static HttpException invalidPath(HttpRequest req) {
        return new HttpException(400, "Invalid request method and/or path: " + req.method() + " " + req.path() + ".");
    }

    private static String id(HttpRequest req, String[] p) throws HttpException {
        if (p.length != 2) {
            throw invalidPath(req);
        }
        return p[1];
    }

    private static <T> T read(HttpRequest req, Class<T> type) throws JsonInputException {
        return Json.read(req.body(), type);
    }

    private static HttpResponse ok(Object body) {
        return HttpResponse.json(200, Json.write(body));
    }

    private static HttpResponse noContent() {
        return HttpResponse.empty(204);
    }

    private void requireNotStarted() throws HttpException {
        if (vm != null) {
            throw new HttpException(400, AFTER_START);
        }
    }

    private Map<String, Object> instanceInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "anonymous-instance");
        m.put("state", vm == null ? "Not started" : paused ? "Paused" : "Running");
        m.put("vmm_version", "1.0.0-jvisor");
        m.put("app_name", "jvisor");
        return m;
    }

    private Map<String, Object> machineConfigView() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vcpu_count", machineConfig.vcpuCount());
        m.put("mem_size_mib", machineConfig.memSizeMib());
        m.put("smt", Boolean.TRUE.equals(machineConfig.smt()));
        m.put("track_dirty_pages", Boolean.TRUE.equals(machineConfig.trackDirtyPages()));
        return m;
    }

    private Map<String, Object> vmConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("boot-source", boot);
        m.put("drives", new ArrayList<>(drives.values()));
        m.put("machine-config", machineConfigView());
        m.put("network-interfaces", new ArrayList<>(nets.values()));
        m.put("logger", logger);
        m.put("metrics", metrics);
        return m;
    }

    private HttpResponse putMachineConfig(MachineConfig c, boolean partial) throws HttpException {
        requireNotStarted();
        Integer cpus = c.vcpuCount() != null ? c.vcpuCount() : partial ? machineConfig.vcpuCount() : null;
        Integer mem = c.memSizeMib() != null ? c.memSizeMib() : partial ? machineConfig.memSizeMib() : null;
        if (cpus == null || mem == null) {
            throw new HttpException(400, "vcpu_count and mem_size_mib are required");
        }
        if (cpus < 1 || cpus > 32) {
            throw new HttpException(400, "The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled; jvisor accepts 1 to 32, got " + cpus);
        }
        if (mem < 1 || mem > (1 << 20)) {
            throw new HttpException(400, "The memory size (MiB) is invalid: " + mem);
        }
        machineConfig = new MachineConfig(cpus, mem, c.smt() != null ? c.smt() : machineConfig.smt(),
                c.trackDirtyPages() != null ? c.trackDirtyPages() : machineConfig.trackDirtyPages(), c.cpuTemplate(), c.hugePages());
        return noContent();
    }

    private HttpResponse putBootSource(BootSource b) throws HttpException {
        requireNotStarted();
        if (b.kernelImagePath() == null) {
            throw new HttpException(400, "kernel_image_path is required");
        }
        requireFile("kernel_image_path", b.kernelImagePath());
        if (b.initrdPath() != null) {
            requireFile("initrd_path", b.initrdPath());
        }
        boot = b;
        return noContent();
    }

    private static void requireFile(String what, String path) throws HttpException {
        try {
            if (!Files.isRegularFile(Path.of(path))) {
                throw new HttpException(400, "Invalid " + what + ": " + path + " is not a file that can be opened");
            }
        } catch (java.nio.file.InvalidPathException e) {
            throw new HttpException(400, "Invalid " + what + ": " + e.getReason());
        }
    }

    private HttpResponse putDrive(String id, Drive d) throws HttpException {
        requireNotStarted();
        if (!id.equals(d.driveId())) {
            throw new HttpException(400, "The id from the path does not match the id from the body!");
        }
        if (d.pathOnHost() == null || d.isRootDevice() == null) {
            throw new HttpException(400, "path_on_host and is_root_device are required");
        }
        requireFile("path_on_host", d.pathOnHost());
        if (d.isRootDevice()) {
            for (Drive other : drives.values()) {
                if (Boolean.TRUE.equals(other.isRootDevice()) && !other.driveId().equals(id)) {
                    throw new HttpException(400, "A root block device already exists!");
                }
            }
        }
        RateLimitConfig limit = d.rateLimiter() == null ? RateLimitConfig.NONE : d.rateLimiter().toConfig();
        drives.put(id, d);
        driveLimits.put(id, limit);
        return noContent();
    }

    private HttpResponse patchDrive(String id, FirecrackerModels.PartialDrive d) throws HttpException {
        if (!id.equals(d.driveId())) {
            throw new HttpException(400, "The id from the path does not match the id from the body!");
        }
        if (!drives.containsKey(id)) {
            throw new HttpException(400, "Invalid block device ID: " + id);
        }
        if (vm == null) {
            throw new HttpException(400, BEFORE_START);
        }
        if (d.pathOnHost() != null && !d.pathOnHost().equals(drives.get(id).pathOnHost())) {
            throw new HttpException(400, "jvisor cannot change a drive's backing file while the VM runs");
        }
        if (d.rateLimiter() != null) {
            RateLimitConfig c = d.rateLimiter().toConfig();
            vm.virtio().driveLimiter(guestDriveOrder.indexOf(id)).update(c.bytes(), c.ops());
            driveLimits.put(id, c);
        }
        return noContent();
    }

    private HttpResponse putNet(String id, NetworkInterface n) throws HttpException {
        requireNotStarted();
        if (!id.equals(n.ifaceId())) {
            throw new HttpException(400, "The id from the path does not match the id from the body!");
        }
        if (n.hostDevName() == null || n.hostDevName().isEmpty()) {
            throw new HttpException(400, "host_dev_name is required");
        }
        if (n.guestMac() != null) {
            MacAddress.parse(n.guestMac()); // IllegalArgumentException -> 400
        }
        if (n.rxRateLimiter() != null) {
            n.rxRateLimiter().toConfig();
        }
        if (n.txRateLimiter() != null) {
            n.txRateLimiter().toConfig();
        }
        nets.put(id, n);
        return noContent();
    }

    private HttpResponse putLogger(FirecrackerModels.Logger l) throws HttpException {
        if (l.logPath() == null) {
            throw new HttpException(400, "log_path is required");
        }
        try {
            log.open(Path.of(l.logPath()), l.level() == null ? "Info" : l.level(), Boolean.TRUE.equals(l.showLevel()));
        } catch (java.io.IOException e) {
            throw new HttpException(400, "Cannot open the log file " + l.logPath() + ": " + e.getMessage());
        }
        logger = l;
        return noContent();
    }

    private HttpResponse putMetrics(FirecrackerModels.Metrics m) throws HttpException {
        if (m.metricsPath() == null) {
            throw new HttpException(400, "metrics_path is required");
        }
        try {
            Path p = Path.of(m.metricsPath());
            Files.write(p, new byte[0], java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            throw new HttpException(400, "Cannot open the metrics file " + m.metricsPath() + ": " + e.getMessage());
        }
        metrics = m;
        return noContent();
    }

    private HttpResponse vmState(FirecrackerModels.VmStateChange s) throws HttpException {
        if (vm == null) {
            throw new HttpException(400, BEFORE_START);
        }
        switch (String.valueOf(s.state())) {
            case "Paused" -> {
                try {
                    vm.pause();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HttpException(400, "interrupted while pausing");
                }
                paused = true;
            }
            case "Resumed" -> {
                vm.resume();
                paused = false;
            }
            default -> throw new HttpException(400, "state must be Paused or Resumed, not " + s.state());
        }
        return noContent();
    }

    private HttpResponse action(FirecrackerModels.InstanceActionInfo a) throws HttpException {
        switch (String.valueOf(a.actionType())) {
            case "InstanceStart" -> start();
            case "SendCtrlAltDel" -> {
                if (vm == null) {
                    throw new HttpException(400, BEFORE_START);
                }
                vm.pressPowerButton();
            }
            case "FlushMetrics" -> flushMetrics();
            default -> throw new HttpException(400, "action_type must be InstanceStart, SendCtrlAltDel or FlushMetrics, not "
                    + a.actionType());
        }
        return noContent();
    }

    private void start() throws HttpException {
        requireNotStarted();
        if (boot == null) {
            throw new HttpException(400, "Cannot start microvm without kernel configuration.");
        }
        List<DriveConfig> driveConfigs = new ArrayList<>();
        List<String> order = new ArrayList<>();
        String root = "";
        // The root device is /dev/vda: it goes first; the others follow in the order they were added.
        for (boolean rootPass : new boolean[]{true, false}) {
            for (Drive d : drives.values()) {
                if (Boolean.TRUE.equals(d.isRootDevice()) != rootPass) {
                    continue;
                }
                boolean ro = Boolean.TRUE.equals(d.isReadOnly());
                driveConfigs.add(new DriveConfig(Path.of(d.pathOnHost()), Optional.of(DiskFormat.RAW), ro,
                        driveLimits.get(d.driveId())));
                order.add(d.driveId());
                if (rootPass) {
                    root = (d.partuuid() != null ? " root=PARTUUID=" + d.partuuid() : " root=/dev/vda") + (ro ? " ro" : " rw");
                }
            }
        }
        List<NetConfig> netConfigs = new ArrayList<>();
        for (NetworkInterface n : nets.values()) {
            RateLimitConfig rate = n.rxRateLimiter() != null ? n.rxRateLimiter().toConfig()
                    : n.txRateLimiter() != null ? n.txRateLimiter().toConfig() : RateLimitConfig.NONE;
            netConfigs.add(new NetConfig(new NetConfig.Tap(n.hostDevName()),
                    n.guestMac() == null ? Optional.empty() : Optional.of(MacAddress.parse(n.guestMac())), rate));
        }
        String args = boot.bootArgs() == null ? "console=ttyS0 reboot=k panic=1" : boot.bootArgs();
        String cmdline = (" " + args + " ").replace(" pci=off ", " ").trim() + root;
        VmConfig config = new VmConfig(Path.of(boot.kernelImagePath()), Optional.ofNullable(boot.initrdPath()).map(Path::of),
                cmdline, (long) machineConfig.memSizeMib() << 20, machineConfig.vcpuCount(), accel)
                .withDrives(driveConfigs).withNets(netConfigs);
        Hypervisor hv;
        try {
            hv = backends.forAccel(accel);
        } catch (ServiceException e) {
            throw new HttpException(400, e.getMessage());
        }
        try {
            vm = MachineBuilder.build(config, hv, serialOut);
        } catch (VmException e) {
            throw new HttpException(400, "Cannot start the microVM: " + e.getMessage());
        }
        guestDriveOrder = List.copyOf(order);
        vm.start();
        VirtualMachine started = vm;
        Thread.ofVirtual().name("fc-exit").start(() -> {
            try {
                exit.complete(started.awaitExit());
            } catch (InterruptedException e) {
                exit.completeExceptionally(e);
            }
        });
        log.write("Info", "Successfully started microvm");
    }

    private void flushMetrics() throws HttpException {
        if (metrics == null) {
            throw new HttpException(400, "The metrics system was not initialized: PUT /metrics first");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("utc_timestamp_ms", System.currentTimeMillis());
        if (vm != null) {
            m.put("vcpu", Map.of("cpu_nanos", vm.vcpuCpuNanos()));
            List<Map<String, Object>> blocks = new ArrayList<>();
            for (int i = 0; i < guestDriveOrder.size(); i++) {
                CountingDiskImage.Counts c = vm.virtio().driveCounts(i);
                blocks.add(Map.of("drive_id", guestDriveOrder.get(i), "read_count", c.readOps(), "read_bytes", c.readBytes(),
                        "write_count", c.writeOps(), "write_bytes", c.writeBytes(), "flush_count", c.flushes()));
            }
            m.put("block", blocks);
        }
        try {
            Files.writeString(Path.of(metrics.metricsPath()), Json.write(m) + "\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new HttpException(400, "Cannot write metrics: " + e.getMessage());
        }
    }

    /** Completes when the guest stops (power-off, reboot request, crash). */
    public CompletableFuture<ExitReason> exit() {
        return exit;
    }

    /** The running VM, or null before InstanceStart (for the console input of the CLI). */
    public synchronized VirtualMachine machine() {
        return vm;
    }

    @Override
    public synchronized void close() {
        if (vm != null) {
            vm.close();
        }
        log.close();
        backends.close();
    }
}
