package dev.jvisor.server.manager;

import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.server.sched.KvmThrottle;
import dev.jvisor.server.sched.KvmVcpuThreads;
import dev.jvisor.server.sched.VcpuScheduler;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's VMs: create, start, stop, pause, resume, reboot and delete them, with persistence of
 * their definitions, admission control against the {@link HostBudget}, their vCPUs on the
 * {@link VcpuScheduler} (emulator) or under the {@link KvmThrottle} (KVM), their consoles logged, and
 * an {@link EventBus} for every change.
 *
 * <p>Thread-safe: operations on different VMs run in parallel; operations on one VM are serialised
 * by its lock. A refused operation ({@link ServiceException}) changes nothing. A guest that powers
 * off goes to {@code stopped}; one that crashes (triple fault, back-end failure) to {@code crashed}
 * with the reason; one that resets is rebooted.
 */
public final class VmManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmManager.class);

    /**
     * @param stateDir     where definitions ({@code vms/}) and console logs ({@code logs/}) live
     * @param budget       the host's memory and vCPUs for VMs
     * @param scheduler    the emulator's vCPU scheduler
     * @param logMaxBytes  console log size at which it rotates
     * @param logKeep      rotated console logs kept per VM
     */
    public record Options(Path stateDir, HostBudget budget, VcpuScheduler scheduler, long logMaxBytes, int logKeep) {
    }

    private final Options options;
    private final DefinitionStore store;
    private final Backends backends = new Backends();
    private final KvmThrottle throttle;
    private final KvmVcpuThreads kvmThreads = KvmVcpuThreads.ofHost();
    private final SwitchRegistry switches = new SwitchRegistry();
    private final EventBus events = new EventBus();
    private final Map<String, ManagedVm> vms = new ConcurrentHashMap<>();
    private final Thread sampler;
    private volatile boolean closed;

    /** Opens the state directory and loads the stored definitions (every VM starts out stopped). */
    public VmManager(Options options) throws IOException {
        this.options = options;
        this.store = new DefinitionStore(options.stateDir());
        this.throttle = new KvmThrottle(options.scheduler().periodNanos());
        for (VmDefinition d : store.loadAll()) {
            try {
                VmDefinition n = d.normalized();
                vms.put(n.name(), new ManagedVm(n, VmState.STOPPED, consoleFor(n.name())));
            } catch (ServiceException e) {
                // A kernel that went away does not lose the definition: it stays, and start says why.
                vms.put(d.name(), new ManagedVm(d.withDefaults(), VmState.STOPPED, consoleFor(d.name())));
                LOG.warn("VM {}: {}", d.name(), e.getMessage());
            }
        }
        sampler = Thread.ofVirtual().name("vm-cpu-sampler").start(() -> VmMonitor.sampleCpu(vms.values(), () -> closed,
                this::resetInheritedScheduling));
    }

    private ConsoleHub consoleFor(String name) throws IOException {
        return new ConsoleHub(new RotatingLog(logFile(name), options.logMaxBytes(), options.logKeep()));
    }

    private Path logFile(String name) {
        return options.stateDir().resolve("logs").resolve(name + ".log");
    }

    public EventBus events() {
        return events;
    }

    public HostBudget budget() {
        return options.budget();
    }

    public Backends backends() {
        return backends;
    }

    public VcpuScheduler scheduler() {
        return options.scheduler();
    }

    public SwitchRegistry switches() {
        return switches;
    }

    /**
     * While a KVM VM or a pinned VM runs: threads that inherited a vCPU thread's nice value or
     * affinity (virtual-thread carriers the JDK started from a vCPU thread or scheduler worker) get
     * the daemon's back. See {@link KvmVcpuThreads#resetInherited}.
     */
    private void resetInheritedScheduling() {
        for (ManagedVm vm : vms.values()) {
            VmRun r = vm.run;
            if (r != null && (vm.definition.cpuset() != null || r.hostNice() != null)) {
                kvmThreads.resetInherited(name -> name.startsWith(VcpuScheduler.WORKER_NAME_PREFIX));
                return;
            }
        }
    }

    /** How KVM vCPU threads get their weights and cpusets on the host (for {@code host info}). */
    public KvmVcpuThreads.Status kvmThreadStatus() {
        return kvmThreads.status();
    }

    // ------------------------------------------------------------------ queries

    public List<VmInfo> list() {
        List<VmInfo> all = new ArrayList<>();
        for (ManagedVm vm : vms.values()) {
            all.add(vm.info());
        }
        all.sort(Comparator.comparing(VmInfo::name));
        return all;
    }

    public VmInfo get(String name) throws ServiceException {
        return find(name).info();
    }

    private ManagedVm find(String name) throws ServiceException {
        ManagedVm vm = name == null ? null : vms.get(name);
        if (vm == null) {
            throw new ServiceException(ServiceException.Kind.NOT_FOUND, "no VM named '" + name + "'");
        }
        return vm;
    }

    /** Locks {@code name}'s VM for a lifecycle change; fails if it was deleted meanwhile. */
    private ManagedVm lock(String name) throws ServiceException {
        ManagedVm vm = find(name);
        vm.lock.lock();
        if (vm.deleted) {
            vm.lock.unlock();
            throw new ServiceException(ServiceException.Kind.NOT_FOUND, "no VM named '" + name + "'");
        }
        return vm;
    }

    public VmStats stats(String name) throws ServiceException {
        return VmMonitor.stats(find(name));
    }

    /** The last {@code maxBytes} of the VM's console log. */
    public byte[] logs(String name, int maxBytes) throws ServiceException {
        try {
            return find(name).console.log().tail(maxBytes);
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Kind.FAILED, "cannot read the console log: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ lifecycle

    public VmInfo create(VmDefinition requested) throws ServiceException {
        checkOpen();
        VmDefinition def = requested.normalized();
        options.budget().checkFits(def.name(), def.memoryBytes(), def.vcpus());
        ConsoleHub console;
        try {
            console = consoleFor(def.name());
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Kind.FAILED, "cannot open the console log: " + e.getMessage());
        }
        ManagedVm vm = new ManagedVm(def, VmState.CREATED, console);
        vm.lock.lock();
        try {
            if (vms.putIfAbsent(def.name(), vm) != null) {
                console.log().close();
                throw new ServiceException(ServiceException.Kind.CONFLICT, "a VM named '" + def.name() + "' already exists");
            }
            try {
                store.save(def);
            } catch (IOException e) {
                vms.remove(def.name());
                vm.deleted = true;
                console.log().close();
                throw new ServiceException(ServiceException.Kind.FAILED, "cannot save the definition: " + e.getMessage());
            }
            events.publish("created", def.name(), VmState.CREATED, null, null);
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    public VmInfo start(String name) throws ServiceException {
        checkOpen();
        ManagedVm vm = lock(name);
        try {
            if (vm.state.active()) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "VM '" + name + "' is already " + vm.state.id());
            }
            VmDefinition def = vm.definition.normalized(); // files may have gone since it was stored
            VmState previous = vm.state;
            startRun(vm, def);
            vm.reason = null;
            vm.state = VmState.RUNNING;
            events.publish("state", name, VmState.RUNNING, previous, null);
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Under the VM's lock: admits, builds and starts a run and watches for its end. */
    private void startRun(ManagedVm vm, VmDefinition def) throws ServiceException {
        options.budget().reserve(def.name(), def.memoryBytes(), def.vcpus());
        // Armed before the vCPUs start: a tiny guest may print within microseconds.
        vm.console.onFirstByte(() -> events.publish("first-output", def.name(), VmState.RUNNING, null, null));
        VmRun run;
        try {
            run = VmRun.start(def, backends.forAccel(VmConfig.Accel.parse(def.accel())), vm.console, switches,
                    options.scheduler(), throttle, kvmThreads);
        } catch (ServiceException | RuntimeException e) {
            vm.console.onFirstByte(null);
            options.budget().release(def.memoryBytes(), def.vcpus());
            throw e;
        }
        long generation = ++vm.generation;
        vm.run = run;
        vm.lastCpu = 0;
        vm.lastSampleNanos = System.nanoTime();
        vm.cpuPercent = 0;
        Thread.ofVirtual().name("vm-watch-" + def.name()).start(() -> watch(vm, run, generation, def));
    }

    /** Waits for a run to end by itself (guest power-off, crash, reset) and moves the VM on. */
    private void watch(ManagedVm vm, VmRun run, long generation, VmDefinition def) {
        ExitReason reason;
        try {
            reason = run.machine().awaitExit();
        } catch (InterruptedException e) {
            return;
        }
        vm.lock.lock();
        try {
            if (vm.run != run || vm.generation != generation) {
                return; // an API call ended this run and has already moved the VM on
            }
            endRun(vm, def, reason);
            VmState previous = vm.state;
            switch (reason) {
                case ExitReason.Reset r -> {
                    try {
                        startRun(vm, vm.definition.normalized());
                        vm.state = VmState.RUNNING;
                        events.publish("rebooted", def.name(), VmState.RUNNING, previous, reason.describe());
                        return;
                    } catch (ServiceException e) {
                        vm.state = VmState.STOPPED;
                        vm.reason = "reboot failed: " + e.getMessage();
                    }
                }
                case ExitReason.GuestShutdown g -> {
                    vm.state = VmState.CRASHED;
                    vm.reason = reason.describe();
                }
                case ExitReason.Crashed c -> {
                    vm.state = VmState.CRASHED;
                    vm.reason = reason.describe();
                }
                default -> {
                    vm.state = VmState.STOPPED;
                    vm.reason = reason.describe();
                }
            }
            vm.console.closeTaps();
            events.publish("state", def.name(), vm.state, previous, vm.reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Under the VM's lock: ends the current run and gives its resources back. */
    private void endRun(ManagedVm vm, VmDefinition def, ExitReason reason) throws InterruptedException {
        VmRun run = vm.run;
        if (run == null) {
            return;
        }
        vm.run = null;
        try {
            run.close(reason);
        } finally {
            options.budget().release(def.memoryBytes(), def.vcpus());
            vm.console.flush();
        }
    }

    public VmInfo stop(String name) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (!vm.state.active()) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "VM '" + name + "' is not running (it is "
                        + vm.state.id() + ")");
            }
            stopLocked(vm, "the API");
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    private void stopLocked(ManagedVm vm, String by) throws ServiceException {
        VmState previous = vm.state;
        try {
            endRun(vm, vm.definition, new ExitReason.Stopped(by));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceException(ServiceException.Kind.FAILED, "interrupted while stopping");
        }
        vm.state = VmState.STOPPED;
        vm.reason = new ExitReason.Stopped(by).describe();
        vm.console.closeTaps();
        events.publish("state", vm.name(), VmState.STOPPED, previous, vm.reason);
    }

    public VmInfo pause(String name) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (vm.state != VmState.RUNNING) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "only a running VM can be paused; '" + name
                        + "' is " + vm.state.id());
            }
            try {
                vm.run.pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ServiceException(ServiceException.Kind.FAILED, "interrupted while pausing");
            }
            vm.state = VmState.PAUSED;
            events.publish("state", name, VmState.PAUSED, VmState.RUNNING, null);
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    public VmInfo resume(String name) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (vm.state != VmState.PAUSED) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "only a paused VM can be resumed; '" + name
                        + "' is " + vm.state.id());
            }
            vm.run.resume();
            vm.state = VmState.RUNNING;
            events.publish("state", name, VmState.RUNNING, VmState.PAUSED, null);
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Restarts a running or paused VM from its kernel (a fresh machine, same definition). */
    public VmInfo reboot(String name) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (!vm.state.active()) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "only a running or paused VM can be rebooted; '"
                        + name + "' is " + vm.state.id());
            }
            VmState previous = vm.state;
            VmDefinition def = vm.definition.normalized();
            try {
                endRun(vm, vm.definition, new ExitReason.Stopped("reboot"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ServiceException(ServiceException.Kind.FAILED, "interrupted while rebooting");
            }
            try {
                startRun(vm, def);
            } catch (ServiceException e) {
                vm.state = VmState.STOPPED;
                vm.reason = "reboot failed: " + e.getMessage();
                events.publish("state", name, VmState.STOPPED, previous, vm.reason);
                throw e;
            }
            vm.state = VmState.RUNNING;
            events.publish("rebooted", name, VmState.RUNNING, previous, "rebooted by the API");
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Deletes a VM that is not running; with {@code force}, stops it first. Its console logs go too. */
    public void delete(String name, boolean force) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (vm.state.active()) {
                if (!force) {
                    throw new ServiceException(ServiceException.Kind.CONFLICT, "VM '" + name + "' is " + vm.state.id()
                            + "; stop it first (or delete with force)");
                }
                stopLocked(vm, "deletion");
            }
            try {
                store.delete(name);
            } catch (IOException e) {
                throw new ServiceException(ServiceException.Kind.FAILED, "cannot delete the definition: " + e.getMessage());
            }
            vm.deleted = true;
            vms.remove(name, vm);
            vm.console.closeTaps();
            vm.console.log().close();
            for (Path p : vm.console.log().files()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot remove console log {}", p, e);
                }
            }
            events.publish("deleted", name, null, null, null);
        } finally {
            vm.lock.unlock();
        }
    }

    /**
     * Changes CPU weight, cap and cpuset and I/O limits; applied at once to a running VM and stored with
     * the definition. Null arguments leave a setting as it is ({@code cpuset} {@value VmDefinition#ALL_CPUS}
     * removes the pinning); {@code io} maps {@code driveN}/{@code netN}
     * to a new limit (an {@link VmDefinition.IoLimit} with both fields null removes the limit).
     */
    public VmInfo setLimits(String name, Integer cpuWeight, Integer cpuCap, String cpuset,
                            Map<String, VmDefinition.IoLimit> io) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            LimitChange change = LimitChange.plan(vm.definition, cpuWeight, cpuCap, cpuset, io);
            try {
                store.save(change.definition());
            } catch (IOException e) {
                throw new ServiceException(ServiceException.Kind.FAILED, "cannot save the definition: " + e.getMessage());
            }
            vm.definition = change.definition();
            VmRun r = vm.run;
            if (r != null) {
                change.applyTo(r);
            }
            events.publish("limits", name, vm.state, null, change.describe());
            return vm.info();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Sends the guest an ACPI power-button press (an orderly shutdown if it handles it). */
    public void powerButton(String name) throws ServiceException {
        ManagedVm vm = lock(name);
        try {
            if (vm.state != VmState.RUNNING) {
                throw new ServiceException(ServiceException.Kind.CONFLICT, "VM '" + name + "' is not running");
            }
            vm.run.machine().pressPowerButton();
        } finally {
            vm.lock.unlock();
        }
    }

    /** Attaches to the VM's console: output through the tap, input with {@link #consoleInput}. */
    public ConsoleTap attachConsole(String name) throws ServiceException {
        return find(name).attachConsole();
    }

    public void detachConsole(String name, ConsoleTap tap) {
        ManagedVm vm = vms.get(name);
        if (vm != null) {
            vm.console.detach(tap);
        }
    }

    /** Types {@code data} into the VM's console (dropped between runs); false once the VM is gone. */
    public boolean consoleInput(String name, byte[] data) throws InterruptedException {
        ManagedVm vm = vms.get(name);
        return vm != null && vm.typeIntoConsole(data);
    }

    /** Every VM's stats, for the metrics endpoint. */
    public List<VmStats> allStats() {
        return VmMonitor.allStats(vms.values());
    }

    private void checkOpen() throws ServiceException {
        if (closed) {
            throw new ServiceException(ServiceException.Kind.CONFLICT, "the daemon is shutting down");
        }
    }

    /** Stops every running VM (definitions stay) and releases the back ends. */
    @Override
    public void close() {
        closed = true;
        sampler.interrupt();
        for (ManagedVm vm : vms.values()) {
            vm.lock.lock();
            try {
                if (vm.state.active()) {
                    try {
                        stopLocked(vm, "daemon shutdown");
                    } catch (ServiceException e) {
                        LOG.warn("stopping {} at shutdown: {}", vm.name(), e.getMessage());
                    }
                }
                vm.console.log().close();
            } finally {
                vm.lock.unlock();
            }
        }
        throttle.close();
        backends.close();
    }
}
