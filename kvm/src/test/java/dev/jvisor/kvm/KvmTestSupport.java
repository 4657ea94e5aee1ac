package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.TinyGuest;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Shared helpers: skip without /dev/kvm, build a VM with a tiny guest, run it under a watchdog. */
final class KvmTestSupport {
    /** Generous: CPL0 guests are emulated by the host kernel at a few million instructions per second. */
    static final Duration WATCHDOG = Duration.ofSeconds(60);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kvm-test-watchdog");
        t.setDaemon(true);
        return t;
    });
    private static KvmHypervisor hypervisor;

    private KvmTestSupport() {
    }

    /** The shared back end; skips the calling test when /dev/kvm cannot be used. */
    static synchronized KvmHypervisor hypervisor() {
        if (hypervisor == null) {
            KvmHypervisor h = new KvmHypervisor();
            Availability a = h.availability();
            assumeTrue(a.present(), "KVM is not usable here, so the KVM tests are skipped: " + a.reason());
            hypervisor = h;
        }
        return hypervisor;
    }

    /** A VM, its memory and the test machine model; closing it closes both. */
    record TestVm(GuestMemory memory, KvmVm vm, TestOps ops) implements AutoCloseable {
        KvmVcpu vcpu() {
            return vm.vcpus().getFirst();
        }

        @Override
        public void close() {
            try {
                vm.close();
            } finally {
                memory.close();
            }
        }
    }

    static TestVm newVm(int vcpus, long memoryBytes) {
        KvmHypervisor h = hypervisor();
        GuestMemory memory = GuestMemory.flat(memoryBytes);
        TestOps ops = new TestOps();
        try {
            return new TestVm(memory, h.createVm(new VmSpec(memory, vcpus, ops)), ops);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** A one-vCPU VM with 4 MiB of RAM running {@code guest}. */
    static TestVm boot(TinyGuest guest) {
        TestVm t = newVm(1, 4 << 20);
        try {
            GuestBoot boot = guest.build(t.memory());
            boot.applyTo(t.vcpu());
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** Appends "out EXIT_PORT, al" with {@code code} in AL: the guest's way to end the test. */
    static Asm exit(Asm a, int code) {
        return a.mov(Reg.AL, code).out(TestOps.EXIT_PORT, Reg.AL);
    }

    /**
     * Runs the vCPU until {@code run()} returns, kicking it if it takes longer than
     * {@link #WATCHDOG}; a watchdog kick fails the test instead of hanging it.
     */
    static VcpuExit runBounded(TestVm t, KvmVcpu vcpu) {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> watchdog = TIMER.schedule(() -> {
            fired.set(true);
            vcpu.kick();
        }, WATCHDOG.toMillis(), TimeUnit.MILLISECONDS);
        try {
            t.ops().runningOn(vcpu);
            VcpuExit exit = vcpu.run();
            assertThat(fired).as("the guest did not finish within %s (watchdog kick)", WATCHDOG).isFalse();
            return exit;
        } finally {
            watchdog.cancel(false);
        }
    }

    /** Runs until the guest writes the exit port, and returns the value it wrote. */
    static long runToExit(TestVm t) {
        VcpuExit exit = runBounded(t, t.vcpu());
        assertThat(exit).as("run() result").isEqualTo(VcpuExit.KICKED);
        assertThat(t.ops().exitValues).as("the guest wrote the exit port").containsKey(0);
        return t.ops().exitValues.get(0);
    }

    /** Kicks {@code vcpu} after {@code delay} from another thread. */
    static ScheduledFuture<?> kickLater(KvmVcpu vcpu, Duration delay) {
        return TIMER.schedule(vcpu::kick, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
}
