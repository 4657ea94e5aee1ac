package dev.jvisor.server.manager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the VMs are doing: per-VM stats, and the CPU% sampler that runs once a second. */
final class VmMonitor {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VmMonitor.class);
    private VmMonitor() {
    }

    static VmStats stats(ManagedVm vm) {
        VmRun r = vm.run;
        VmDefinition d = vm.definition;
        VmState s = vm.state;
        if (r != null) {
            try {
                return new VmStats(d.name(), s.id(), r.backend(), d.vcpus(), d.memoryBytes(), r.residentBytes(),
                        r.cpuNanos(), vm.cpuPercent, r.uptimeNanos() / 1_000_000_000L, r.throttles(), r.instructions(),
                        r.hostNice(), r.hostSchedulingProblem(), r.driveStats(), r.netStats());
            } catch (RuntimeException e) {
                // the run ended while we looked: report the VM as it is now
            }
        }
        return new VmStats(d.name(), vm.state.id(), null, d.vcpus(), d.memoryBytes(), -1, 0, 0, 0, 0, -1, null, null,
                List.of(), List.of());
    }

    static List<VmStats> allStats(Collection<ManagedVm> vms) {
        List<VmStats> all = new ArrayList<>();
        for (ManagedVm vm : vms) {
            all.add(stats(vm));
        }
        all.sort(Comparator.comparing(VmStats::name));
        return all;
    }

    /**
     * Samples each running VM's CPU time once a second into {@link ManagedVm#cpuPercent}, and runs
     * {@code alsoEverySecond}, until {@code stop}.
     */
    static void sampleCpu(Collection<ManagedVm> vms, BooleanSupplier stop, Runnable alsoEverySecond) {
        while (!stop.getAsBoolean()) {
            try {
                alsoEverySecond.run();
            } catch (RuntimeException e) {
                LOG.warn("periodic VM housekeeping failed", e);
            }
            long now = System.nanoTime();
            for (ManagedVm vm : vms) {
                VmRun r = vm.run;
                if (r == null) {
                    continue;
                }
                try {
                    long cpu = r.cpuNanos();
                    long dt = now - vm.lastSampleNanos;
                    if (dt > 0 && vm.lastSampleNanos != 0) {
                        vm.cpuPercent = Math.max(0, 100.0 * (cpu - vm.lastCpu) / dt);
                    }
                    vm.lastCpu = cpu;
                    vm.lastSampleNanos = now;
                } catch (RuntimeException e) {
                    // the run ended while sampled
                }
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
