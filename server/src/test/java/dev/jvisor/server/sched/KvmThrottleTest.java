package dev.jvisor.server.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caps on KVM VMs, enforced by pausing: two busy tiny KVM guests capped at 25% and 75% get vCPU
 * thread CPU time in that ratio (measured CPU time within a tolerance; no wall-clock assertion).
 */
class KvmThrottleTest {
    @TempDir
    Path dir;

    @Test
    void capsOf25And75PercentGiveCpuTimeInThatRatio() throws Exception {
        try (KvmHypervisor kvm = new KvmHypervisor(); KvmThrottle throttle = new KvmThrottle(100_000_000)) {
            assumeTrue(kvm.availability().present(), "no usable /dev/kvm");
            Path k = dir.resolve("spin.elf");
            Files.write(k, TinyKernels.kernel("", TinyKernels.Ending.SPIN));
            VmConfig config = new VmConfig(k, Optional.empty(), "", 16 << 20, 1, VmConfig.Accel.KVM).withRng(false);
            try (VirtualMachine low = MachineBuilder.build(config, kvm, new ByteArrayOutputStream());
                 VirtualMachine high = MachineBuilder.build(config, kvm, new ByteArrayOutputStream())) {
                low.start();
                high.start();
                KvmThrottle.Entry a = throttle.add(low, new CpuShare(100, 25));
                KvmThrottle.Entry b = throttle.add(high, new CpuShare(100, 75));
                long a0 = a.cpuNanos(), b0 = b.cpuNanos();
                long deadline = System.nanoTime() + 60_000_000_000L; // a hang guard, not a speed check
                while ((a.cpuNanos() - a0) + (b.cpuNanos() - b0) < 2_000_000_000L && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                double ratio = (double) (b.cpuNanos() - b0) / (a.cpuNanos() - a0);
                assertThat(ratio).isBetween(2.4, 3.6);
                assertThat(a.throttles()).isPositive();
                // A user's pause holds even when the period ends; resume lets it run again.
                a.pause();
                Thread.sleep(250);
                long paused = a.cpuNanos();
                Thread.sleep(250);
                assertThat(a.cpuNanos()).isEqualTo(paused);
                a.resume();
                a.remove();
                b.remove();
                low.stop(new ExitReason.Stopped("test"));
                high.stop(new ExitReason.Stopped("test"));
            }
        }
    }
}
