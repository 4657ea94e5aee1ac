package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link DeviceAccessSuite} on KVM (skipped without /dev/kvm). */
class KvmDeviceAccessTest extends DeviceAccessSuite {
    @Override
    protected Backend backend() {
        return Backend.KVM;
    }
}
