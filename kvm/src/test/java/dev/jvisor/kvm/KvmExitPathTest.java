package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.kvm.bench.KvmExitBench;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.TinyGuest;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ScheduledFuture;
import org.junit.jupiter.api.Test;

/** The port-exit path allocates nothing per exit once compiled. */
class KvmExitPathTest {
    /** Ignores the loop port, kicks at the exit port; allocation-free. */
    private static final class QuietOps implements VmOps {
        KvmVcpu vcpu;
        boolean finished;

        @Override
        public long pioRead(int port, int size) {
            return 0;
        }

        @Override
        public void pioWrite(int port, int size, long value) {
            if (port == TestOps.EXIT_PORT) {
                finished = true;
                vcpu.kick();
            }
        }

        @Override
        public long mmioRead(long address, int size) {
            return 0;
        }

        @Override
        public void mmioWrite(long address, int size, long value) {
        }
    }

    @Test
    void exitsDoNotAllocate() {
        KvmHypervisor kvm = KvmTestSupport.hypervisor();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        QuietOps ops = new QuietOps();
        try (GuestMemory memory = GuestMemory.flat(1 << 20); KvmVm vm = kvm.createVm(new VmSpec(memory, 1, ops))) {
            ops.vcpu = vm.vcpus().getFirst();
            TinyGuest.realMode().load(TinyGuest.REAL_CODE, KvmExitBench.guestCode()).build(memory).applyTo(ops.vcpu);
            loop(ops, 30_000);   // warm up: let the JIT compile the exit path
            long a0 = threads.getCurrentThreadAllocatedBytes();
            loop(ops, 1_000);
            long a1 = threads.getCurrentThreadAllocatedBytes();
            loop(ops, 21_000);
            long a2 = threads.getCurrentThreadAllocatedBytes();
            long extra = (a2 - a1) - (a1 - a0);
            assertThat(extra).as("bytes allocated for 20,000 extra exits").isLessThan(20_000);
        }
    }

    private static void loop(QuietOps ops, long exits) {
        ops.finished = false;
        ops.vcpu.setRegisters(new Registers(0, 0, exits, 0, 0, 0, 0x1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, TinyGuest.REAL_CODE, 2));
        ScheduledFuture<?> watchdog = KvmTestSupport.kickLater(ops.vcpu, KvmTestSupport.WATCHDOG);
        try {
            assertThat(ops.vcpu.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(ops.finished).as("the guest reached its exit port").isTrue();
        } finally {
            watchdog.cancel(false);
        }
    }
}
