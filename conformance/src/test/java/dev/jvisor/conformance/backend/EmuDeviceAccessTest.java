package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link DeviceAccessSuite} on the emulator. */
class EmuDeviceAccessTest extends DeviceAccessSuite {
    @Override
    protected Backend backend() {
        return Backend.EMU;
    }
}
