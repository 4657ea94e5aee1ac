package dev.jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jvisor host info}: the host's capacity for VMs and what is allocated. */
@Command(name = "host", mixinStandardHelpOptions = true, description = "The daemon's host.",
        subcommands = {HostCommand.Info.class})
final class HostCommand {
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Capacity, what running VMs hold, back ends.")
    static final class Info implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Override
        public Integer call() throws Exception {
            JsonNode h = client.json("GET", "/v1/host", null);
            JsonNode b = h.get("budget");
            long mem = b.get("memory_bytes").asLong();
            long used = b.get("used_memory_bytes").asLong();
            System.out.printf(Locale.ROOT, "host CPUs:  %d, online %s (%d scheduler workers for emulated vCPUs)%n",
                    h.get("cpus").asInt(), h.get("online_cpus").asText(), h.get("scheduler_workers").asInt());
            JsonNode w = h.get("kvm_weights");
            System.out.println("KVM weights: as vCPU thread nice values" + (w.get("can_raise_priority").asBoolean() ? ""
                    : " shifted up by " + w.get("nice_shift").asInt() + " (no CAP_SYS_NICE)")
                    + (w.hasNonNull("last_warning") ? "; last warning: " + w.get("last_warning").asText() : ""));
            System.out.printf(Locale.ROOT, "memory:     %d MiB allocated of %d MiB (%d MiB free)%n", used >> 20, mem >> 20,
                    (mem - used) >> 20);
            System.out.printf(Locale.ROOT, "vCPUs:      %d allocated of %d%n", b.get("used_vcpus").asInt(), b.get("vcpus").asInt());
            StringBuilder vms = new StringBuilder();
            h.get("vms").fields().forEachRemaining(e -> vms.append(vms.isEmpty() ? "" : ", ").append(e.getValue().asInt())
                    .append(' ').append(e.getKey()));
            System.out.println("VMs:        " + vms);
            h.get("backends").fields().forEachRemaining(e -> System.out.printf("%-11s %s%n", e.getKey() + ":",
                    (e.getValue().get("runs_kernels").asBoolean() ? "runs kernels" : e.getValue().get("present").asBoolean()
                            ? "present, tiny guests only" : "absent") + " (" + e.getValue().get("reason").asText() + ")"));
            System.out.printf(Locale.ROOT, "daemon:     %.1f MiB resident, %d open files%n",
                    h.get("daemon_resident_bytes").asLong() / 1048576.0, h.get("daemon_open_files").asInt());
            return 0;
        }
    }
}
