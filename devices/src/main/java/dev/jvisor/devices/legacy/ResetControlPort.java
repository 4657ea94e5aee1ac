package dev.jvisor.devices.legacy;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.PowerControl;
import java.util.Objects;

/**
 * The PC chipset's Reset Control register at port 0xCF9 (Intel ICH/PCH datasheets, "RST_CNT"),
 * usable as the FADT's RESET_REG. Bit 1 (SYS_RST) selects a full system reset and bit 3 (FULL_RST)
 * a power-cycling one; both are remembered. Setting bit 2 (RST_CPU) starts the reset: writing 0x06
 * or 0x0E calls {@link PowerControl#reset()}. Bit 2 itself reads back as 0.
 *
 * <p>Byte-wide: it shares its dword with PCI's CONFIG_ADDRESS (0xCF8), which only answers dword
 * accesses, so register it at 0xCF9 with length 1.
 */
public final class ResetControlPort implements BusDevice {
    /** The port's usual address. */
    public static final int PORT = 0xCF9;

    static final int SYS_RST = 0x02;
    static final int RST_CPU = 0x04;
    static final int FULL_RST = 0x08;

    private final PowerControl power;
    private volatile int value;

    public ResetControlPort(PowerControl power) {
        this.power = Objects.requireNonNull(power, "power");
    }

    @Override
    public int accessSizes() {
        return AccessSizes.BYTE;
    }

    @Override
    public long read(long offset, int size) {
        return value;
    }

    @Override
    public void write(long offset, int size, long written) {
        int v = (int) written;
        value = v & (SYS_RST | FULL_RST);
        if ((v & RST_CPU) != 0) {
            power.reset();
        }
    }
}
