package dev.jvisor.devices.testing;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A test-harness port that ends the VM with a status the guest chooses, compatible with QEMU's
 * {@code isa-debug-exit}: a write of value {@code v} (of any width, anywhere in the device's range)
 * ends the VM, and the VMM exits with status {@code (v << 1) | 1}, so a bare-metal test suite's
 * "success" can never be confused with the VMM's own status 0. Reads return 0.
 *
 * <p>Test suites place it with QEMU's {@code iobase}/{@code iosize} properties, most often at port
 * 0xF4 with 4 bytes (which is also jvisor's default, see {@link #DEFAULT_PORT}).
 */
public final class DebugExitDevice implements BusDevice {
    /** Where bare-metal test suites usually put the device ({@code iobase=0xf4,iosize=0x04}). */
    public static final int DEFAULT_PORT = 0xf4, DEFAULT_SIZE = 4;

    private final LongConsumer exit;

    /**
     * @param exit receives the value written (zero-extended); it must only request the stop (it is
     *             called on the vCPU thread that made the access, see {@code PowerControl})
     */
    public DebugExitDevice(LongConsumer exit) {
        this.exit = Objects.requireNonNull(exit, "exit");
    }

    /** The status the VMM exits with for a written {@code value}, as the host's 8-bit exit status. */
    public static int exitStatus(long value) {
        return (int) ((value << 1) | 1) & 0xff;
    }

    @Override
    public int accessSizes() {
        return AccessSizes.UP_TO_DWORD;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        exit.accept(value);
    }
}
