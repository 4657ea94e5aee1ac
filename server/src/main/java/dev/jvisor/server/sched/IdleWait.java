package dev.jvisor.server.sched;

import dev.jvisor.emu.EmuVcpu;
import dev.jvisor.emu.EmuVm;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.irqchip.Platform;

/**
 * How the scheduler waits, off its worker threads, for an idle vCPU to have work again. A vCPU that
 * halted (HLT, or an application processor waiting for its start-up IPI) would otherwise sleep on a
 * worker thread and keep runnable vCPUs of other VMs from it.
 */
@FunctionalInterface
public interface IdleWait {
    /**
     * Blocks until {@code vcpu} may have work: an interrupt or other event for it, its next timer
     * deadline, a kick, or at most {@code maxNanos}. Called on a virtual thread while the vCPU is not
     * running.
     */
    void await(Vcpu vcpu, long maxNanos) throws InterruptedException;

    /** Sleeps {@code min(maxNanos, 1 ms)}: for back ends whose wake-up events are not visible. */
    IdleWait POLL = (vcpu, maxNanos) -> Thread.sleep(java.time.Duration.ofNanos(Math.min(maxNanos, 1_000_000)));

    /**
     * For an emulated VM: waits on the vCPU's local APIC through the platform exactly as the
     * emulator's own HLT does ({@link Platform#waitForInterrupt}); the vCPU's thread role is taken by
     * the waiting thread while the vCPU is off the workers. Maskable interrupts end the wait only
     * when the guest's RFLAGS.IF is set (Intel SDM Vol. 3A §6.8.1).
     */
    static IdleWait forEmulator(EmuVm vm) {
        Platform platform = vm.platform();
        return (vcpu, maxNanos) -> {
            int i = vcpu.index();
            boolean interruptsEnabled = (((EmuVcpu) vcpu).view().rflags() & (1L << 9)) != 0;
            long now = platform.clock().nanos();
            long deadline = Math.min(platform.nextDeadline(i), now + maxNanos);
            platform.waitForInterrupt(i, deadline, interruptsEnabled);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        };
    }
}
