package dev.jvisor.server.manager;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM known to the daemon: its definition, lifecycle state and current run. Every lifecycle
 * change holds {@link #lock}; readers of single fields need not (they are volatile).
 */
final class ManagedVm {
    final ReentrantLock lock = new ReentrantLock();
    final ConsoleHub console;
    volatile VmDefinition definition;
    volatile VmState state;
    volatile String reason;
    volatile VmRun run;
    volatile boolean deleted;
    /** Bumped at each start, so a late exit of an earlier run is recognised and ignored. */
    long generation;
    // CPU% sampling (by the manager's sampler thread only)
    long lastCpu;
    long lastSampleNanos;
    volatile double cpuPercent;

    ManagedVm(VmDefinition definition, VmState state, ConsoleHub console) {
        this.definition = definition;
        this.state = state;
        this.console = console;
    }

    /** A tap on the console of this running VM. */
    ConsoleTap attachConsole() throws ServiceException {
        if (!state.active()) {
            throw new ServiceException(ServiceException.Kind.CONFLICT, "VM '" + name() + "' is not running");
        }
        return console.attach(64 << 10);
    }

    /**
     * Types {@code data} into the serial console. Input that arrives between two runs (a reboot) is
     * dropped; false once the VM was deleted.
     */
    boolean typeIntoConsole(byte[] data) throws InterruptedException {
        if (deleted) {
            return false;
        }
        VmRun r = run;
        if (r != null) {
            r.machine().console().enqueueInput(data);
        }
        return true;
    }

    String name() {
        return definition.name();
    }

    VmInfo info() {
        VmDefinition d = definition;
        VmRun r = run;
        VmState s = state;
        return new VmInfo(d.name(), s.id(), reason, r == null ? null : r.backend(), d.vcpus(), d.memoryMib(),
                s.active() ? cpuPercent : 0, r == null ? 0 : r.uptimeNanos() / 1_000_000_000L, d);
    }
}
