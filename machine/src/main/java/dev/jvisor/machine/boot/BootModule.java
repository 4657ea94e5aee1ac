package dev.jvisor.machine.boot;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A Multiboot module: a file loaded into guest RAM with an optional string the kernel sees next to
 * it (Multiboot Specification 0.6.96 §3.3, "mods").
 *
 * @param path    the file to load
 * @param cmdline the module's string; empty for none
 */
public record BootModule(Path path, String cmdline) {
    public BootModule {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(cmdline, "cmdline");
    }
}
