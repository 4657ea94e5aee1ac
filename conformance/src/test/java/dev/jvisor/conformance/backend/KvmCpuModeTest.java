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

    /** The host's instruction emulator, which runs 32-bit code here, handles IRET in real mode only. */
    @Override
    protected boolean protectedModeIretWorks() {
        return false;
    }
}
