package dev.jvisor.emu;

import dev.jvisor.emu.cpu.CpuEnvironment;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.irqchip.LocalApic;
import dev.jvisor.irqchip.Platform;
import dev.jvisor.irqchip.VirtualClock;

/**
 * Connects one emulated CPU to its local APIC, the platform chips and the machine's devices: the
 * in-"kernel" devices of this back end (LAPIC page, IOAPIC, PIC, PIT, port 0x61) are served here,
 * everything else goes to the machine's {@link VmOps}, just as KVM forwards unhandled exits.
 */
final class EmuCpuEnvironment implements CpuEnvironment {
    private final int cpu;
    private final Platform platform;
    private final LocalApic lapic;
    private final VirtualClock clock;
    private final VmOps ops;

    EmuCpuEnvironment(int cpu, Platform platform, VmOps ops) {
        this.cpu = cpu;
        this.platform = platform;
        this.lapic = platform.lapic(cpu);
        this.clock = platform.clock();
        this.ops = ops;
    }

    @Override
    public boolean interruptPending() {
        return lapic.interruptPending();
    }

    @Override
    public int acknowledgeInterrupt() {
        return lapic.acknowledge();
    }

    @Override
    public boolean nmiPending() {
        return lapic.nmiPending();
    }

    @Override
    public void acknowledgeNmi() {
        lapic.acknowledgeNmi();
    }

    @Override
    public long pioRead(int port, int size) {
        if (platform.handlesPort(port)) {
            return platform.pioRead(port, size);
        }
        return ops.pioRead(port, size);
    }

    @Override
    public void pioWrite(int port, int size, long value) {
        if (platform.handlesPort(port)) {
            platform.pioWrite(port, size, value);
        } else {
            ops.pioWrite(port, size, value);
        }
    }

    private boolean inApicPage(long address) {
        return lapic.hardwareEnabled() && (address & ~0xfffL) == lapic.baseAddress();
    }

    @Override
    public long mmioRead(long address, int size) {
        if (inApicPage(address)) {
            return lapic.mmioRead((int) (address & 0xfff), size);
        }
        if (platform.handlesMmio(address)) {
            return platform.mmioRead(address, size);
        }
        return ops.mmioRead(address, size);
    }

    @Override
    public void mmioWrite(long address, int size, long value) {
        if (inApicPage(address)) {
            lapic.mmioWrite((int) (address & 0xfff), size, value);
        } else if (platform.handlesMmio(address)) {
            platform.mmioWrite(address, size, value);
        } else {
            ops.mmioWrite(address, size, value);
        }
    }

    @Override
    public long nanos() {
        return clock.nanos();
    }

    @Override
    public long tsc() {
        return clock.tsc();
    }

    @Override
    public void setTsc(long value) {
        clock.setTsc(value);
    }

    @Override
    public long readMsr(int index) {
        return index == LocalApic.MSR_APIC_BASE ? lapic.readApicBase() : lapic.readTscDeadline();
    }

    @Override
    public void writeMsr(int index, long value) {
        if (index == LocalApic.MSR_APIC_BASE) {
            lapic.writeApicBase(value);
        } else {
            lapic.writeTscDeadline(value);
        }
    }

    @Override
    public boolean ownsMsr(int index) {
        return index == LocalApic.MSR_APIC_BASE || index == LocalApic.MSR_TSC_DEADLINE;
    }

    @Override
    public long nextDeadline() {
        return platform.nextDeadline(cpu);
    }

    @Override
    public void updateTimers(long now) {
        platform.updateTimers(cpu, now);
    }

    @Override
    public void waitForEvent(long deadline, boolean maskableAccepted) {
        platform.waitForInterrupt(cpu, deadline, maskableAccepted);
    }

    @Override
    public void wake() {
        platform.wake(cpu);
    }

    @Override
    public int takeStartupEvent() {
        if (lapic.takeInit()) {
            return -2;
        }
        int v = lapic.takeStartupVector();
        return v >= 0 ? v : -1;
    }
}
