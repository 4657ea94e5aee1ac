package dev.jvisor.virtio.pci;

import static dev.jvisor.virtio.pci.VirtioPciLayout.*;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusMapping;
import dev.jvisor.devices.pci.IntxRouting;
import dev.jvisor.devices.pci.PciBus;
import dev.jvisor.devices.pci.PciConfigSpace;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.DeviceStatus;
import dev.jvisor.virtio.RecordingInterrupts;
import dev.jvisor.virtio.VirtioDevice;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.MockQueue;
import java.util.HashMap;
import java.util.Map;

/**
 * A virtio-pci device on a real {@link PciBus}, driven the way a guest driver does: configuration
 * cycles, a capability walk, BAR programming, then register accesses through the MMIO bus.
 */
final class PciBench implements AutoCloseable {
    static final long BAR_ADDRESS = 0xE000_0000L;

    final GuestMemory memory = GuestMemory.flat(4 << 20);
    final RecordingInterrupts interrupts = new RecordingInterrupts();
    final Bus mmio = Bus.mmioSpace();
    final PciBus bus = new PciBus(Bus.portSpace(), mmio, interrupts, IntxRouting.rotating(16, 8));
    VirtioPciDevice pci;
    int slot;
    long barAddress;
    /** cfg_type → offset in configuration space of the first capability of that type. */
    final Map<Integer, Integer> capabilities = new HashMap<>();
    int msixCapability;

    /** A bus with {@code device} attached and selected. */
    PciBench(VirtioDevice device) {
        this();
        select(bus.attach(new VirtioPciDevice(device, memory, interrupts, "test-" + device.type())));
    }

    /** A bus with nothing attached yet; attach devices, then {@link #select} one. */
    PciBench() {
    }

    /** Drives the device in {@code slot} from now on: walks its capabilities and places its BAR. */
    void select(int slot) {
        this.slot = slot;
        this.pci = (VirtioPciDevice) bus.device(slot, 0);
        this.barAddress = BAR_ADDRESS + ((long) slot << 20);
        capabilities.clear();
        walkCapabilities();
        cfgWrite(PciConfigSpace.BAR0, 4, barAddress);
        cfgWrite(PciConfigSpace.BAR0 + 4, 4, barAddress >>> 32);
        cfgWrite(PciConfigSpace.COMMAND, 2, PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_BUS_MASTER);
    }

    long cfgRead(int offset, int size) {
        return bus.readConfig(0, slot, 0, offset, size);
    }

    void cfgWrite(int offset, int size, long value) {
        bus.writeConfig(0, slot, 0, offset, size, value);
    }

    /** Walks the capability list from 0x34 like Linux's pci_find_capability/virtio_pci_find_capability. */
    private void walkCapabilities() {
        int at = (int) cfgRead(PciConfigSpace.CAPABILITIES_POINTER, 1) & ~3;
        for (int guard = 0; at != 0 && guard < 48; guard++) {
            int id = (int) cfgRead(at, 1);
            if (id == CAP_ID_VENDOR) {
                capabilities.putIfAbsent((int) cfgRead(at + CAP_CFG_TYPE, 1), at);
            } else if (id == CAP_ID_MSIX) {
                msixCapability = at;
            }
            at = (int) cfgRead(at + 1, 1) & ~3;
        }
    }

    /** BAR offset of the structure of {@code cfgType}, read from its capability. */
    long structure(int cfgType) {
        return cfgRead(capabilities.get(cfgType) + CAP_OFFSET, 4);
    }

    long read(long barOffset, int size) {
        BusMapping m = mmio.find(barAddress + barOffset);
        return m.read(barAddress + barOffset, size);
    }

    void write(long barOffset, int size, long value) {
        BusMapping m = mmio.find(barAddress + barOffset);
        m.write(barAddress + barOffset, size, value);
    }

    long common(int field, int size) {
        return read(structure(CFG_COMMON) + field, size);
    }

    void common(int field, int size, long value) {
        write(structure(CFG_COMMON) + field, size, value);
    }

    int status() {
        return (int) common(CommonConfig.DEVICE_STATUS, 1);
    }

    long deviceFeatures() {
        common(CommonConfig.DEVICE_FEATURE_SELECT, 4, 0);
        long low = common(CommonConfig.DEVICE_FEATURE, 4);
        common(CommonConfig.DEVICE_FEATURE_SELECT, 4, 1);
        return low | common(CommonConfig.DEVICE_FEATURE, 4) << 32;
    }

    void driverFeatures(long features) {
        common(CommonConfig.DRIVER_FEATURE_SELECT, 4, 0);
        common(CommonConfig.DRIVER_FEATURE, 4, features & 0xFFFF_FFFFL);
        common(CommonConfig.DRIVER_FEATURE_SELECT, 4, 1);
        common(CommonConfig.DRIVER_FEATURE, 4, features >>> 32);
    }

    /** Section 3.1.1 steps 1-6; returns whether FEATURES_OK stuck. */
    boolean negotiate(long features) {
        common(CommonConfig.DEVICE_STATUS, 1, 0);
        common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE);
        common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
        driverFeatures(features);
        common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
        return (status() & DeviceStatus.FEATURES_OK) != 0;
    }

    /** Programs queue {@code q} with the layout of {@code queue} and enables it. */
    void setUpQueue(int q, MockQueue queue) {
        common(CommonConfig.QUEUE_SELECT, 2, q);
        common(CommonConfig.QUEUE_SIZE, 2, queue.size());
        common(CommonConfig.QUEUE_DESC, 4, queue.layout().descTable());
        common(CommonConfig.QUEUE_DESC + 4, 4, queue.layout().descTable() >>> 32);
        common(CommonConfig.QUEUE_DRIVER, 8, queue.layout().availRing());
        common(CommonConfig.QUEUE_DEVICE, 4, queue.layout().usedRing());
        common(CommonConfig.QUEUE_DEVICE + 4, 4, 0);
        common(CommonConfig.QUEUE_ENABLE, 2, 1);
    }

    void driverOk() {
        common(CommonConfig.DEVICE_STATUS, 1, status() | DeviceStatus.DRIVER_OK);
    }

    /** Negotiates VERSION_1 plus {@code extra}, sets up {@code queues} in order and sets DRIVER_OK. */
    void start(long extra, MockQueue... queues) {
        if (!negotiate(VirtioFeatures.VERSION_1 | extra)) {
            throw new IllegalStateException("features refused");
        }
        for (int q = 0; q < queues.length; q++) {
            setUpQueue(q, queues[q]);
        }
        driverOk();
    }

    void notifyQueue(int q) {
        long multiplier = cfgRead(capabilities.get(CFG_NOTIFY) + CAP_NOTIFY_MULTIPLIER, 4);
        common(CommonConfig.QUEUE_SELECT, 2, q);
        long off = common(CommonConfig.QUEUE_NOTIFY_OFF, 2);
        write(structure(CFG_NOTIFY) + off * multiplier, 2, q);
    }

    int readIsr() {
        return (int) read(structure(CFG_ISR), 1);
    }

    int intxGsi() {
        return bus.interruptGsi(slot, 0);
    }

    @Override
    public void close() {
        for (var d : bus.devices()) {
            if (d instanceof VirtioPciDevice v) {
                v.close();
            }
        }
        memory.close();
    }
}
