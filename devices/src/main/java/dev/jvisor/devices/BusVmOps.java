package dev.jvisor.devices;

import dev.jvisor.hypervisor.VmOps;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine side of {@link VmOps}: dispatches the guest's port accesses to a port {@link Bus} and
 * its MMIO accesses to an MMIO {@link Bus}.
 *
 * <p>An access nobody claims behaves as on a PC with nothing decoding the address: a read returns
 * all ones and a write is dropped. Such accesses are counted per kind, and the first
 * {@value #LOGGED_UNCLAIMED} are logged at debug level (guests probe absent hardware routinely, so
 * logging them all would flood the log).
 *
 * <p>Thread-safe and allocation-free per access; the devices do their own locking.
 */
public final class BusVmOps implements VmOps {
    /** How many unclaimed accesses are logged before they are only counted. */
    public static final int LOGGED_UNCLAIMED = 16;

    private static final Logger LOG = LoggerFactory.getLogger(BusVmOps.class);

    private final Bus ports;
    private final Bus mmio;
    private final AtomicLong unclaimedPioReads = new AtomicLong();
    private final AtomicLong unclaimedPioWrites = new AtomicLong();
    private final AtomicLong unclaimedMmioReads = new AtomicLong();
    private final AtomicLong unclaimedMmioWrites = new AtomicLong();
    private final AtomicLong logged = new AtomicLong();

    public BusVmOps(Bus ports, Bus mmio) {
        this.ports = Objects.requireNonNull(ports, "ports");
        this.mmio = Objects.requireNonNull(mmio, "mmio");
    }

    public Bus ports() {
        return ports;
    }

    public Bus mmio() {
        return mmio;
    }

    @Override
    public long pioRead(int port, int size) {
        checkSize(size);
        int address = port & 0xFFFF;
        BusMapping m = ports.find(address);
        if (m == null) {
            unclaimed(unclaimedPioReads, "port read", address, size, 0);
            return AccessSizes.allOnes(size);
        }
        return m.read(address, size);
    }

    @Override
    public void pioWrite(int port, int size, long value) {
        checkSize(size);
        int address = port & 0xFFFF;
        BusMapping m = ports.find(address);
        if (m == null) {
            unclaimed(unclaimedPioWrites, "port write", address, size, value);
            return;
        }
        m.write(address, size, value);
    }

    @Override
    public long mmioRead(long address, int size) {
        checkSize(size);
        BusMapping m = mmio.find(address);
        if (m == null) {
            unclaimed(unclaimedMmioReads, "MMIO read", address, size, 0);
            return AccessSizes.allOnes(size);
        }
        return m.read(address, size);
    }

    @Override
    public void mmioWrite(long address, int size, long value) {
        checkSize(size);
        BusMapping m = mmio.find(address);
        if (m == null) {
            unclaimed(unclaimedMmioWrites, "MMIO write", address, size, value);
            return;
        }
        m.write(address, size, value);
    }

    public long unclaimedPioReads() {
        return unclaimedPioReads.get();
    }

    public long unclaimedPioWrites() {
        return unclaimedPioWrites.get();
    }

    public long unclaimedMmioReads() {
        return unclaimedMmioReads.get();
    }

    public long unclaimedMmioWrites() {
        return unclaimedMmioWrites.get();
    }

    private void unclaimed(AtomicLong counter, String kind, long address, int size, long value) {
        counter.incrementAndGet();
        if (LOG.isDebugEnabled() && logged.getAndIncrement() < LOGGED_UNCLAIMED) {
            LOG.debug("unclaimed {}-byte {} at 0x{} (value 0x{})", size, kind, Long.toHexString(address),
                    Long.toHexString(value & AccessSizes.mask(size)));
        }
    }

    private static void checkSize(int size) {
        // Back ends produce only these sizes; anything else is a back-end bug, not guest input.
        if (!AccessSizes.isValid(size)) {
            throw new IllegalArgumentException("access size must be 1, 2, 4 or 8 bytes, got " + size);
        }
    }
}
