package dev.jvisor.conformance.backend;

import dev.jvisor.conformance.Backend;

/** {@link CpuModeSuite} on the emulator. */
class EmuCpuModeTest extends CpuModeSuite {
    @Override
    protected Backend backend() {
        return Backend.EMU;
    }
}
