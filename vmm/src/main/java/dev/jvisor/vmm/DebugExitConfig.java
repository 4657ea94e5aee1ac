package dev.jvisor.vmm;

import dev.jvisor.devices.testing.DebugExitDevice;
import java.util.List;

/**
 * A QEMU-compatible debug-exit port, as {@code --device debug-exit[,iobase=PORT][,iosize=N]}
 * describes it (QEMU's {@code isa-debug-exit} properties; numbers in decimal or 0x hex). A guest
 * write of {@code v} ends jvisor with exit status {@code (v << 1) | 1}.
 *
 * @param ioBase the first port (default 0xF4)
 * @param ioSize how many ports it spans (default 4)
 */
public record DebugExitConfig(int ioBase, int ioSize) {
    /** The device name {@code --device} takes, and its keys. */
    public static final String NAME = "debug-exit";
    public static final List<String> KEYS = List.of(NAME, "iobase", "iosize");
    private static final int MAX_SIZE = 256;

    public DebugExitConfig {
        if (ioSize < 1 || ioSize > MAX_SIZE) {
            throw new IllegalArgumentException("--device debug-exit: iosize must be 1 to " + MAX_SIZE + ", not " + ioSize);
        }
        if (ioBase < 0 || ioBase + ioSize > 0x1_0000) {
            throw new IllegalArgumentException(String.format(
                    "--device debug-exit: ports 0x%x-0x%x are outside the 64 KiB port space", ioBase, ioBase + ioSize - 1));
        }
    }

    /** The usual placement: 4 ports at 0xF4. */
    public static DebugExitConfig standard() {
        return new DebugExitConfig(DebugExitDevice.DEFAULT_PORT, DebugExitDevice.DEFAULT_SIZE);
    }

    /**
     * Parses {@code debug-exit[,iobase=..][,iosize=..]}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static DebugExitConfig parse(String text) {
        DeviceOptions o = DeviceOptions.parse("--device", text);
        DeviceOptions.Entry first = o.entries().getFirst();
        if (first.value() != null || !first.key().equals(NAME)) {
            throw new IllegalArgumentException("--device '" + text + "': unknown device (known: " + NAME + ")");
        }
        o.requireOnly(KEYS);
        return new DebugExitConfig(number(o, "iobase", DebugExitDevice.DEFAULT_PORT),
                number(o, "iosize", DebugExitDevice.DEFAULT_SIZE));
    }

    private static int number(DeviceOptions o, String key, int absent) {
        String v = o.single(key);
        if (v == null) {
            return absent;
        }
        try {
            long n = v.startsWith("0x") || v.startsWith("0X") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--device debug-exit: " + key + "=" + v + " is not a number (decimal or 0x hex)");
        }
    }
}
