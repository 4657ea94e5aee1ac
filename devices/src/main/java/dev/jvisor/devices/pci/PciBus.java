package dev.jvisor.devices.pci;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusMapping;
import dev.jvisor.hypervisor.InterruptLines;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PCI bus 0: 32 device slots of up to 8 functions, with the host bridge at 00:00.0
 * ({@link #HOST_BRIDGE_VENDOR_ID}:{@link #HOST_BRIDGE_DEVICE_ID}). Both configuration mechanisms
 * ({@link PciHostBridge}'s ports and {@link PciEcam}) end up in {@link #readConfig}/{@link #writeConfig}.
 *
 * <p>Functions 1-7 of a slot are visible only when function 0 declares itself multi-function, as
 * guests scan them only then. Configuration reads of absent functions, other buses, or accesses
 * that cross a dword or leave the function's space return all ones; such writes are dropped.
 *
 * <p>BAR placement: after every guest write to a function's command register or BARs, each BAR is
 * registered on the port bus (I/O BARs) or MMIO bus (memory BARs) at its programmed address while
 * the matching decode bit is on and the address is non-zero, and unregistered otherwise; a move
 * re-registers it. A BAR the guest places over another device's range stays undecoded (logged).
 *
 * <p>INTx: a function with an interrupt pin gets the GSI {@link IntxRouting} names for its slot and
 * pin; functions routed to the same GSI share it as a wired-OR level.
 *
 * <p>Thread-safe: configuration accesses are serialised per bus.
 */
public final class PciBus {
    public static final int SLOTS = 32;
    public static final int FUNCTIONS = 8;
    /**
     * Intel's vendor id with device id 0x0D57: the id Cloud Hypervisor gives its virtual PCIe host
     * bridge. It belongs to no physical chipset, so no guest driver applies chipset quirks to it.
     */
    public static final int HOST_BRIDGE_VENDOR_ID = 0x8086;
    /** See {@link #HOST_BRIDGE_VENDOR_ID}. */
    public static final int HOST_BRIDGE_DEVICE_ID = 0x0D57;

    private static final Logger LOG = LoggerFactory.getLogger(PciBus.class);

    private final Bus ports;
    private final Bus mmio;
    private final InterruptLines interrupts;
    private final IntxRouting routing;
    private final Attached[][] functions = new Attached[SLOTS][FUNCTIONS];
    private final Map<Integer, SharedIntxLine> intxLines = new HashMap<>();

    /** A function on the bus and where its BARs are currently decoded. */
    private static final class Attached {
        final PciDevice device;
        final int slot;
        final int function;
        final BusMapping[] barMappings = new BusMapping[6];

        Attached(PciDevice device, int slot, int function) {
            this.device = device;
            this.slot = slot;
            this.function = function;
        }
    }

    /**
     * @param ports      where I/O BARs are decoded
     * @param mmio       where memory BARs are decoded
     * @param interrupts where INTx lines go
     * @param routing    which GSI each slot's INTx pins reach (must match the guest's ACPI _PRT)
     */
    public PciBus(Bus ports, Bus mmio, InterruptLines interrupts, IntxRouting routing) {
        this.ports = Objects.requireNonNull(ports, "ports");
        this.mmio = Objects.requireNonNull(mmio, "mmio");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        this.routing = Objects.requireNonNull(routing, "routing");
        attach(0, 0, new HostBridgeFunction());
    }

    /**
     * Attaches {@code device} as function 0 of the lowest free slot and returns the slot.
     *
     * @throws IllegalStateException if all 31 slots after the host bridge are taken
     */
    public synchronized int attach(PciDevice device) {
        for (int slot = 1; slot < SLOTS; slot++) {
            if (slotEmpty(slot)) {
                attach(slot, 0, device);
                return slot;
            }
        }
        throw new IllegalStateException("PCI bus 0 has no free slot for " + device.name());
    }

    /**
     * Attaches {@code device} at {@code slot}.{@code function}.
     *
     * @throws IllegalArgumentException if the address is out of range or taken
     * @throws IllegalStateException    if the device is already attached
     */
    public synchronized void attach(int slot, int function, PciDevice device) {
        Objects.requireNonNull(device, "device");
        if (slot < 0 || slot >= SLOTS || function < 0 || function >= FUNCTIONS) {
            throw new IllegalArgumentException(String.format("PCI address 00:%02x.%x is out of range", slot, function));
        }
        if (functions[slot][function] != null) {
            throw new IllegalArgumentException(String.format("PCI address 00:%02x.%x is taken by %s, cannot attach %s",
                    slot, function, functions[slot][function].device.name(), device.name()));
        }
        int pin = device.identity().interruptPin();
        SharedIntxLine line = null;
        int gsi = -1;
        if (pin != 0) {
            gsi = routing.gsi(slot, pin);
            line = intxLines.computeIfAbsent(gsi, g -> new SharedIntxLine(interrupts, g));
        }
        device.attach(line, gsi);
        Attached attached = new Attached(device, slot, function);
        functions[slot][function] = attached;
        refreshBars(attached);
    }

    /** The function at {@code slot}.{@code function}, or null. */
    public synchronized PciDevice device(int slot, int function) {
        Attached a = slot >= 0 && slot < SLOTS && function >= 0 && function < FUNCTIONS ? functions[slot][function] : null;
        return a == null ? null : a.device;
    }

    /** The GSI INTx of the function at {@code slot}.{@code function} reaches, or -1 if it has no pin. */
    public synchronized int interruptGsi(int slot, int function) {
        PciDevice d = device(slot, function);
        return d == null || d.identity().interruptPin() == 0 ? -1 : routing.gsi(slot, d.identity().interruptPin());
    }

    /** Where BAR {@code bar} of the function is currently decoded, or null if it is not. */
    public synchronized BusMapping barMapping(int slot, int function, int bar) {
        Attached a = functions[slot][function];
        return a == null ? null : a.barMappings[bar];
    }

    /** All attached functions (a snapshot), the host bridge first. */
    public synchronized List<PciDevice> devices() {
        return Arrays.stream(functions).flatMap(Arrays::stream)
                .filter(Objects::nonNull).map(a -> a.device).toList();
    }

    /** A configuration read; see the class comment for what answers all ones. */
    public synchronized long readConfig(int bus, int slot, int function, int offset, int size) {
        Attached a = visible(bus, slot, function);
        if (a == null || !validAccess(a.device, offset, size)) {
            return AccessSizes.allOnes(size);
        }
        return a.device.readConfig(offset, size);
    }

    /** A configuration write; dropped where a read would return all ones. */
    public synchronized void writeConfig(int bus, int slot, int function, int offset, int size, long value) {
        Attached a = visible(bus, slot, function);
        if (a == null || !validAccess(a.device, offset, size)) {
            return;
        }
        a.device.writeConfig(offset, size, value & AccessSizes.mask(size));
        if (touches(offset, size, PciConfigSpace.COMMAND, 2) || touches(offset, size, PciConfigSpace.BAR0, 24)) {
            refreshBars(a);
        }
    }

    private Attached visible(int bus, int slot, int function) {
        if (bus != 0 || slot < 0 || slot >= SLOTS || function < 0 || function >= FUNCTIONS) {
            return null;
        }
        if (function > 0) {
            Attached first = functions[slot][0];
            if (first == null || !first.device.isMultiFunction()) {
                return null;
            }
        }
        return functions[slot][function];
    }

    private boolean slotEmpty(int slot) {
        for (Attached a : functions[slot]) {
            if (a != null) {
                return false;
            }
        }
        return true;
    }

    /** Sizes 1, 2 and 4, inside one dword (a configuration transaction never crosses one), inside the space. */
    private static boolean validAccess(PciDevice device, int offset, int size) {
        return (size == 1 || size == 2 || size == 4) && offset >= 0 && (offset & 3) + size <= 4
                && offset + size <= device.configSize();
    }

    private static boolean touches(int offset, int size, int start, int length) {
        return offset < start + length && offset + size > start;
    }

    /** Makes each BAR's bus registration match the command register and the BAR's address. */
    private void refreshBars(Attached a) {
        PciDevice device = a.device;
        int command = device.command();
        for (PciBar bar : device.bars()) {
            int i = bar.index();
            boolean decoding = (command & (bar.type().isMemory()
                    ? PciConfigSpace.COMMAND_MEMORY : PciConfigSpace.COMMAND_IO)) != 0;
            long address = device.barAddress(i);
            boolean wanted = decoding && address != 0;
            BusMapping current = a.barMappings[i];
            if (current != null && wanted && current.base() == address) {
                continue;
            }
            Bus bus = bar.type().isMemory() ? mmio : ports;
            if (current != null) {
                bus.unregister(current);
                a.barMappings[i] = null;
            }
            if (wanted) {
                String name = String.format("00:%02x.%x BAR%d (%s)", a.slot, a.function, i, device.name());
                try {
                    a.barMappings[i] = bus.register(name, address, bar.size(), bar.device());
                } catch (IllegalArgumentException e) {
                    // Guest-chosen placement; real hardware would decode ambiguously. Leave it off.
                    LOG.debug("not decoding {}: {}", name, e.getMessage());
                }
            }
        }
    }
}
