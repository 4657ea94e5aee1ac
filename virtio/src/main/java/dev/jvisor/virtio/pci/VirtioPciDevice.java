package dev.jvisor.virtio.pci;

import static dev.jvisor.virtio.pci.VirtioPciLayout.*;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.pci.PciBar;
import dev.jvisor.devices.pci.PciDevice;
import dev.jvisor.devices.pci.PciIdentity;
import dev.jvisor.hypervisor.InterruptLines;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.DeviceStatus;
import dev.jvisor.virtio.DeviceType;
import dev.jvisor.virtio.VirtioDevice;
import dev.jvisor.virtio.VirtioTransport;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VirtioDevice} on PCI through the modern (virtio 1.0+) transport of virtio 1.2 section
 * 4.1: vendor 0x1AF4, device id {@code 0x1040 + type}, revision 1; vendor capabilities naming the
 * common, notify, ISR and device configuration structures, all in one 64-bit memory BAR (layout in
 * {@link VirtioPciLayout}); the PCI configuration access capability; and MSI-X with a vector per
 * queue plus one for configuration changes, falling back to INTx with the ISR status register when
 * the driver leaves MSI-X disabled.
 *
 * <p><b>Locking.</b> Register accesses, interrupt delivery and the transport calls a device makes
 * all synchronise on this object (the same monitor {@link PciDevice} uses for configuration space
 * and INTx). Queue notifications do not take it: they go straight to
 * {@link VirtioDevice#queueNotified} on the writing vCPU's thread.
 *
 * <p><b>The PCI configuration access capability</b> (section 4.1.4.9) gives access to the BAR
 * through configuration space. {@link PciDevice#readConfig} cannot be intercepted, so a read
 * through the window returns a value fetched when the driver last programmed {@code cap.bar},
 * {@code cap.offset} or {@code cap.length} (or wrote through the window); such fetches do not clear
 * the ISR. Firmware programs the window before every access, which makes this exact in practice.
 */
public final class VirtioPciDevice extends PciDevice implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioPciDevice.class);

    private static final int ISR_QUEUE = 1;
    private static final int ISR_CONFIG = 2;
    private static final int MSIX_ENABLE = 0x8000;
    private static final int MSIX_FUNCTION_MASK = 0x4000;

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final String name;
    private final CommonConfig common;
    private final MsixTable msix;
    private final int queueCount;
    private final int configSize;
    private final int msixCapability;
    private final int pciCfgCapability;
    private int isr;
    private boolean closed;

    /**
     * Wraps {@code device} and binds it to this transport.
     *
     * @param device     the device; bound here, so it must not be bound elsewhere
     * @param memory     guest RAM, which the queues live in
     * @param interrupts where MSI-X messages go (INTx goes through the PCI bus the device is attached to)
     * @param name       for logs and bus mappings ("virtio-blk0")
     */
    public VirtioPciDevice(VirtioDevice device, GuestMemory memory, InterruptLines interrupts, String name) {
        super(identityOf(device), false);
        this.device = Objects.requireNonNull(device, "device");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.name = Objects.requireNonNull(name, "name");
        this.queueCount = device.queueCount();
        this.configSize = device.configSize();
        if (queueCount < 1 || queueCount > 255) {
            throw new IllegalArgumentException(name + ": a device needs 1 to 255 queues, not " + queueCount);
        }
        if (configSize < 0 || configSize > PAGE) {
            throw new IllegalArgumentException(name + ": device configuration of " + configSize + " bytes does not fit a page");
        }
        this.msix = new MsixTable(interrupts, queueCount + 1);
        this.common = new CommonConfig(device, new CommonHost(), name);

        addBar(PciBar.memory64(BAR_INDEX, BAR_SIZE, false, new Registers()));
        addVirtioCapability(CFG_COMMON, CAP_SIZE, COMMON_OFFSET, CommonConfig.LENGTH);
        int notify = addVirtioCapability(CFG_NOTIFY, NOTIFY_CAP_SIZE, NOTIFY_OFFSET,
                Math.max(2, queueCount * NOTIFY_MULTIPLIER));
        config().setDword(notify + CAP_NOTIFY_MULTIPLIER, NOTIFY_MULTIPLIER);
        addVirtioCapability(CFG_ISR, CAP_SIZE, ISR_OFFSET, 1);
        if (configSize > 0) {
            addVirtioCapability(CFG_DEVICE, CAP_SIZE, DEVICE_OFFSET, configSize);
        }
        // Section 4.1.4.9: bar, offset, length and data are the driver's to write.
        pciCfgCapability = addVirtioCapability(CFG_PCI, PCI_CFG_CAP_SIZE, 0, 0);
        config().setWritableMask(pciCfgCapability + CAP_BAR, 1, 0xFF);
        config().setWritableMask(pciCfgCapability + CAP_OFFSET, 4, 0xFFFF_FFFFL);
        config().setWritableMask(pciCfgCapability + CAP_LENGTH, 4, 0xFFFF_FFFFL);
        config().setWritableMask(pciCfgCapability + CAP_PCI_CFG_DATA, 4, 0xFFFF_FFFFL);
        // PCI 3.0 section 6.8.2.3-5: table size - 1, enable and function mask; table and PBA in BAR 0.
        msixCapability = addCapability(CAP_ID_MSIX, MSIX_CAP_SIZE);
        config().setWord(msixCapability + 2, msix.size() - 1);
        config().setWritableMask(msixCapability + 2, 2, MSIX_ENABLE | MSIX_FUNCTION_MASK);
        config().setDword(msixCapability + 4, MSIX_TABLE_OFFSET | BAR_INDEX);
        config().setDword(msixCapability + 8, MSIX_PBA_OFFSET | BAR_INDEX);

        device.bind(new Transport());
    }

    private static PciIdentity identityOf(VirtioDevice device) {
        DeviceType type = device.type();
        int classCode = switch (type) {
            case NET -> 0x020000; // network controller, Ethernet
            case BLOCK -> 0x018000; // mass storage controller, other
            case CONSOLE -> 0x078000; // communication controller, other
            case ENTROPY -> 0xFF0000; // device does not fit any defined class
        };
        return new PciIdentity(VENDOR_ID, DEVICE_ID_BASE + type.id(), REVISION, classCode, VENDOR_ID, SUBSYSTEM_ID,
                1, false);
    }

    private int addVirtioCapability(int cfgType, int length, int offset, int structureLength) {
        int cap = addCapability(CAP_ID_VENDOR, length);
        config().setByte(cap + CAP_LEN, length);
        config().setByte(cap + CAP_CFG_TYPE, cfgType);
        config().setByte(cap + CAP_BAR, BAR_INDEX);
        config().setDword(cap + CAP_OFFSET, offset);
        config().setDword(cap + CAP_LENGTH, structureLength);
        return cap;
    }

    @Override
    public String name() {
        return name;
    }

    /** The device this transport carries. */
    public VirtioDevice device() {
        return device;
    }

    /** The device status as the driver reads it (for tests and monitoring). */
    public synchronized int deviceStatus() {
        return common.status();
    }

    /** Resets the device (as a status write of 0 would) and closes it. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            common.reset();
        }
        // Outside the lock: closing joins the device's threads, which may be waiting for this
        // lock to deliver a last interrupt.
        device.close();
    }

    @Override
    protected void configWritten(int offset, int size) {
        if (touches(offset, size, msixCapability + 2, 2)) {
            int control = config().readWord(msixCapability + 2);
            msix.setControl((control & MSIX_ENABLE) != 0, (control & MSIX_FUNCTION_MASK) != 0);
            updateIntx();
        }
        if (touches(offset, size, pciCfgCapability + CAP_PCI_CFG_DATA, 4)) {
            windowWrite();
        } else if (touches(offset, size, pciCfgCapability + CAP_BAR, CAP_PCI_CFG_DATA - CAP_BAR)) {
            windowFetch();
        }
    }

    private static boolean touches(int offset, int size, int start, int length) {
        return offset < start + length && offset + size > start;
    }

    // ---- PCI configuration access capability (section 4.1.4.9) ----

    /** The window's target as {@code offset} in the BAR, or -1 when bar/offset/length are not a valid access. */
    private long windowOffset() {
        int bar = config().readByte(pciCfgCapability + CAP_BAR);
        long offset = config().readDword(pciCfgCapability + CAP_OFFSET) & 0xFFFF_FFFFL;
        int length = config().readDword(pciCfgCapability + CAP_LENGTH);
        boolean valid = bar == BAR_INDEX && (length == 1 || length == 2 || length == 4)
                && offset % length == 0 && offset + length <= BAR_SIZE;
        return valid ? offset : -1;
    }

    private void windowWrite() {
        long offset = windowOffset();
        if (offset < 0) {
            return;
        }
        int length = config().readDword(pciCfgCapability + CAP_LENGTH);
        long value = config().readDword(pciCfgCapability + CAP_PCI_CFG_DATA) & AccessSizes.mask(length);
        barWrite(offset, length, value);
        windowFetch();
    }

    private void windowFetch() {
        long offset = windowOffset();
        if (offset < 0) {
            return;
        }
        int length = config().readDword(pciCfgCapability + CAP_LENGTH);
        config().setDword(pciCfgCapability + CAP_PCI_CFG_DATA, (int) barRead(offset, length, false));
    }

    // ---- BAR registers ----

    /** The BAR's bus device: one page per structure. */
    private final class Registers implements BusDevice {
        @Override
        public long read(long offset, int size) {
            if (offset >= NOTIFY_OFFSET && offset < NOTIFY_OFFSET + PAGE) {
                return 0; // the notify area is write-only
            }
            synchronized (VirtioPciDevice.this) {
                return barRead(offset, size, true);
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            if (offset >= NOTIFY_OFFSET && offset < NOTIFY_OFFSET + PAGE) {
                notifyWrite(offset - NOTIFY_OFFSET);
                return;
            }
            synchronized (VirtioPciDevice.this) {
                barWrite(offset, size, value);
            }
        }
    }

    /** A BAR read with this object locked; {@code sideEffects} false leaves the ISR uncleared. */
    private long barRead(long offset, int size, boolean sideEffects) {
        int page = (int) (offset & ~(PAGE - 1));
        int at = (int) (offset & (PAGE - 1));
        return switch (page) {
            case COMMON_OFFSET -> at + size <= CommonConfig.LENGTH ? common.read(at, size) : 0;
            case ISR_OFFSET -> at == 0 ? readIsr(sideEffects) : 0;
            case DEVICE_OFFSET -> at + size <= configSize ? device.readConfig(at, size) : 0;
            case MSIX_TABLE_OFFSET -> msix.readTable(at, size);
            case MSIX_PBA_OFFSET -> msix.readPba(at, size);
            default -> 0;
        };
    }

    /** A BAR write with this object locked. */
    private void barWrite(long offset, int size, long value) {
        int page = (int) (offset & ~(PAGE - 1));
        int at = (int) (offset & (PAGE - 1));
        switch (page) {
            case COMMON_OFFSET -> {
                if (at + size <= CommonConfig.LENGTH) {
                    common.write(at, size, value);
                }
            }
            case DEVICE_OFFSET -> {
                if (at + size <= configSize) {
                    device.writeConfig(at, size, value);
                }
            }
            case NOTIFY_OFFSET -> notifyWrite(at);
            case MSIX_TABLE_OFFSET -> msix.writeTable(at, size, value);
            default -> {
                // ISR is read-only, the PBA too; the rest of the BAR is unimplemented.
            }
        }
    }

    /**
     * Section 4.1.4.4: queue {@code q}'s notification address is {@code q * NOTIFY_MULTIPLIER} into
     * the notify area; the value written is the queue index again, so the address decides.
     */
    private void notifyWrite(long at) {
        if (at % NOTIFY_MULTIPLIER != 0 || at / NOTIFY_MULTIPLIER >= queueCount) {
            return;
        }
        device.queueNotified((int) (at / NOTIFY_MULTIPLIER));
    }

    /** Section 4.1.4.5: reading the ISR status clears it and deasserts INTx. */
    private int readIsr(boolean clear) {
        int value = isr;
        if (clear && value != 0) {
            isr = 0;
            updateIntx();
        }
        return value;
    }

    // ---- interrupts ----

    /** INTx follows the ISR while MSI-X is off (section 4.1.4.5.1); with MSI-X on it stays low. */
    private void updateIntx() {
        setInterruptLevel(isr != 0 && !msix.enabled());
    }

    private void queueInterrupt(int q) {
        if (msix.enabled()) {
            int vector = common.queueVector(q);
            if (vector != CommonConfig.NO_VECTOR) {
                msix.fire(vector);
            }
        } else {
            isr |= ISR_QUEUE;
            updateIntx();
        }
    }

    /** Section 4.1.4.5.1: the configuration bit is set even when the message goes by MSI-X. */
    private void configInterrupt() {
        isr |= ISR_CONFIG;
        if (msix.enabled()) {
            int vector = common.configVector();
            if (vector != CommonConfig.NO_VECTOR) {
                msix.fire(vector);
            }
        } else {
            updateIntx();
        }
    }

    /** The device's view of this transport. */
    private final class Transport implements VirtioTransport {
        @Override
        public void signalQueue(int queueIndex) {
            synchronized (VirtioPciDevice.this) {
                if (common.driverOk() && queueIndex >= 0 && queueIndex < queueCount) {
                    queueInterrupt(queueIndex);
                }
            }
        }

        @Override
        public void signalConfigChange() {
            synchronized (VirtioPciDevice.this) {
                common.bumpGeneration();
                if (common.driverOk()) {
                    configInterrupt();
                }
            }
        }

        @Override
        public void deviceNeedsReset(String reason) {
            synchronized (VirtioPciDevice.this) {
                boolean running = (common.status() & DeviceStatus.DRIVER_OK) != 0;
                if (common.markNeedsReset()) {
                    LOG.warn("{}: DEVICE_NEEDS_RESET: {}", name, reason);
                    if (running) {
                        configInterrupt();
                    }
                }
            }
        }
    }

    /** What the common configuration needs from the transport; called with this object locked. */
    private final class CommonHost implements CommonConfig.Host {
        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public int msixVectors() {
            return msix.size();
        }

        @Override
        public void transportReset() {
            isr = 0;
            updateIntx();
        }

        @Override
        public void raiseConfigChange() {
            configInterrupt();
        }
    }
}
