package dev.jvisor.kvm;

/**
 * The KVM ioctl request numbers this back end uses, from {@code linux/kvm.h} (the {@code _IO},
 * {@code _IOR}, {@code _IOW} and {@code _IOWR} encodings with KVMIO = 0xAE and each struct's size;
 * {@code KvmLayoutTest} checks the numbers against the installed header when gcc is available).
 * The enum names double as the names in error messages.
 */
enum Ioctl {
    KVM_GET_API_VERSION(0xae00L),
    KVM_CREATE_VM(0xae01L),
    KVM_CHECK_EXTENSION(0xae03L),
    KVM_GET_VCPU_MMAP_SIZE(0xae04L),
    KVM_GET_SUPPORTED_CPUID(0xc008ae05L),
    KVM_CREATE_VCPU(0xae41L),
    KVM_GET_DIRTY_LOG(0x4010ae42L),
    KVM_SET_USER_MEMORY_REGION(0x4020ae46L),
    KVM_SET_TSS_ADDR(0xae47L),
    KVM_SET_IDENTITY_MAP_ADDR(0x4008ae48L),
    KVM_CREATE_IRQCHIP(0xae60L),
    KVM_IRQ_LINE(0x4008ae61L),
    KVM_IRQFD(0x4020ae76L),
    KVM_CREATE_PIT2(0x4040ae77L),
    KVM_IOEVENTFD(0x4040ae79L),
    KVM_SIGNAL_MSI(0x4020aea5L),
    KVM_RUN(0xae80L),
    KVM_GET_REGS(0x8090ae81L),
    KVM_SET_REGS(0x4090ae82L),
    KVM_GET_SREGS(0x8138ae83L),
    KVM_SET_SREGS(0x4138ae84L),
    KVM_TRANSLATE(0xc018ae85L),
    KVM_GET_MSRS(0xc008ae88L),
    KVM_SET_MSRS(0x4008ae89L),
    KVM_GET_FPU(0x81a0ae8cL),
    KVM_SET_FPU(0x41a0ae8dL),
    KVM_GET_LAPIC(0x8400ae8eL),
    KVM_SET_LAPIC(0x4400ae8fL),
    KVM_SET_CPUID2(0x4008ae90L),
    KVM_GET_XSAVE(0x9000aea4L),
    KVM_SET_XSAVE(0x5000aea5L),
    KVM_GET_MP_STATE(0x8004ae98L),
    KVM_SET_MP_STATE(0x4004ae99L),
    KVM_SET_GUEST_DEBUG(0x4048ae9bL);

    final long number;

    Ioctl(long number) {
        this.number = number;
    }
}
