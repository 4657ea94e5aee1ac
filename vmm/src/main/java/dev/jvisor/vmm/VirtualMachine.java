package dev.jvisor.vmm;

import dev.jvisor.devices.BusVmOps;
import dev.jvisor.devices.PowerControl;
import dev.jvisor.devices.serial.Uart16550;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running VM: its memory, back-end VM, devices and one platform thread per vCPU (never a
 * virtual thread: a vCPU blocks in KVM_RUN or runs guest code for long stretches).
 *
 * <p>Lifecycle: built by {@link MachineBuilder}, {@link #start()}ed once, then it runs until the
 * guest powers off, resets, shuts down or crashes, or until {@link #stop}; {@link #awaitExit} gives
 * the reason. {@link #pause()}/{@link #resume()} park and release every vCPU. {@link #close()} frees
 * host resources (threads joined, virtio devices with their images and back ends, the board's
 * devices, back-end VM, guest memory).
 */
public final class VirtualMachine implements AutoCloseable, PowerControl {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualMachine.class);

    private final String backend;
    private final GuestMemory memory;
    private final BusVmOps ops;
    private Vm vm;
    private LegacyDevices devices;
    private VirtioDevices virtio;
    private final CompletableFuture<ExitReason> exit = new CompletableFuture<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Object pauseLock = new Object();
    private volatile boolean stopping;
    private boolean pauseRequested;
    private int parked;
    private boolean started;
    private volatile VcpuSupervisor supervisor;

    VirtualMachine(String backend, GuestMemory memory, BusVmOps ops) {
        this.backend = backend;
        this.memory = memory;
        this.ops = ops;
    }

    void attach(Vm vm, LegacyDevices devices, VirtioDevices virtio) {
        this.vm = vm;
        this.devices = devices;
        this.virtio = virtio;
    }

    /** The back end running this VM ({@code kvm} or {@code emu}). */
    public String backend() {
        return backend;
    }

    public Vm vm() {
        return vm;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The serial console (COM1): feed it input, it writes to the stream given at build time. */
    public Uart16550 console() {
        return devices.com1;
    }

    /**
     * Presses the ACPI power button (PWRBTN_STS, an SCI if the guest enabled it): a guest with an
     * ACPI button handler shuts down in order. The service's {@code SendCtrlAltDel} uses it.
     */
    public void pressPowerButton() {
        devices.acpiPm.pressPowerButton();
    }

    /** The virtio devices: drives, network interfaces and their back ends. */
    public VirtioDevices virtio() {
        return virtio;
    }

    /** Unclaimed port and MMIO accesses so far, for diagnostics. */
    public BusVmOps buses() {
        return ops;
    }

    /**
     * CPU time the vCPU threads have used so far, in nanoseconds (the JVM's ThreadMXBean; threads
     * that have ended no longer count). For benchmarks: with the emulator this is the cost of
     * running guest code, including the device accesses handled on vCPU threads.
     */
    public synchronized long vcpuCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : threads) {
            long ns = mx.getThreadCpuTime(t.threadId());
            if (ns > 0) {
                total += ns;
            }
        }
        return total;
    }

    /** Starts one thread per vCPU. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the VM is already started");
        }
        started = true;
        for (Vcpu vcpu : vm.vcpus()) {
            Thread t = Thread.ofPlatform().name("vcpu-" + vcpu.index()).unstarted(() -> vcpuLoop(vcpu));
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void vcpuLoop(Vcpu vcpu) {
        try {
            while (!stopping) {
                parkWhilePaused();
                if (stopping) {
                    break;
                }
                VcpuSupervisor sup = supervisor;
                if (sup != null) {
                    sup.beforeRun(vcpu);
                    if (stopping) {
                        break;
                    }
                }
                VcpuExit e = vcpu.run();
                switch (e) {
                    case VcpuExit.Kicked k -> {
                        // pause or stop: the loop looks at the flags
                    }
                    case VcpuExit.Halted h -> stop(new ExitReason.GuestShutdown(
                            "vCPU " + vcpu.index() + " halted with interrupts disabled"));
                    case VcpuExit.Shutdown s -> stop(new ExitReason.GuestShutdown(s.detail()));
                    case VcpuExit.Crashed c -> stop(new ExitReason.Crashed(vcpu.index(), c.report()));
                    case VcpuExit.Debug d -> {
                        // Only a debugger that called Vcpu.setDebug gets these; without one, carry on.
                        if (sup != null) {
                            sup.debugEvent(vcpu, d);
                        }
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("vCPU {} thread failed", vcpu.index(), e);
            stop(new ExitReason.Crashed(vcpu.index(), new dev.jvisor.hypervisor.CrashReport(
                    "vCPU thread failed: " + e, -1, 0, 0, "")));
        }
    }

    private void parkWhilePaused() {
        synchronized (pauseLock) {
            if (!pauseRequested) {
                return;
            }
            parked++;
            pauseLock.notifyAll();
            try {
                while (pauseRequested && !stopping) {
                    pauseLock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                parked--;
            }
        }
    }

    /** Stops the VM with {@code reason} (the first reason given wins). Any thread; does not wait. */
    public void stop(ExitReason reason) {
        if (exit.complete(reason)) {
            stopping = true;
            synchronized (pauseLock) {
                pauseLock.notifyAll();
            }
            for (Vcpu v : vm.vcpus()) {
                v.kick();
            }
            VcpuSupervisor s = supervisor;
            if (s != null) {
                s.machineStopped(reason);
            }
        }
    }

    /**
     * Lets {@code s} hold vCPUs and receive their debug events (a GDB stub). Before {@link #start()}.
     * A vCPU held by the supervisor does not count as parked for {@link #pause()}.
     */
    public synchronized void supervise(VcpuSupervisor s) {
        if (started) {
            throw new IllegalStateException("a supervisor must be installed before the VM starts");
        }
        this.supervisor = s;
    }

    /** Parks every vCPU and returns once they are all parked. */
    public void pause() throws InterruptedException {
        synchronized (pauseLock) {
            pauseRequested = true;
        }
        for (Vcpu v : vm.vcpus()) {
            v.kick();
        }
        synchronized (pauseLock) {
            while (parked < threads.size() && !stopping) {
                pauseLock.wait(100);
                for (Vcpu v : vm.vcpus()) {
                    v.kick(); // a vCPU may have been entering run() as the first kick landed
                }
            }
        }
    }

    public void resume() {
        synchronized (pauseLock) {
            pauseRequested = false;
            pauseLock.notifyAll();
        }
    }

    /** Waits until the VM stops, and says why. */
    public ExitReason awaitExit() throws InterruptedException {
        try {
            return exit.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits at most {@code timeout}; null if the VM still runs. */
    public ExitReason awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            return exit.get(timeout, unit);
        } catch (TimeoutException e) {
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void powerOff() {
        stop(new ExitReason.PowerOff());
    }

    @Override
    public void reset() {
        stop(new ExitReason.Reset("reset requested by the guest"));
    }

    @Override
    public void close() {
        stop(new ExitReason.Stopped("close"));
        for (Thread t : threads) {
            try {
                t.join(10_000);
                if (t.isAlive()) {
                    LOG.warn("{} did not stop within 10 s", t.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // Teardown order: virtio devices use guest memory and raise interrupts through the VM, so
        // they stop first (resets end their I/O threads); then their images are flushed and closed
        // and their back ends stopped; then the board, the back-end VM and the memory go.
        if (virtio != null) {
            virtio.close();
        }
        if (devices != null) {
            devices.close();
        }
        if (vm != null) {
            vm.close();
        }
        memory.close();
    }
}
