package dev.jvisor.emu;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmSpec;

/**
 * The full-emulation back end: every guest CPU is a pure-Java x86-64 interpreter, and the local
 * APICs, IOAPIC, 8259 pair and 8254 PIT are the Java models of module {@code irqchip}. Runs on any
 * host, without hardware virtualization.
 */
public final class EmuHypervisor implements Hypervisor {
    @Override
    public String name() {
        return "emu";
    }

    @Override
    public Availability availability() {
        return Availability.full("the pure-Java x86-64 emulator runs anywhere (slower than hardware virtualization)");
    }

    @Override
    public Vm createVm(VmSpec spec) {
        return new EmuVm(spec);
    }

    @Override
    public void close() {
        // No host resources beyond those of each VM.
    }
}
