package dev.jvisor.devices;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device registered on a {@link Bus} at {@code [base, base + length)}. Returned by
 * {@link Bus#register} and used to {@link Bus#unregister} it again; the bus's lookup hands it out on
 * every access, so it dispatches without allocating.
 */
public final class BusMapping {
    private static final Logger LOG = LoggerFactory.getLogger(BusMapping.class);

    private final String name;
    private final long base;
    private final long length;
    private final BusDevice device;
    private final int accessSizes;
    private final AtomicLong rejectedAccesses = new AtomicLong();

    BusMapping(String name, long base, long length, BusDevice device) {
        this.name = name;
        this.base = base;
        this.length = length;
        this.device = device;
        this.accessSizes = device.accessSizes();
    }

    /** The name the device was registered under (used in error messages and logs). */
    public String name() {
        return name;
    }

    /** First address of the range. */
    public long base() {
        return base;
    }

    /** Number of addresses in the range (never zero). */
    public long length() {
        return length;
    }

    /** Last address of the range, inclusive (unsigned). */
    public long last() {
        return base + length - 1;
    }

    /** The device behind this range. */
    public BusDevice device() {
        return device;
    }

    /** Whether {@code address} (unsigned) lies in the range. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address - base, length) < 0;
    }

    /**
     * How many accesses of a size the device does not accept were turned away (reads answered with
     * all ones, writes dropped).
     */
    public long rejectedAccesses() {
        return rejectedAccesses.get();
    }

    /** Reads at absolute {@code address} (which must be {@linkplain #contains contained}). */
    public long read(long address, int size) {
        if (!AccessSizes.accepts(accessSizes, size)) {
            reject("read", address, size);
            return AccessSizes.allOnes(size);
        }
        return device.read(address - base, size) & AccessSizes.mask(size);
    }

    /** Writes at absolute {@code address} (which must be {@linkplain #contains contained}). */
    public void write(long address, int size, long value) {
        if (!AccessSizes.accepts(accessSizes, size)) {
            reject("write", address, size);
            return;
        }
        device.write(address - base, size, value & AccessSizes.mask(size));
    }

    private void reject(String kind, long address, int size) {
        // Logged once per mapping: a guest driver using the wrong width usually does so in a loop.
        if (rejectedAccesses.getAndIncrement() == 0) {
            LOG.debug("{}: {}-byte {} at 0x{} refused (device accepts sizes mask 0x{}); further ones are only counted",
                    name, size, kind, Long.toHexString(address), Integer.toHexString(accessSizes));
        }
    }

    @Override
    public String toString() {
        return String.format("%s at [0x%x, 0x%x]", name, base, last());
    }
}
