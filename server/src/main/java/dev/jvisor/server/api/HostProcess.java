package dev.jvisor.server.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the daemon's own process from {@code /proc/self} (Linux proc(5)). */
public final class HostProcess {
    private HostProcess() {
    }

    /** Resident set size in bytes ({@code VmRSS}), or -1 if unknown. */
    public static long residentBytes() {
        return statusKb("VmRSS:") * 1024;
    }

    /** Open file descriptors, or -1 if unknown. */
    public static int openFileDescriptors() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format
        }
        return -1;
    }
}
