package dev.jvisor.machine.boot;

import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import java.util.List;

/**
 * The result of loading a kernel: the state vCPU 0 starts in and what was put where in guest RAM.
 * The caller applies {@link #registers()} and {@link #systemRegisters()} to vCPU 0 before its first
 * run; application processors stay in their reset state (they are started by INIT/SIPI).
 *
 * @param format          the kernel format that was recognised
 * @param entryPoint      guest physical address of the first instruction
 * @param registers       general registers, RIP and RFLAGS for vCPU 0
 * @param systemRegisters segments, descriptor tables, control registers and EFER for vCPU 0
 * @param regions         every range of guest RAM the loader wrote, in the order written
 */
public record BootSetup(KernelFormat format, long entryPoint, Registers registers,
                        SystemRegisters systemRegisters, List<LoadedRegion> regions) {
    public BootSetup {
        regions = List.copyOf(regions);
    }

    /** The region named {@code what}, if the loader wrote one. */
    public java.util.Optional<LoadedRegion> region(String what) {
        return regions.stream().filter(r -> r.what().equals(what)).findFirst();
    }
}
