package dev.jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvisor.server.json.Json;
import dev.jvisor.vmm.DeviceOptions;
import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.VmException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jvisor vm ...}: manage the daemon's VMs. Every subcommand is a client of the daemon's API. */
@Command(name = "vm", mixinStandardHelpOptions = true, description = "Manage VMs of the jvisor daemon.",
        subcommands = {VmCommand.Create.class, VmCommand.ListVms.class, VmCommand.Start.class, VmCommand.Stop.class,
                VmCommand.Pause.class, VmCommand.Resume.class, VmCommand.Reboot.class, VmCommand.Delete.class,
                VmConsoleCommand.class, VmCommand.Logs.class, VmCommand.Stats.class, VmCommand.Limits.class})
final class VmCommand {
    static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static void printState(PrintStream out, JsonNode vm) {
        out.println(vm.get("name").asText() + ": " + vm.get("state").asText()
                + (vm.hasNonNull("reason") ? " (" + vm.get("reason").asText() + ")" : ""));
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Define a VM (start it with 'vm start').")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME", description = "The VM's name (letters, digits, '.', '_', '-').")
        String name;

        @Option(names = "--kernel", required = true, paramLabel = "FILE", description = "Kernel: bzImage, ELF vmlinux or Multiboot.")
        Path kernel;

        @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk.")
        Path initrd;

        @Option(names = "--append", paramLabel = "CMDLINE", description = "Kernel command line.")
        String append;

        @Option(names = "--mem", paramLabel = "SIZE", defaultValue = "256M", converter = Sizes.class,
                description = "Guest RAM, a whole number of MiB (default ${DEFAULT-VALUE}).")
        long memory;

        @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "vCPUs (default ${DEFAULT-VALUE}).")
        int cpus;

        @Option(names = "--accel", paramLabel = "kvm|emu|auto", defaultValue = "auto", description = "Back end (default ${DEFAULT-VALUE}).")
        String accel;

        @Option(names = "--drive", paramLabel = "file=PATH[,...]", description = "A virtio-blk disk, as for 'jvisor run'.")
        List<String> drives = new ArrayList<>();

        @Option(names = "--net", paramLabel = "switch=NAME|user|tap[,...]", description = "A virtio-net interface, as for 'jvisor run'.")
        List<String> nets = new ArrayList<>();

        @Option(names = "--no-rng", description = "Leave out the virtio-rng.")
        boolean noRng;

        @Option(names = "--cpu-weight", paramLabel = "N", description = "Fair-share weight 1-10000 (default 100).")
        Integer weight;

        @Option(names = "--cpu-cap", paramLabel = "PERCENT", description = "CPU cap in percent of one host CPU, e.g. 50%.")
        String cap;

        @Option(names = "--cpuset", paramLabel = "CPUS",
                description = "Run the vCPUs only on these host CPUs: a CPU list like 0, 0-1 or 1,3 (default: any).")
        String cpuset;

        @Option(names = "--prefault", description = "Touch all guest memory at start instead of on first use.")
        boolean prefault;

        @Override
        public Integer call() throws Exception {
            if (memory % (1 << 20) != 0) {
                throw new VmException("--mem must be a whole number of MiB");
            }
            ObjectNode body = Json.mapper().createObjectNode();
            body.put("name", name);
            body.put("memory_mib", memory >> 20);
            body.put("vcpus", cpus);
            body.put("kernel", kernel.toAbsolutePath().normalize().toString());
            if (initrd != null) {
                body.put("initrd", initrd.toAbsolutePath().normalize().toString());
            }
            if (append != null) {
                body.put("cmdline", append);
            }
            body.put("accel", accel.toLowerCase(Locale.ROOT));
            ArrayNode d = body.putArray("drives");
            for (String text : drives) {
                d.add(absoluteDrive(text));
            }
            ArrayNode n = body.putArray("nets");
            for (String text : nets) {
                try {
                    NetConfig.parse(text);
                } catch (IllegalArgumentException e) {
                    throw new VmException(e.getMessage());
                }
                n.add(text);
            }
            body.put("rng", !noRng);
            if (weight != null) {
                body.put("cpu_weight", weight);
            }
            if (cap != null) {
                body.put("cpu_cap", percent(cap));
            }
            if (cpuset != null) {
                body.put("cpuset", cpuset);
            }
            body.put("prefault", prefault);
            JsonNode vm = client.json("POST", "/v1/vms", body.toString());
            System.out.println("created " + vm.get("name").asText());
            return 0;
        }
    }

    /** The drive text with its {@code file=} made absolute (the daemon resolves no relative paths). */
    static String absoluteDrive(String text) throws VmException {
        try {
            DriveConfig.parse(text);
            DeviceOptions o = DeviceOptions.parse("--drive", text);
            StringBuilder b = new StringBuilder();
            for (DeviceOptions.Entry e : o.entries()) {
                if (!b.isEmpty()) {
                    b.append(',');
                }
                String value = e.value();
                if (e.key().equals("file")) {
                    value = Path.of(value).toAbsolutePath().normalize().toString();
                }
                b.append(e.key());
                if (value != null) {
                    b.append('=').append(value.replace(",", ",,"));
                }
            }
            return b.toString();
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
    }

    static int percent(String text) throws VmException {
        String t = text.strip();
        if (t.endsWith("%")) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            int p = Integer.parseInt(t);
            if (p < 0) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new VmException("--cpu-cap must be a percentage like 50%, not '" + text + "'");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List VMs: name, state, vCPUs, memory, CPU%, uptime.")
    static final class ListVms implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Override
        public Integer call() throws Exception {
            JsonNode list = client.json("GET", "/v1/vms", null);
            System.out.printf("%-24s %-8s %5s %9s %6s %10s%n", "NAME", "STATE", "VCPUS", "MEMORY", "CPU%", "UPTIME");
            for (JsonNode vm : list) {
                System.out.printf(Locale.ROOT, "%-24s %-8s %5d %6d MiB %6.1f %10s%n", vm.get("name").asText(),
                        vm.get("state").asText(), vm.get("vcpus").asInt(), vm.get("memory_mib").asInt(),
                        vm.get("cpu_percent").asDouble(), uptime(vm.get("uptime_seconds").asLong(), vm.get("state").asText()));
            }
            return 0;
        }
    }

    static String uptime(long s, String state) {
        if (!state.equals("running") && !state.equals("paused")) {
            return "-";
        }
        return s >= 86400 ? String.format("%dd%02dh", s / 86400, s % 86400 / 3600)
                : String.format("%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60);
    }

    /** The actions that take only a name. */
    abstract static class Action implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        abstract String action();

        @Override
        public Integer call() throws Exception {
            printState(System.out, client.json("POST", "/v1/vms/" + encode(name) + "/" + action(), null));
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a VM (admission control may refuse).")
    static final class Start extends Action {
        String action() {
            return "start";
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop a running or paused VM.")
    static final class Stop extends Action {
        String action() {
            return "stop";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a running VM.")
    static final class Pause extends Action {
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused VM.")
    static final class Resume extends Action {
        String action() {
            return "resume";
        }
    }

    @Command(name = "reboot", mixinStandardHelpOptions = true, description = "Restart a running VM from its kernel.")
    static final class Reboot extends Action {
        String action() {
            return "reboot";
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a VM that is not running.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = {"-f", "--force"}, description = "Stop it first if it runs.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            client.call("DELETE", "/v1/vms/" + encode(name) + (force ? "?force=true" : ""), null);
            System.out.println("deleted " + name);
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print the end of a VM's console log.")
    static final class Logs implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--bytes", paramLabel = "N", defaultValue = "65536", description = "How much (default ${DEFAULT-VALUE}).")
        int bytes;

        @Override
        public Integer call() throws Exception {
            System.out.write(client.call("GET", "/v1/vms/" + encode(name) + "/logs?bytes=" + bytes, null).body());
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Show a VM's CPU, memory and I/O figures.")
    static final class Stats implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print the raw JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode s = client.json("GET", "/v1/vms/" + encode(name) + "/stats", null);
            if (json) {
                System.out.println(s.toPrettyString());
                return 0;
            }
            PrintStream o = System.out;
            o.printf("%s: %s%s%n", s.get("name").asText(), s.get("state").asText(),
                    s.hasNonNull("backend") ? " on " + s.get("backend").asText() : "");
            o.printf(Locale.ROOT, "  vCPUs %d, memory %d MiB (%.1f MiB resident)%n", s.get("vcpus").asInt(),
                    s.get("memory_bytes").asLong() >> 20, Math.max(0, s.get("memory_resident_bytes").asLong()) / 1048576.0);
            o.printf(Locale.ROOT, "  CPU %.2f s (%.1f%% now), uptime %s, cap throttles %d%n", s.get("cpu_nanos").asLong() / 1e9,
                    s.get("cpu_percent").asDouble(), uptime(s.get("uptime_seconds").asLong(), s.get("state").asText()),
                    s.get("throttles").asLong());
            if (s.hasNonNull("host_nice")) {
                o.printf("  vCPU threads at nice %d (from the CPU weight)%n", s.get("host_nice").asInt());
            }
            if (s.hasNonNull("host_scheduling_problem")) {
                o.printf("  host scheduling problem: %s%n", s.get("host_scheduling_problem").asText());
            }
            if (s.get("instructions").asLong() >= 0) {
                o.printf(Locale.ROOT, "  emulated instructions %,d%n", s.get("instructions").asLong());
            }
            for (JsonNode d : s.get("drives")) {
                o.printf("  drive%d: %d reads (%d bytes), %d writes (%d bytes), %d flushes%n", d.get("index").asInt(),
                        d.get("read_ops").asLong(), d.get("read_bytes").asLong(), d.get("write_ops").asLong(),
                        d.get("write_bytes").asLong(), d.get("flushes").asLong());
            }
            for (JsonNode n : s.get("nets")) {
                o.printf("  net%d: rx %d frames (%d bytes, %d dropped), tx %d frames (%d bytes, %d dropped)%n",
                        n.get("index").asInt(), n.get("rx_frames").asLong(), n.get("rx_bytes").asLong(),
                        n.get("rx_dropped").asLong(), n.get("tx_frames").asLong(), n.get("tx_bytes").asLong(),
                        n.get("tx_dropped").asLong());
            }
            return 0;
        }
    }

    @Command(name = "limits", mixinStandardHelpOptions = true,
            description = {"Change a VM's CPU weight, cap and cpuset and I/O rate limits (also while it runs).",
                    "I/O: --io drive0:10M/s+1000op/s[:BURST] or --io net0:none (rate syntax as 'jvisor run')."})
    static final class Limits implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--cpu-weight", paramLabel = "N", description = "Fair-share weight 1-10000.")
        Integer weight;

        @Option(names = "--cpu-cap", paramLabel = "PERCENT", description = "Cap in percent of one host CPU; 0 removes it.")
        String cap;

        @Option(names = "--cpuset", paramLabel = "CPUS|all",
                description = "Host CPUs for the vCPUs (0, 0-1, 1,3); all removes the pinning.")
        String cpuset;

        @Option(names = "--io", paramLabel = "KEY:RATE[:BURST]", description = "A drive's or interface's limit.")
        List<String> io = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            ObjectNode body = Json.mapper().createObjectNode();
            if (weight != null) {
                body.put("cpu_weight", weight);
            }
            if (cap != null) {
                body.put("cpu_cap", percent(cap));
            }
            if (cpuset != null) {
                body.put("cpuset", cpuset);
            }
            if (!io.isEmpty()) {
                ObjectNode m = body.putObject("io");
                for (String spec : io) {
                    String[] parts = spec.split(":", -1);
                    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
                        throw new VmException("--io must be KEY:RATE[:BURST] (e.g. drive0:10M/s), not '" + spec + "'");
                    }
                    ObjectNode l = m.putObject(parts[0]);
                    if (parts[1].equalsIgnoreCase("none")) {
                        l.putNull("rate");
                        l.putNull("burst");
                    } else {
                        l.put("rate", parts[1]);
                        if (parts.length == 3) {
                            l.put("burst", parts[2]);
                        }
                    }
                }
            }
            JsonNode vm = client.json("PATCH", "/v1/vms/" + encode(name) + "/limits", body.toString());
            JsonNode d = vm.get("definition");
            System.out.println(name + ": cpu weight " + d.get("cpu_weight").asInt() + ", cap "
                    + (d.get("cpu_cap").asInt() == 0 ? "none" : d.get("cpu_cap").asInt() + "%")
                    + ", cpuset " + (d.hasNonNull("cpuset") ? d.get("cpuset").asText() : "all")
                    + (d.get("io_limits").isEmpty() ? "" : ", I/O limits " + d.get("io_limits")));
            return 0;
        }
    }
}
