package dev.jvisor.kvm;

import java.util.ArrayList;
import java.util.List;

/** The KVM capabilities this back end relies on (linux/kvm.h KVM_CAP_*), and what for. */
enum KvmCapability {
    IRQCHIP(0, "in-kernel PIC, IOAPIC and local APICs"),
    USER_MEMORY(3, "guest RAM from user-space mappings"),
    SET_TSS_ADDR(4, "the TSS pages KVM needs for real-mode guests"),
    EXT_CPUID(7, "KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2"),
    MP_STATE(14, "starting application processors"),
    IRQFD(32, "interrupts raised through eventfds"),
    PIT2(33, "the in-kernel 8254 timer"),
    IOEVENTFD(36, "guest writes signalled through eventfds"),
    SET_IDENTITY_MAP_ADDR(37, "the identity-map page KVM needs for real-mode guests"),
    XSAVE(55, "MXCSR state, which KVM_GET_FPU/KVM_SET_FPU ignore"),
    SIGNAL_MSI(77, "message-signalled interrupts"),
    IMMEDIATE_EXIT(136, "stopping a vCPU promptly (kick)");

    final int number;
    final String purpose;

    KvmCapability(int number, String purpose) {
        this.number = number;
        this.purpose = purpose;
    }

    /** Those not reported by KVM_CHECK_EXTENSION on {@code kvm}, as "NAME (purpose)" strings. */
    static List<String> missing(NativeFd kvm) {
        List<String> out = new ArrayList<>();
        for (KvmCapability c : values()) {
            if (kvm.ioctl(Ioctl.KVM_CHECK_EXTENSION, c.number) <= 0) {
                out.add("KVM_CAP_" + c.name() + " (" + c.purpose + ")");
            }
        }
        return out;
    }
}
