package dev.jvisor.hypervisor;

/**
 * Whether a back end can run guests on this host.
 *
 * @param present   the back end can create VMs at all (for KVM: /dev/kvm opens and speaks API 12)
 * @param runsKernels the back end can run an operating-system kernel at useful speed (for KVM:
 *                  hardware virtualization, not a software-nested KVM that only runs CPL3 natively)
 * @param reason    a sentence for the user saying why, e.g. for {@code --accel auto}
 */
public record Availability(boolean present, boolean runsKernels, String reason) {
    public static Availability full(String reason) {
        return new Availability(true, true, reason);
    }

    public static Availability limited(String reason) {
        return new Availability(true, false, reason);
    }

    public static Availability absent(String reason) {
        return new Availability(false, false, reason);
    }
}
