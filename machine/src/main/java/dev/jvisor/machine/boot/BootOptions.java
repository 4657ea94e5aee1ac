package dev.jvisor.machine.boot;

import java.util.List;

/**
 * What a loader needs besides the kernel, initrd and command line.
 *
 * @param rsdpAddress  guest physical address of the ACPI RSDP, or 0 when the board has no ACPI
 *                     tables (the kernel then scans for them itself)
 * @param extraModules Multiboot modules after the initrd (which, when given, is module 0);
 *                     only Multiboot kernels accept them
 */
public record BootOptions(long rsdpAddress, List<BootModule> extraModules) {
    public BootOptions {
        if (rsdpAddress < 0) {
            throw new IllegalArgumentException("negative RSDP address");
        }
        extraModules = List.copyOf(extraModules);
    }

    /** Options for a board with ACPI tables at {@code rsdpAddress} and no extra modules. */
    public static BootOptions withRsdp(long rsdpAddress) {
        return new BootOptions(rsdpAddress, List.of());
    }
}
