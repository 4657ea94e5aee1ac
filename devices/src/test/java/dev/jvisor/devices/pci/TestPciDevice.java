package dev.jvisor.devices.pci;

import dev.jvisor.devices.BusDevice;

/**
 * A PCI function for tests: a 4 KiB 32-bit memory BAR 0, a 16 KiB prefetchable 64-bit memory BAR 2,
 * a 32-byte I/O BAR 4, two capabilities and INTA.
 */
final class TestPciDevice extends PciDevice {
    /** Remembers the last access of one BAR. */
    static final class Region implements BusDevice {
        volatile long lastOffset = -1;
        volatile long lastValue;

        @Override
        public long read(long offset, int size) {
            lastOffset = offset;
            return 0xAB;
        }

        @Override
        public void write(long offset, int size, long value) {
            lastOffset = offset;
            lastValue = value;
        }
    }

    final Region mmio32 = new Region();
    final Region mmio64 = new Region();
    final Region io = new Region();
    final int vendorCapability;
    final int msiCapability;
    int configWrites;

    TestPciDevice(boolean multiFunction, boolean extended) {
        super(new PciIdentity(0x1AF4, 0x1041, 1, 0x020000, 0x1AF4, 0x0001, 1, multiFunction), extended);
        addBar(PciBar.memory32(0, 0x1000, mmio32));
        addBar(PciBar.memory64(2, 0x4000, true, mmio64));
        addBar(PciBar.io(4, 32, io));
        vendorCapability = addCapability(0x09, 14);
        config().setWritableMask(vendorCapability + 3, 1, 0xFF);
        msiCapability = addCapability(0x05, 10);
    }

    TestPciDevice() {
        this(false, false);
    }

    void raiseInterrupt(boolean level) {
        setInterruptLevel(level);
    }

    void signalTargetAbort() {
        config().setWord(PciConfigSpace.STATUS, config().readWord(PciConfigSpace.STATUS) | 0x0800);
    }

    int addExtended(int id, int length) {
        return addExtendedCapability(id, 1, length);
    }

    @Override
    protected void configWritten(int offset, int size) {
        configWrites++;
    }

    @Override
    public String name() {
        return "test-nic";
    }
}
