package dev.jvisor.server.api;

import dev.jvisor.server.manager.HostBudget;
import dev.jvisor.server.manager.VmStats;
import java.util.List;
import java.util.Locale;

/**
 * Renders the daemon's metrics in the Prometheus text exposition format (version 0.0.4): counters
 * end in {@code _total}, every family has HELP and TYPE lines and all its samples together, label
 * values are escaped (backslash, double quote, newline). Rates (instructions per second, bytes per
 * second) are for the scraper to compute from the counters.
 */
public final class PrometheusMetrics {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusMetrics() {
    }

    public static String render(List<VmStats> vms, HostBudget.Usage budget, long residentBytes) {
        StringBuilder b = new StringBuilder(4096);
        family(b, "jvisor_vm_up", "gauge", "1 while the VM runs or is paused, else 0.");
        for (VmStats s : vms) {
            sample(b, "jvisor_vm_up", vm(s), s.backend() != null ? 1 : 0);
        }
        family(b, "jvisor_vm_state", "gauge", "1 for the VM's current lifecycle state.");
        for (VmStats s : vms) {
            sample(b, "jvisor_vm_state", vm(s) + ",state=\"" + s.state() + "\"", 1);
        }
        family(b, "jvisor_vm_vcpus", "gauge", "vCPUs of the VM.");
        for (VmStats s : vms) {
            sample(b, "jvisor_vm_vcpus", vm(s), s.vcpus());
        }
        family(b, "jvisor_vm_memory_bytes", "gauge", "Guest RAM of the VM.");
        for (VmStats s : vms) {
            sample(b, "jvisor_vm_memory_bytes", vm(s), s.memoryBytes());
        }
        family(b, "jvisor_vm_memory_resident_bytes", "gauge", "Guest RAM resident in host memory (touched by the guest or loader).");
        for (VmStats s : running(vms)) {
            sample(b, "jvisor_vm_memory_resident_bytes", vmb(s), s.memoryResidentBytes());
        }
        family(b, "jvisor_vm_vcpu_seconds_total", "counter", "Host CPU time used by the VM's vCPUs in its current run.");
        for (VmStats s : running(vms)) {
            sample(b, "jvisor_vm_vcpu_seconds_total", vmb(s), s.cpuNanos() / 1e9);
        }
        family(b, "jvisor_vm_uptime_seconds", "gauge", "Seconds since the VM started.");
        for (VmStats s : running(vms)) {
            sample(b, "jvisor_vm_uptime_seconds", vmb(s), s.uptimeSeconds());
        }
        family(b, "jvisor_vm_cpu_throttled_total", "counter", "Cap periods in which the VM used its whole quota.");
        for (VmStats s : running(vms)) {
            sample(b, "jvisor_vm_cpu_throttled_total", vmb(s), s.throttles());
        }
        family(b, "jvisor_vm_emulated_instructions_total", "counter", "Guest instructions executed by the emulator.");
        for (VmStats s : running(vms)) {
            if (s.instructions() >= 0) {
                sample(b, "jvisor_vm_emulated_instructions_total", vmb(s), s.instructions());
            }
        }
        String[][] disk = {{"read_ops", "Completed disk reads."}, {"read_bytes", "Bytes read from disk."},
                {"write_ops", "Completed disk writes."}, {"write_bytes", "Bytes written to disk."},
                {"flushes", "Completed disk flushes."}};
        for (String[] f : disk) {
            String name = "jvisor_vm_disk_" + f[0] + "_total";
            family(b, name, "counter", f[1]);
            for (VmStats s : running(vms)) {
                for (VmStats.DriveStats d : s.drives()) {
                    long v = switch (f[0]) {
                        case "read_ops" -> d.readOps();
                        case "read_bytes" -> d.readBytes();
                        case "write_ops" -> d.writeOps();
                        case "write_bytes" -> d.writeBytes();
                        default -> d.flushes();
                    };
                    sample(b, name, vm(s) + ",drive=\"" + d.index() + "\"", v);
                }
            }
        }
        String[][] net = {{"rx_frames", "Frames delivered to the guest."}, {"rx_bytes", "Bytes delivered to the guest."},
                {"rx_dropped", "Frames for the guest dropped (queue full)."}, {"tx_frames", "Frames sent by the guest."},
                {"tx_bytes", "Bytes sent by the guest."}, {"tx_dropped", "Frames from the guest dropped."}};
        for (String[] f : net) {
            String name = "jvisor_vm_net_" + f[0] + "_total";
            family(b, name, "counter", f[1]);
            for (VmStats s : running(vms)) {
                for (VmStats.NetStats n : s.nets()) {
                    long v = switch (f[0]) {
                        case "rx_frames" -> n.rxFrames();
                        case "rx_bytes" -> n.rxBytes();
                        case "rx_dropped" -> n.rxDropped();
                        case "tx_frames" -> n.txFrames();
                        case "tx_bytes" -> n.txBytes();
                        default -> n.txDropped();
                    };
                    sample(b, name, vm(s) + ",iface=\"" + n.index() + "\"", v);
                }
            }
        }
        family(b, "jvisor_host_memory_budget_bytes", "gauge", "Memory the host gives to VMs.");
        sample(b, "jvisor_host_memory_budget_bytes", null, budget.memoryBytes());
        family(b, "jvisor_host_memory_allocated_bytes", "gauge", "Memory reserved by running VMs.");
        sample(b, "jvisor_host_memory_allocated_bytes", null, budget.usedMemoryBytes());
        family(b, "jvisor_host_vcpu_budget", "gauge", "vCPUs the host gives to VMs.");
        sample(b, "jvisor_host_vcpu_budget", null, budget.vcpus());
        family(b, "jvisor_host_vcpus_allocated", "gauge", "vCPUs of running VMs.");
        sample(b, "jvisor_host_vcpus_allocated", null, budget.usedVcpus());
        family(b, "jvisor_daemon_resident_bytes", "gauge", "Resident memory of the daemon process (guest RAM included).");
        sample(b, "jvisor_daemon_resident_bytes", null, residentBytes);
        return b.toString();
    }

    private static List<VmStats> running(List<VmStats> vms) {
        return vms.stream().filter(s -> s.backend() != null).toList();
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String vm(VmStats s) {
        return "vm=\"" + escape(s.name()) + "\"";
    }

    private static String vmb(VmStats s) {
        return vm(s) + ",backend=\"" + s.backend() + "\"";
    }

    private static void sample(StringBuilder b, String name, String labels, double value) {
        b.append(name);
        if (labels != null) {
            b.append('{').append(labels).append('}');
        }
        b.append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(String.format(Locale.ROOT, "%.9g", value));
        }
        b.append('\n');
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
