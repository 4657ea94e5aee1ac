package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link InterruptSuite} on KVM (skipped without /dev/kvm). */
class KvmInterruptTest extends InterruptSuite {
    @Override
    protected Backend backend() {
        return Backend.KVM;
    }
}
