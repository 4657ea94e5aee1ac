package dev.jvisor.conformance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.kvm.KvmHypervisor;

/**
 * The two back ends the suites run on. Each has one shared {@link Hypervisor} for the whole test
 * run (opening {@code /dev/kvm} once); KVM tests are skipped, not failed, on hosts without it.
 */
public enum Backend {
    KVM,
    EMU;

    private Hypervisor shared;

    /** The shared back end; skips the calling test when it cannot create VMs on this host. */
    public synchronized Hypervisor hypervisor() {
        if (shared == null) {
            Hypervisor h = this == KVM ? new KvmHypervisor() : new EmuHypervisor();
            Availability a = h.availability();
            assumeTrue(a.present(), () -> name().toLowerCase() + " is not usable here, so its tests are skipped: " + a.reason());
            shared = h;
        }
        return shared;
    }
}
