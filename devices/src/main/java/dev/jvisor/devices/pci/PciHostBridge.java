package dev.jvisor.devices.pci;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusDevice;
import java.util.Objects;

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, section 3.2.2.3.2) in front of
 * a {@link PciBus}: CONFIG_ADDRESS at port 0xCF8 (dword accesses only) and CONFIG_DATA at
 * 0xCFC-0xCFF (byte, word or dword, each byte lane reaching the matching byte of the selected
 * configuration dword).
 *
 * <p>CONFIG_ADDRESS holds the enable bit (31), bus (23:16), device (15:11), function (10:8) and
 * dword-aligned register (7:2); reserved bits 30:24 and 1:0 read as 0. With the enable bit clear,
 * CONFIG_DATA reads all ones and ignores writes.
 *
 * <p>CONFIG_ADDRESS is registered with length 1 because byte 0xCF9 of its dword belongs to the
 * reset control register; dword accesses are routed by their first port. Use {@link #registerOn}.
 */
public final class PciHostBridge {
    public static final int CONFIG_ADDRESS_PORT = 0xCF8;
    public static final int CONFIG_DATA_PORT = 0xCFC;
    public static final int CONFIG_DATA_LENGTH = 4;

    static final int ENABLE = 0x8000_0000;
    private static final int ADDRESS_BITS = ENABLE | 0x00FF_FFFC;

    private final PciBus bus;
    private volatile int configAddress;

    private final BusDevice addressPort = new BusDevice() {
        @Override
        public int accessSizes() {
            return AccessSizes.DWORD;
        }

        @Override
        public long read(long offset, int size) {
            return configAddress & 0xFFFF_FFFFL;
        }

        @Override
        public void write(long offset, int size, long value) {
            configAddress = (int) value & ADDRESS_BITS;
        }
    };

    private final BusDevice dataPort = new BusDevice() {
        @Override
        public int accessSizes() {
            return AccessSizes.UP_TO_DWORD;
        }

        @Override
        public long read(long offset, int size) {
            int address = configAddress;
            if ((address & ENABLE) == 0 || offset + size > CONFIG_DATA_LENGTH) {
                return AccessSizes.allOnes(size);
            }
            return bus.readConfig(busOf(address), slotOf(address), functionOf(address),
                    registerOf(address) + (int) offset, size);
        }

        @Override
        public void write(long offset, int size, long value) {
            int address = configAddress;
            if ((address & ENABLE) == 0 || offset + size > CONFIG_DATA_LENGTH) {
                return;
            }
            bus.writeConfig(busOf(address), slotOf(address), functionOf(address),
                    registerOf(address) + (int) offset, size, value);
        }
    };

    public PciHostBridge(PciBus bus) {
        this.bus = Objects.requireNonNull(bus, "bus");
    }

    public PciBus bus() {
        return bus;
    }

    /** CONFIG_ADDRESS: register at 0xCF8 with length 1. */
    public BusDevice configAddressPort() {
        return addressPort;
    }

    /** CONFIG_DATA: register at 0xCFC with length 4. */
    public BusDevice configDataPort() {
        return dataPort;
    }

    /** Registers both ports at their standard addresses on {@code ports}. */
    public void registerOn(Bus ports) {
        ports.register("pci-config-address", CONFIG_ADDRESS_PORT, 1, addressPort);
        ports.register("pci-config-data", CONFIG_DATA_PORT, CONFIG_DATA_LENGTH, dataPort);
    }

    private static int busOf(int address) {
        return (address >>> 16) & 0xFF;
    }

    private static int slotOf(int address) {
        return (address >>> 11) & 0x1F;
    }

    private static int functionOf(int address) {
        return (address >>> 8) & 0x7;
    }

    private static int registerOf(int address) {
        return address & 0xFC;
    }
}
