package dev.jvisor.cli;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.vmm.VmConfig.Accel;
import dev.jvisor.vmm.VmException;
import java.io.PrintStream;

/** Chooses the back end for {@code --accel} and says which and why. */
final class Accelerators {
    private Accelerators() {
    }

    static Hypervisor choose(Accel accel, PrintStream notes) throws VmException {
        switch (accel) {
            case EMU -> {
                return new EmuHypervisor();
            }
            case KVM -> {
                KvmHypervisor kvm = new KvmHypervisor();
                Availability a = kvm.availability();
                if (!a.present()) {
                    throw new VmException("KVM is not usable: " + a.reason());
                }
                if (!a.runsKernels()) {
                    notes.println("jvisor: warning: " + a.reason());
                }
                return kvm;
            }
            default -> {
                KvmHypervisor kvm = new KvmHypervisor();
                Availability a = kvm.availability();
                if (a.runsKernels()) {
                    notes.println("jvisor: using KVM: " + a.reason());
                    return kvm;
                }
                notes.println("jvisor: using the emulator: " + a.reason());
                return new EmuHypervisor();
            }
        }
    }
}
