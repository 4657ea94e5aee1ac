package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link InterruptSuite} on the emulator. */
class EmuInterruptTest extends InterruptSuite {
    @Override
    protected Backend backend() {
        return Backend.EMU;
    }
}
