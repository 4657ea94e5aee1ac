package dev.jvisor.server.manager;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.vmm.VmConfig;

/**
 * The daemon's back ends, one instance of each for all VMs, opened on first use: KVM and the
 * emulator. {@code auto} picks KVM only where it can run operating-system kernels (not on the
 * software-nested KVM of the development hosts; see PLATFORM.md).
 */
public final class Backends implements AutoCloseable {
    private KvmHypervisor kvm;
    private EmuHypervisor emu;

    /** The back end for {@code accel}, or a refusal that says why KVM cannot be used. */
    public synchronized Hypervisor forAccel(VmConfig.Accel accel) throws ServiceException {
        return switch (accel) {
            case EMU -> emu();
            case KVM -> {
                KvmHypervisor k = kvm();
                Availability a = k.availability();
                if (!a.present()) {
                    throw new ServiceException(ServiceException.Kind.FAILED, "KVM is not usable: " + a.reason());
                }
                yield k;
            }
            case AUTO -> kvm().availability().runsKernels() ? kvm() : emu();
        };
    }

    /** What each back end can do here, for {@code host info}. */
    public synchronized Availability kvmAvailability() {
        return kvm().availability();
    }

    private KvmHypervisor kvm() {
        if (kvm == null) {
            kvm = new KvmHypervisor();
        }
        return kvm;
    }

    private EmuHypervisor emu() {
        if (emu == null) {
            emu = new EmuHypervisor();
        }
        return emu;
    }

    @Override
    public synchronized void close() {
        if (kvm != null) {
            kvm.close();
        }
        if (emu != null) {
            emu.close();
        }
    }
}
