package dev.jvisor.devices.pci;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import java.util.Objects;

/**
 * PCI Express Enhanced Configuration Access Mechanism (ECAM, also "MMCONFIG"; PCI Express Base
 * Specification, section "PCI Express Enhanced Configuration Access Mechanism"): the configuration
 * spaces of a range of buses mapped into memory, 4 KiB per function, so that offset
 * {@code bus << 20 | device << 15 | function << 12 | register} reaches {@code register}.
 *
 * <p>Register it on the MMIO bus at the base the machine describes in its MCFG table, with length
 * {@link #length()}. Only bus 0 is populated; the other buses read all ones. Byte, word and dword
 * accesses that stay within one dword are supported, like configuration transactions.
 */
public final class PciEcam implements BusDevice {
    private static final int FUNCTION_SPACE = 4096;

    private final PciBus bus;
    private final int busCount;

    /**
     * @param bus      the bus whose functions this window reaches (as bus 0)
     * @param busCount how many buses the window covers (1-256); 1 MiB each
     */
    public PciEcam(PciBus bus, int busCount) {
        this.bus = Objects.requireNonNull(bus, "bus");
        if (busCount < 1 || busCount > 256) {
            throw new IllegalArgumentException("an ECAM window covers 1 to 256 buses, got " + busCount);
        }
        this.busCount = busCount;
    }

    /** The window's size in bytes: 1 MiB per bus. */
    public long length() {
        return (long) busCount << 20;
    }

    @Override
    public int accessSizes() {
        return AccessSizes.UP_TO_DWORD;
    }

    @Override
    public long read(long offset, int size) {
        if (offset >= length()) {
            return AccessSizes.allOnes(size);
        }
        return bus.readConfig(busOf(offset), slotOf(offset), functionOf(offset), registerOf(offset), size);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset >= length()) {
            return;
        }
        bus.writeConfig(busOf(offset), slotOf(offset), functionOf(offset), registerOf(offset), size, value);
    }

    private static int busOf(long offset) {
        return (int) (offset >>> 20) & 0xFF;
    }

    private static int slotOf(long offset) {
        return (int) (offset >>> 15) & 0x1F;
    }

    private static int functionOf(long offset) {
        return (int) (offset >>> 12) & 0x7;
    }

    private static int registerOf(long offset) {
        return (int) offset & (FUNCTION_SPACE - 1);
    }
}
