package dev.jvisor.conformance;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One single-vCPU VM on a {@link Backend} with its own RAM and {@link TestMachine}, running a
 * {@link TinyGuest}. Every run is bounded by a watchdog that kicks the vCPU, so a guest that never
 * finishes fails its test instead of hanging the build. Closing closes the VM, then the memory.
 */
public final class GuestVm implements AutoCloseable {
    private static final ScheduledExecutorService WATCHDOGS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "conformance-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** How a bounded run ended. */
    public record Run(VcpuExit exit, boolean watchdogFired) {
    }

    private final Backend backend;
    private final GuestMemory memory;
    private final Vm vm;
    private final TestMachine machine;

    private GuestVm(Backend backend, GuestMemory memory, Vm vm, TestMachine machine) {
        this.backend = backend;
        this.memory = memory;
        this.vm = vm;
        this.machine = machine;
    }

    /** A VM with {@code ramBytes} of RAM from address 0; skips the test if the back end is unusable. */
    public static GuestVm create(Backend backend, long ramBytes) {
        var hypervisor = backend.hypervisor();
        GuestMemory memory = GuestMemory.flat(ramBytes);
        TestMachine machine = new TestMachine();
        try {
            return new GuestVm(backend, memory, hypervisor.createVm(new VmSpec(memory, 1, machine)), machine);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** A VM with {@code ramBytes} of RAM in which {@code guest} is laid out and ready to run. */
    public static GuestVm boot(Backend backend, TinyGuest guest, long ramBytes) {
        GuestVm g = create(backend, ramBytes);
        try {
            GuestBoot boot = guest.build(g.memory);
            boot.applyTo(g.vcpu());
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public Backend backend() {
        return backend;
    }

    public GuestMemory memory() {
        return memory;
    }

    public Vm vm() {
        return vm;
    }

    public Vcpu vcpu() {
        return vm.vcpus().getFirst();
    }

    public TestMachine machine() {
        return machine;
    }

    /** Runs the vCPU until run() returns or {@code limit} passes (then it is kicked). */
    public Run run(Duration limit) {
        Vcpu vcpu = vcpu();
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOGS.schedule(() -> {
            fired.set(true);
            vcpu.kick();
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            machine.runningOn(vcpu);
            VcpuExit exit = vcpu.run();
            return new Run(exit, fired.get());
        } finally {
            watchdog.cancel(false);
        }
    }

    /** Schedules {@code action} on the watchdog thread after {@code delay}. */
    public static ScheduledFuture<?> later(Duration delay, Runnable action) {
        return WATCHDOGS.schedule(action, delay.toMillis(), TimeUnit.MILLISECONDS);
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
