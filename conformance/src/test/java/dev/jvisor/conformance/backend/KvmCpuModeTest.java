package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link CpuModeSuite} on KVM (skipped without /dev/kvm). */
class KvmCpuModeTest extends CpuModeSuite {
    @Override
    protected Backend backend() {
        return Backend.KVM;
    }

    /** PLATFORM.md: on the software-nested KVM, SYSCALL from CPL3 reaches the handler but stays at CPL3. */
    @Override
    protected boolean syscallEntersCpl0() {
        return false;
    }
}
