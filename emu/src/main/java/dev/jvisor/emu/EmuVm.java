package dev.jvisor.emu;

import dev.jvisor.emu.cpu.CodeCache;
import dev.jvisor.hypervisor.InterruptLines;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.irqchip.Platform;
import dev.jvisor.irqchip.VirtualClock;
import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * One emulated VM: its vCPUs, the shared decoded-code cache and the interrupt/timer platform.
 * Application processors start in wait-for-SIPI, as on a real PC; the BSP starts wherever the boot
 * loader puts it.
 */
public final class EmuVm implements Vm {
    /** The IOAPIC's ID; must match the firmware tables of the machine model. */
    public static final int IOAPIC_ID = 0;

    private final GuestMemory memory;
    private final VirtualClock clock;
    private final Platform platform;
    private final CodeCache codeCache = new CodeCache();
    private final List<EmuVcpu> vcpus = new ArrayList<>();

    EmuVm(VmSpec spec) {
        this.memory = spec.memory();
        this.clock = new VirtualClock();
        // IOAPIC ID 0, as the machine model's MADT and MP table announce (the IOAPIC and the local
        // APICs are in separate ID spaces on the system bus, as QEMU and KVM also do).
        this.platform = new Platform(clock, spec.vcpus(), IOAPIC_ID, dev.jvisor.emu.cpu.Cpu.PHYSICAL_ADDRESS_BITS);
        for (int i = 0; i < spec.vcpus(); i++) {
            vcpus.add(new EmuVcpu(i, spec.vcpus(), memory, platform, spec.ops(), codeCache));
        }
        // Device DMA, the loader and debuggers write guest RAM behind the CPUs' backs: decoded code
        // of those bytes must go (e.g. a disk read into a page that held another program's code).
        memory.setWriteObserver((gpa, length) -> {
            long done = 0;
            while (done < length) {
                long at = gpa + done;
                long chunk = Math.min(length - done, 0x1000 - (at & 0xfff));
                if (memory.isRam(at, chunk)) {
                    codeCache.externalWrite(memory.hostOffset(at, chunk), chunk);
                }
                done += chunk;
            }
        });
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public List<EmuVcpu> vcpus() {
        return List.copyOf(vcpus);
    }

    @Override
    public InterruptLines interrupts() {
        return platform.lines();
    }

    @Override
    public long guestNanos() {
        return clock.nanos();
    }

    /** The guest's time base (for devices that must share it: RTC, ACPI PM timer). */
    public VirtualClock clock() {
        return clock;
    }

    /** The interrupt and timer chips (for wiring timer devices to the boot CPU's run loop). */
    public Platform platform() {
        return platform;
    }

    @Override
    public void close() {
        memory.setWriteObserver(null); // guest memory belongs to the caller and outlives the VM
    }
}
