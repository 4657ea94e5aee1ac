package dev.jvisor.devices.legacy;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import java.util.concurrent.atomic.LongAdder;

/**
 * The POST diagnostic port (0x80). Firmware writes progress codes here and Linux writes it as an
 * I/O delay; the last value written is kept for debugging and read back by guest reads.
 */
public final class PostCodePort implements BusDevice {
    /** The port's usual address. */
    public static final int PORT = 0x80;

    private volatile long lastValue;
    private final LongAdder writes = new LongAdder();

    @Override
    public int accessSizes() {
        return AccessSizes.UP_TO_DWORD;
    }

    @Override
    public long read(long offset, int size) {
        return lastValue & AccessSizes.mask(size);
    }

    @Override
    public void write(long offset, int size, long value) {
        lastValue = value;
        writes.increment();
    }

    /** The last value written (0 before any write). */
    public long lastValue() {
        return lastValue;
    }

    /** How many writes the port has seen. */
    public long writes() {
        return writes.sum();
    }
}
