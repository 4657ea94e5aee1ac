package dev.jvisor.emu.cpu;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;

/** Runs a {@link TinyGuest} on one emulated CPU with a {@link TestEnvironment}. */
final class CpuHarness implements AutoCloseable {
    final GuestMemory memory;
    final TestEnvironment env = new TestEnvironment();
    final Cpu cpu;
    final Executor executor;

    CpuHarness(TinyGuest guest) {
        this(guest, 16 << 20);
    }

    CpuHarness(TinyGuest guest, long ram) {
        memory = GuestMemory.flat(ram);
        cpu = new Cpu(0, 1, memory, env);
        env.cpu = cpu;
        executor = new Executor(cpu, new CodeCache());
        GuestBoot boot = guest.build(memory);
        cpu.setSystemRegisters(boot.systemRegisters());
        cpu.setRegisters(boot.registers());
        boot.msrs().forEach(cpu::setMsr);
    }

    /** Runs until the guest writes the stop port (or another exit), with a safety bound. */
    VcpuExit run() {
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(20_000);
                cpu.requestKick();
            } catch (InterruptedException e) {
                // run finished first
            }
        });
        try {
            return executor.run();
        } finally {
            watchdog.interrupt();
        }
    }

    long reg(int n) {
        return cpu.r[n];
    }

    @Override
    public void close() {
        memory.close();
    }
}
