package dev.jvisor.server.manager;

import dev.jvisor.emu.EmuVcpu;
import dev.jvisor.emu.EmuVm;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.kvm.KvmVcpu;
import dev.jvisor.kvm.KvmVm;
import dev.jvisor.memory.MemoryRegion;
import dev.jvisor.server.sched.CpuSet;
import dev.jvisor.server.sched.CpuShare;
import dev.jvisor.server.sched.IdleWait;
import dev.jvisor.server.sched.KvmThrottle;
import dev.jvisor.server.sched.KvmVcpuThreads;
import dev.jvisor.server.sched.VcpuScheduler;
import dev.jvisor.vmm.CountingDiskImage;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.RateLimitConfig;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of a VM: the {@link VirtualMachine} built from its definition and how its vCPUs are
 * scheduled. An emulated VM's vCPUs go to the daemon's {@link VcpuScheduler} (a bounded pool of
 * threads, fair share, caps and cpusets); a KVM VM's vCPUs run on their own threads (they block in
 * KVM_RUN): its cap is enforced by the {@link KvmThrottle}, its weight and cpuset by the host's
 * scheduler ({@link KvmVcpuThreads}).
 *
 * <p>Not thread-safe on its own: the owning {@link ManagedVm}'s lock serialises lifecycle calls.
 */
final class VmRun {
    private final VirtualMachine machine;
    private final VcpuScheduler.Group group;
    private final KvmThrottle.Entry throttle;
    private final KvmVcpuThreads.Entry threads;
    private final long startNanos = System.nanoTime();
    private boolean closed;

    private VmRun(VirtualMachine machine, VcpuScheduler.Group group, KvmThrottle.Entry throttle,
                  KvmVcpuThreads.Entry threads) {
        this.machine = machine;
        this.group = group;
        this.throttle = throttle;
        this.threads = threads;
    }

    /**
     * Builds and starts the VM of {@code def}. The caller has reserved its memory and vCPUs.
     *
     * @throws ServiceException if the configuration cannot be built here (the message says why)
     */
    static VmRun start(VmDefinition def, Hypervisor hypervisor, ConsoleHub console, SwitchRegistry switches,
                       VcpuScheduler scheduler, KvmThrottle kvmThrottle, KvmVcpuThreads kvmThreads)
            throws ServiceException {
        VmConfig config = def.toConfig();
        VirtualMachine machine;
        try {
            machine = MachineBuilder.build(config, hypervisor, console, switches);
        } catch (VmException e) {
            throw new ServiceException(ServiceException.Kind.FAILED, "cannot build VM '" + def.name() + "': " + e.getMessage());
        }
        try {
            if (def.prefault()) {
                // Touch every page now, so the VM's memory is resident from the start (admission
                // reserved it; a later shortage cannot hit the guest mid-run).
                for (MemoryRegion r : machine.memory().regions()) {
                    machine.memory().fill(r.guestBase(), r.size(), (byte) 0);
                }
            }
            CpuShare share = def.cpuShare();
            if (machine.vm() instanceof EmuVm emu) {
                VcpuScheduler.Group g = scheduler.add(def.name(), emu.vcpus(), share, def.pinning(),
                        IdleWait.forEmulator(emu), (vcpu, exit) -> machine.stop(reasonFor(vcpu, exit)));
                return new VmRun(machine, g, null, null);
            }
            machine.start();
            KvmVm kvm = (KvmVm) machine.vm();
            awaitThreadIds(kvm);
            KvmVcpuThreads.Entry threads = kvmThreads.add(def.name(), share.weight(), def.pinning(),
                    () -> threadIds(kvm));
            try {
                return new VmRun(machine, null, kvmThrottle.add(machine, share), threads);
            } catch (RuntimeException e) {
                threads.remove();
                throw e;
            }
        } catch (RuntimeException e) {
            machine.close();
            throw new ServiceException(ServiceException.Kind.FAILED, "cannot start VM '" + def.name() + "': " + e);
        }
    }

    private static int[] threadIds(KvmVm kvm) {
        return kvm.vcpus().stream().mapToInt(KvmVcpu::hostThreadId).toArray();
    }

    /**
     * Waits until every vCPU thread has entered KVM_RUN once and so recorded its thread id (they do
     * so right after start), so its nice value and affinity are set before it has run for long. A
     * thread that is later than a second is set up at the next recomputation.
     */
    private static void awaitThreadIds(KvmVm kvm) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (java.util.Arrays.stream(threadIds(kvm)).anyMatch(t -> t == 0) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    /** The reason a vCPU's lifecycle exit ends the VM with (as {@link VirtualMachine}'s own loop maps it). */
    static ExitReason reasonFor(Vcpu vcpu, VcpuExit exit) {
        return switch (exit) {
            case VcpuExit.Halted h -> new ExitReason.GuestShutdown("vCPU " + vcpu.index() + " halted with interrupts disabled");
            case VcpuExit.Shutdown s -> new ExitReason.GuestShutdown(s.detail());
            case VcpuExit.Crashed c -> new ExitReason.Crashed(vcpu.index(), c.report());
            case VcpuExit.Kicked k -> new ExitReason.Stopped("a kick");
            case VcpuExit.Debug d -> new ExitReason.Stopped("a debug event");
        };
    }

    VirtualMachine machine() {
        return machine;
    }

    String backend() {
        return machine.backend();
    }

    long uptimeNanos() {
        return System.nanoTime() - startNanos;
    }

    /** Host CPU time of this run's vCPUs. */
    long cpuNanos() {
        return group != null ? group.cpuNanos() : throttle.cpuNanos();
    }

    long throttles() {
        return group != null ? group.throttles() : throttle.throttles();
    }

    /** Guest RAM resident in host memory (see {@link GuestResidency}). */
    long residentBytes() {
        var mapping = machine.memory().hostMapping();
        return GuestResidency.residentBytes(mapping.address(), mapping.byteSize());
    }

    /** Emulated instructions so far, or -1 for KVM. */
    long instructions() {
        if (!(machine.vm() instanceof EmuVm emu)) {
            return -1;
        }
        long n = 0;
        for (EmuVcpu v : emu.vcpus()) {
            n += v.instructions();
        }
        return n;
    }

    void pause() throws InterruptedException {
        if (group != null) {
            group.pause();
            ((EmuVm) machine.vm()).clock().pause(); // guest time stands still while paused
        } else {
            throttle.pause();
        }
    }

    void resume() {
        if (group != null) {
            ((EmuVm) machine.vm()).clock().resume();
            group.resume();
        } else {
            throttle.resume();
        }
    }

    void setShare(CpuShare share) {
        if (group != null) {
            group.setShare(share);
        } else {
            throttle.setShare(share);
            threads.setWeight(share.weight());
        }
    }

    /** Pins the vCPUs to {@code cpus} (null: any CPU) while the VM runs. */
    void setCpuset(CpuSet cpus) {
        if (group != null) {
            group.setCpuset(cpus);
        } else {
            threads.setCpuset(cpus);
        }
    }

    /** The nice value of the vCPU threads (KVM), or null (emulated: the scheduler's workers share one). */
    Integer hostNice() {
        return threads == null ? null : threads.nice();
    }

    /** Why the weight or cpuset could not be applied on the host, or null. */
    String hostSchedulingProblem() {
        return group != null ? group.problem() : threads.problem();
    }

    /** Applies a new limit to drive {@code index}'s limiter while the VM runs. */
    void setDriveLimit(int index, RateLimitConfig c) {
        machine.virtio().driveLimiter(index).update(c.bytes(), c.ops());
    }

    /** Applies a new limit to both directions of interface {@code index}. */
    void setNetLimit(int index, RateLimitConfig c) {
        for (var l : machine.virtio().nicLimiters(index)) {
            l.update(c.bytes(), c.ops());
        }
    }

    List<VmStats.DriveStats> driveStats() {
        List<VmStats.DriveStats> out = new ArrayList<>();
        for (int i = 0; i < machine.virtio().drives().size(); i++) {
            CountingDiskImage.Counts c = machine.virtio().driveCounts(i);
            out.add(new VmStats.DriveStats(i, c.readOps(), c.readBytes(), c.writeOps(), c.writeBytes(), c.flushes()));
        }
        return out;
    }

    List<VmStats.NetStats> netStats() {
        List<VmStats.NetStats> out = new ArrayList<>();
        for (int i = 0; i < machine.virtio().nics().size(); i++) {
            dev.jvisor.io.net.NetStats s = machine.virtio().nics().get(i).backend().stats();
            // The back end's tx is the guest's transmit; its rx is what it delivers to the guest.
            out.add(new VmStats.NetStats(i, s.rxFrames(), s.rxBytes(), s.rxDropped(), s.txFrames(), s.txBytes(),
                    s.txDropped()));
        }
        return out;
    }

    /**
     * Ends the run: stops the VM with {@code reason} (if it did not stop already), takes its vCPUs
     * off the scheduler or throttle, and frees its memory, threads and files. Idempotent.
     */
    void close(ExitReason reason) throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        machine.stop(reason);
        if (group != null) {
            group.remove();
        } else {
            throttle.remove();
            threads.remove();
        }
        machine.close();
    }
}
