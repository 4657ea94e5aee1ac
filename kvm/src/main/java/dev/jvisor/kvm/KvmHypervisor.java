package dev.jvisor.kvm;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.hypervisor.VmSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The KVM back end: guests run on Linux KVM, driven through {@code /dev/kvm} with
 * {@code java.lang.foreign} (no JNI, no C).
 *
 * <p>{@code /dev/kvm} is opened on the first {@link #createVm}; the API version (12) and every
 * needed capability are checked then, with a clear error naming what is missing. Thread-safe.
 */
public final class KvmHypervisor implements Hypervisor {
    /** The usual KVM device node. */
    public static final String DEFAULT_DEVICE = "/dev/kvm";

    private final String device;
    private NativeFd kvm;
    private long runMmapSize;
    private int maxVcpus;
    private List<CpuidTable.Entry> supportedCpuid;

    public KvmHypervisor() {
        this(DEFAULT_DEVICE);
    }

    /** A back end using another device node (tests use a missing path to check error handling). */
    public KvmHypervisor(String device) {
        this.device = device;
    }

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public Availability availability() {
        return KvmProbe.probe(device, Path.of("/proc/cpuinfo"));
    }

    @Override
    public synchronized KvmVm createVm(VmSpec spec) {
        NativeFd system = open();
        if (spec.vcpus() > maxVcpus) {
            throw new HypervisorException("KVM on this host allows at most " + maxVcpus + " vCPUs per VM, asked for " + spec.vcpus());
        }
        NativeFd vm = new NativeFd(system.ioctl(Ioctl.KVM_CREATE_VM, 0), "VM");
        return new KvmVm(vm, spec, runMmapSize, supportedCpuid);
    }

    private NativeFd open() {
        if (kvm != null) {
            return kvm;
        }
        NativeFd fd = NativeFd.open(device);
        try {
            int version = fd.ioctl(Ioctl.KVM_GET_API_VERSION, 0);
            if (version != KvmProbe.API_VERSION) {
                throw new HypervisorException(device + " speaks KVM API version " + version + ", jvisor needs " + KvmProbe.API_VERSION);
            }
            List<String> missing = KvmCapability.missing(fd);
            if (!missing.isEmpty()) {
                throw new HypervisorException("KVM lacks capabilities jvisor needs: " + String.join(", ", missing));
            }
            runMmapSize = fd.ioctl(Ioctl.KVM_GET_VCPU_MMAP_SIZE, 0);
            // KVM_CAP_MAX_VCPUS (66) is the hard limit; KVM_CAP_NR_VCPUS (9) only the recommended one.
            maxVcpus = Math.max(1, fd.ioctl(Ioctl.KVM_CHECK_EXTENSION, 66));
            supportedCpuid = CpuidTable.supported(fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        kvm = fd;
        return fd;
    }

    /** Closes {@code /dev/kvm}; VMs already created stay usable until closed. */
    @Override
    public synchronized void close() {
        if (kvm != null) {
            kvm.close();
            kvm = null;
        }
    }
}
