package dev.jvisor.devices;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An address space (the 64 KiB x86 port space or the 64-bit MMIO space) divided into ranges, each
 * owned by one {@link BusDevice}.
 *
 * <p>Lookup happens on every port or MMIO exit, so the ranges live in an immutable array sorted by
 * base address, replaced as a whole (copy-on-write) on the rare registration; {@link #find} is a
 * lock-free binary search that allocates nothing. Addresses compare as unsigned 64-bit numbers.
 *
 * <p>Registration rejects empty ranges, ranges that wrap around the end of the space or leave it,
 * and ranges overlapping an existing one, naming both devices in the exception.
 */
public final class Bus {
    private static final BusMapping[] EMPTY = new BusMapping[0];

    private final String name;
    private final long lastAddress;
    private final Object registrationLock = new Object();
    private volatile BusMapping[] mappings = EMPTY;

    /**
     * A bus over {@code [0, lastAddress]}.
     *
     * @param name        how messages name this bus ("port bus", "MMIO bus")
     * @param lastAddress highest valid address, unsigned ({@code -1L} for the whole 64-bit space)
     */
    public Bus(String name, long lastAddress) {
        this.name = Objects.requireNonNull(name, "name");
        this.lastAddress = lastAddress;
    }

    /** The x86 I/O port space, ports 0 to 0xFFFF. */
    public static Bus portSpace() {
        return new Bus("port bus", 0xFFFF);
    }

    /** The physical MMIO space, the full 64-bit range. */
    public static Bus mmioSpace() {
        return new Bus("MMIO bus", -1L);
    }

    public String name() {
        return name;
    }

    /**
     * Registers {@code device} for {@code [base, base + length)}.
     *
     * @param deviceName how messages and logs name the device ("COM1", "00:03.0 BAR0")
     * @return the mapping, for {@link #unregister}
     * @throws IllegalArgumentException if the range is empty, wraps, leaves the address space, or
     *                                  overlaps a registered range
     */
    public BusMapping register(String deviceName, long base, long length, BusDevice device) {
        Objects.requireNonNull(deviceName, "deviceName");
        Objects.requireNonNull(device, "device");
        if (length <= 0) {
            throw new IllegalArgumentException(String.format(
                    "%s: cannot register %s at 0x%x with length %d: the range must not be empty",
                    name, deviceName, base, length));
        }
        long last = base + length - 1;
        if (Long.compareUnsigned(last, base) < 0) {
            throw new IllegalArgumentException(String.format(
                    "%s: cannot register %s at 0x%x with length 0x%x: the range wraps around the address space",
                    name, deviceName, base, length));
        }
        if (Long.compareUnsigned(last, lastAddress) > 0) {
            throw new IllegalArgumentException(String.format(
                    "%s: cannot register %s at [0x%x, 0x%x]: the bus ends at 0x%x",
                    name, deviceName, base, last, lastAddress));
        }
        BusMapping added = new BusMapping(deviceName, base, length, device);
        synchronized (registrationLock) {
            BusMapping[] current = mappings;
            int insertAt = 0;
            for (BusMapping m : current) {
                if (Long.compareUnsigned(base, m.last()) <= 0 && Long.compareUnsigned(m.base(), last) <= 0) {
                    throw new IllegalArgumentException(String.format(
                            "%s: cannot register %s at [0x%x, 0x%x]: overlaps %s", name, deviceName, base, last, m));
                }
                if (Long.compareUnsigned(m.base(), base) < 0) {
                    insertAt++;
                }
            }
            BusMapping[] next = new BusMapping[current.length + 1];
            System.arraycopy(current, 0, next, 0, insertAt);
            next[insertAt] = added;
            System.arraycopy(current, insertAt, next, insertAt + 1, current.length - insertAt);
            mappings = next;
        }
        return added;
    }

    /**
     * Removes a mapping returned by {@link #register}. Accesses already dispatched to it may still
     * complete after this returns.
     *
     * @throws IllegalArgumentException if it is not registered on this bus
     */
    public void unregister(BusMapping mapping) {
        synchronized (registrationLock) {
            BusMapping[] current = mappings;
            int index = -1;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == mapping) {
                    index = i;
                    break;
                }
            }
            if (index < 0) {
                throw new IllegalArgumentException(name + ": " + mapping + " is not registered here");
            }
            BusMapping[] next = new BusMapping[current.length - 1];
            System.arraycopy(current, 0, next, 0, index);
            System.arraycopy(current, index + 1, next, index, current.length - index - 1);
            mappings = next;
        }
    }

    /**
     * The mapping whose range contains {@code address} (unsigned), or null if none does. Lock-free
     * and allocation-free.
     */
    public BusMapping find(long address) {
        BusMapping[] table = mappings;
        int lo = 0;
        int hi = table.length - 1;
        int candidate = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(table[mid].base(), address) <= 0) {
                candidate = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (candidate < 0) {
            return null;
        }
        BusMapping m = table[candidate];
        return m.contains(address) ? m : null;
    }

    /** The registered mappings, sorted by base address (a snapshot). */
    public List<BusMapping> mappings() {
        return List.of(Arrays.copyOf(mappings, mappings.length));
    }

    @Override
    public String toString() {
        return name + " " + mappings();
    }
}
