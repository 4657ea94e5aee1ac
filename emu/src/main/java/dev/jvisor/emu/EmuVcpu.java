package dev.jvisor.emu;

import dev.jvisor.emu.cpu.CodeCache;
import dev.jvisor.emu.cpu.Cpu;
import dev.jvisor.emu.cpu.Executor;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.irqchip.Platform;
import dev.jvisor.memory.GuestMemory;

/** One emulated vCPU: the CPU state, its run loop and its view of the platform. */
public final class EmuVcpu implements Vcpu {
    private final int index;
    private final Cpu cpu;
    private final Executor executor;

    EmuVcpu(int index, int cpus, GuestMemory memory, Platform platform, VmOps ops, CodeCache codeCache) {
        this.index = index;
        this.cpu = new Cpu(index, cpus, memory, new EmuCpuEnvironment(index, platform, ops));
        this.executor = new Executor(cpu, codeCache);
        if (index != 0) {
            cpu.setWaitForStartup();
        }
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public VcpuExit run() {
        return executor.run();
    }

    @Override
    public void kick() {
        cpu.requestKick();
    }

    /** Guest instructions this vCPU has executed so far. */
    public long instructions() {
        return cpu.instructions();
    }

    @Override
    public Registers getRegisters() {
        return cpu.getRegisters();
    }

    @Override
    public void setRegisters(Registers registers) {
        cpu.setRegisters(registers);
    }

    @Override
    public SystemRegisters getSystemRegisters() {
        return cpu.getSystemRegisters();
    }

    @Override
    public void setSystemRegisters(SystemRegisters registers) {
        cpu.setSystemRegisters(registers);
    }

    @Override
    public FpuState getFpu() {
        return cpu.getFpu();
    }

    @Override
    public void setFpu(FpuState fpu) {
        cpu.setFpu(fpu);
    }

    @Override
    public long getMsr(int index) {
        return cpu.getMsr(index);
    }

    @Override
    public void setMsr(int index, long value) {
        cpu.setMsr(index, value);
    }

    /** Exact breakpoints and watchpoints (any number) and single-stepping. */
    @Override
    public void setDebug(dev.jvisor.hypervisor.DebugSettings settings) {
        cpu.setDebug(settings);
    }

    /** Installs a tracer for {@code --trace} (null removes it); only while the vCPU is not running. */
    public void setTracer(dev.jvisor.emu.cpu.ExecutionTracer tracer) {
        cpu.setTracer(tracer);
    }

    /** A read-only view of the CPU state (tracers, debuggers). */
    public dev.jvisor.emu.cpu.CpuView view() {
        return cpu;
    }

    @Override
    public long translate(long linear) {
        return cpu.translate(linear);
    }
}
