package dev.jvisor.server.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.emu.EmuVm;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emulator's vCPU scheduler with busy and idle tiny guests: caps and weights divide CPU time in
 * the configured ratio (measured CPU time, within a tolerance; no wall-clock assertion), idle vCPUs
 * leave the workers to busy ones, and lifecycle exits reach the sink.
 */
class VcpuSchedulerTest {
    @TempDir
    Path dir;
    private final List<VirtualMachine> machines = new ArrayList<>();
    private VcpuScheduler scheduler;

    @AfterEach
    void tearDown() {
        machines.forEach(VirtualMachine::close);
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private VirtualMachine machine(TinyKernels.Ending ending, int vcpus) throws Exception {
        Path k = dir.resolve(ending + "-" + machines.size() + ".elf");
        Files.write(k, TinyKernels.kernel("", ending));
        VirtualMachine vm = MachineBuilder.build(new VmConfig(k, Optional.empty(), "", 16 << 20, vcpus,
                VmConfig.Accel.EMU).withRng(false), new EmuHypervisor(), new ByteArrayOutputStream());
        machines.add(vm);
        return vm;
    }

    private VcpuScheduler.Group add(VirtualMachine vm, CpuShare share, List<VcpuExit> exits) {
        return scheduler.add("vm" + machines.indexOf(vm), vm.vm().vcpus(), share,
                IdleWait.forEmulator((EmuVm) vm.vm()), (vcpu, exit) -> exits.add(exit));
    }

    /** Runs until the two groups used {@code totalCpuNanos} together, then returns their ratio b/a. */
    private static double ratioAfter(VcpuScheduler.Group a, VcpuScheduler.Group b, long totalCpuNanos) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L; // a guard against a hang, not a speed check
        while (a.cpuNanos() + b.cpuNanos() < totalCpuNanos && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        a.pause();
        b.pause();
        assertThat(a.cpuNanos()).isPositive();
        return (double) b.cpuNanos() / a.cpuNanos();
    }

    @Test
    void capsOf25And75PercentGiveCpuTimeInThatRatio() throws Exception {
        scheduler = new VcpuScheduler(1, 10_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        VcpuScheduler.Group low = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(100, 25), exits);
        VcpuScheduler.Group high = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(100, 75), exits);
        double ratio = ratioAfter(low, high, 2_000_000_000L);
        assertThat(ratio).isBetween(2.4, 3.6);
        assertThat(low.throttles()).isPositive();
        assertThat(exits).isEmpty();
    }

    @Test
    void weightsDivideAContendedWorkerInProportion() throws Exception {
        scheduler = new VcpuScheduler(1, 5_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        VcpuScheduler.Group one = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(100, 0), exits);
        VcpuScheduler.Group three = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(300, 0), exits);
        assertThat(ratioAfter(one, three, 1_500_000_000L)).isBetween(2.4, 3.6);
        assertThat(one.throttles()).isZero();
    }

    @Test
    void weightIsPerVmNotPerVcpu() throws Exception {
        scheduler = new VcpuScheduler(1, 5_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        // Two vCPUs (the AP waits for a start-up IPI, so only the BSP spins) against one: equal weights.
        VcpuScheduler.Group two = add(machine(TinyKernels.Ending.SPIN, 2), CpuShare.DEFAULT, exits);
        VcpuScheduler.Group one = add(machine(TinyKernels.Ending.SPIN, 1), CpuShare.DEFAULT, exits);
        assertThat(ratioAfter(two, one, 1_000_000_000L)).isBetween(0.7, 1.4);
    }

    @Test
    void idleVcpusLeaveTheWorkersToBusyOnes() throws Exception {
        scheduler = new VcpuScheduler(1, 10_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        List<VcpuScheduler.Group> idle = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            idle.add(add(machine(TinyKernels.Ending.IDLE, 1), CpuShare.DEFAULT, exits));
        }
        VcpuScheduler.Group busy = add(machine(TinyKernels.Ending.SPIN, 1), CpuShare.DEFAULT, exits);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (busy.cpuNanos() < 1_000_000_000L && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long idleCpu = 0;
        for (VcpuScheduler.Group g : idle) {
            g.remove();
            idleCpu += g.cpuNanos();
        }
        busy.remove();
        assertThat(idleCpu).isLessThan(busy.cpuNanos() / 10);
        assertThat(exits).isEmpty();
    }

    @Test
    void lifecycleExitsReachTheSinkAndStopTheGroup() throws Exception {
        scheduler = new VcpuScheduler(2, 10_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        VcpuScheduler.Group g = add(machine(TinyKernels.Ending.TRIPLE_FAULT, 1), CpuShare.DEFAULT, exits);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (exits.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(exits).singleElement().isInstanceOf(VcpuExit.Shutdown.class);
        g.remove();
    }

    @Test
    void aPinnedVmRunsOnlyOnItsCpusAndUnpinningRestoresTheWorker() throws Exception {
        CpuSet original = HostThreads.affinity(0); // the worker inherits this thread's affinity
        int cpu = CpuSet.online().last();
        scheduler = new VcpuScheduler(1, 5_000_000, 100_000_000);
        VirtualMachine vm = machine(TinyKernels.Ending.SPIN, 1);
        VcpuScheduler.Group g = scheduler.add("pinned", vm.vm().vcpus(), CpuShare.DEFAULT, CpuSet.of(cpu),
                IdleWait.forEmulator((EmuVm) vm.vm()), (vcpu, exit) -> { });
        awaitCpu(g, 100_000_000L);
        Path worker = task("vcpu-worker-0");
        assertThat(status(worker, "Cpus_allowed_list")).isEqualTo(String.valueOf(cpu));
        for (int i = 0; i < 20; i++) {
            assertThat(lastCpu(worker)).isEqualTo(cpu);
            Thread.sleep(5);
        }
        g.setCpuset(null);
        awaitCpu(g, g.cpuNanos() + 50_000_000L); // several slices later
        assertThat(status(worker, "Cpus_allowed_list")).isEqualTo(original.toString());
        assertThat(g.problem()).isNull();
        g.remove();
    }

    private static void awaitCpu(VcpuScheduler.Group g, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (g.cpuNanos() < nanos && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** This process's thread named {@code name} (proc(5): /proc/self/task/TID/comm). */
    private static Path task(String name) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            List<Path> found = new ArrayList<>();
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals(name)) {
                        found.add(t);
                    }
                } catch (java.io.IOException e) {
                    // ended while listed
                }
            }
            assertThat(found).as("threads named %s", name).hasSize(1);
            return found.getFirst();
        }
    }

    private static String status(Path task, String key) throws java.io.IOException {
        for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).strip();
            }
        }
        throw new AssertionError(key + " is not in " + task + "/status");
    }

    /** Field 39 of /proc/.../stat: the CPU the thread last ran on. */
    private static int lastCpu(Path task) throws java.io.IOException {
        String stat = Files.readString(task.resolve("stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ")[39 - 3]);
    }

    @Test
    void changingTheCapWhileRunningTakesEffect() throws Exception {
        scheduler = new VcpuScheduler(1, 10_000_000, 100_000_000);
        List<VcpuExit> exits = new CopyOnWriteArrayList<>();
        VcpuScheduler.Group a = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(100, 0), exits);
        VcpuScheduler.Group b = add(machine(TinyKernels.Ending.SPIN, 1), new CpuShare(100, 0), exits);
        a.setShare(new CpuShare(100, 20));
        b.setShare(new CpuShare(100, 60));
        assertThat(a.share().capPercent()).isEqualTo(20);
        assertThat(ratioAfter(a, b, 1_500_000_000L)).isBetween(2.4, 3.6);
    }
}
