package dev.jvisor.devices.pci;

import static dev.jvisor.devices.pci.PciConfigSpace.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A PCI function: its configuration space with the type 0 header, its base address registers, its
 * capability lists and its INTx pin. Concrete devices (the host bridge, virtio-pci devices) extend
 * this class, declare BARs with {@link #addBar} and capabilities with {@link #addCapability} /
 * {@link #addExtendedCapability} in their constructor, and react to guest writes in
 * {@link #configWritten}.
 *
 * <p>Guest semantics follow the PCI Local Bus Specification 3.0: command register bits for I/O and
 * memory decoding, bus mastering and INTx disable (section 6.2.2); write-1-to-clear status error
 * bits (6.2.3); BAR sizing, where writing all ones to a BAR reads back the size mask because only
 * the address bits above the size are writable (6.2.5.1); the capability list at the pointer in
 * 0x34, announced by status bit 4 (6.7); PCI Express extended capabilities from 0x100 when the
 * function has the 4 KiB space. The {@link PciBus} watches command and BAR writes and moves the
 * BAR's {@link dev.jvisor.devices.BusDevice} on the bus accordingly.
 *
 * <p>Configuration accesses and {@link #setInterruptLevel} synchronise on the device object;
 * subclasses that share state with {@link #configWritten} may synchronise on {@code this} too.
 */
public abstract class PciDevice {
    private static final int COMMAND_WRITABLE = COMMAND_IO | COMMAND_MEMORY | COMMAND_BUS_MASTER
            | COMMAND_PARITY_ERROR_RESPONSE | COMMAND_SERR | COMMAND_INTX_DISABLE;
    private static final int FIRST_CAPABILITY = 0x40;
    private static final int FIRST_EXTENDED_CAPABILITY = 0x100;
    private static final int BAR_COUNT = 6;

    private final PciIdentity identity;
    private final PciConfigSpace config;
    /** Indexed by register; a 64-bit BAR appears at both of its registers. */
    private final PciBar[] barRegisters = new PciBar[BAR_COUNT];
    private final List<PciBar> bars = new ArrayList<>();
    private int lastCapability;
    private int nextCapability = FIRST_CAPABILITY;
    private int lastExtendedCapability;
    private int nextExtendedCapability = FIRST_EXTENDED_CAPABILITY;
    private boolean attached;
    private SharedIntxLine intxLine;
    private boolean intxAsserted;
    private boolean intxDriven;

    /**
     * @param identity          the ids, class code, interrupt pin and multi-function flag
     * @param extendedConfigSpace whether the function has the 4 KiB PCI Express configuration space
     */
    protected PciDevice(PciIdentity identity, boolean extendedConfigSpace) {
        this.identity = Objects.requireNonNull(identity, "identity");
        config = new PciConfigSpace(extendedConfigSpace ? EXTENDED_SIZE : CONVENTIONAL_SIZE);
        config.setWord(VENDOR_ID, identity.vendorId());
        config.setWord(DEVICE_ID, identity.deviceId());
        config.setWritableMask(COMMAND, 2, COMMAND_WRITABLE);
        config.setWriteOneToClearMask(STATUS, 2, STATUS_ERRORS);
        config.setByte(REVISION_ID, identity.revision());
        config.set(CLASS_CODE, 3, identity.classCode());
        config.setWritableMask(CACHE_LINE_SIZE, 1, 0xFF);
        config.setWritableMask(LATENCY_TIMER, 1, 0xFF);
        config.setByte(HEADER_TYPE, identity.multiFunction() ? HEADER_MULTI_FUNCTION : 0);
        config.setWord(SUBSYSTEM_VENDOR_ID, identity.subsystemVendorId());
        config.setWord(SUBSYSTEM_ID, identity.subsystemId());
        config.setWritableMask(INTERRUPT_LINE, 1, 0xFF);
        config.setByte(INTERRUPT_PIN, identity.interruptPin());
    }

    /** A short name for logs and bus mappings; the class name unless overridden. */
    public String name() {
        return getClass().getSimpleName();
    }

    public final PciIdentity identity() {
        return identity;
    }

    /** Size of the configuration space: 256 or 4096 bytes. */
    public final int configSize() {
        return config.size();
    }

    /** A guest read of configuration space ({@code offset} and {@code size} already validated by the bus). */
    public final synchronized long readConfig(int offset, int size) {
        return config.read(offset, size);
    }

    /** A guest write of configuration space, applying the read-only and write-1-to-clear masks. */
    public final synchronized void writeConfig(int offset, int size, long value) {
        config.guestWrite(offset, size, value);
        if (offset <= COMMAND + 1 && offset + size > COMMAND) {
            driveIntx(); // INTx disable may have changed
        }
        configWritten(offset, size);
    }

    /** The command register. */
    public final synchronized int command() {
        return config.readWord(COMMAND);
    }

    public final boolean ioDecodingEnabled() {
        return (command() & COMMAND_IO) != 0;
    }

    public final boolean memoryDecodingEnabled() {
        return (command() & COMMAND_MEMORY) != 0;
    }

    /** Whether the guest allows this function to master the bus (DMA). Devices must check it before DMA. */
    public final boolean busMasterEnabled() {
        return (command() & COMMAND_BUS_MASTER) != 0;
    }

    /** Whether function 0 of this slot announces more functions. */
    public final synchronized boolean isMultiFunction() {
        return (config.readByte(HEADER_TYPE) & HEADER_MULTI_FUNCTION) != 0;
    }

    /** The declared BARs, in declaration order. */
    public final synchronized List<PciBar> bars() {
        return List.copyOf(bars);
    }

    /** The address BAR {@code index} is currently programmed with (the size-aligned part only). */
    public final synchronized long barAddress(int index) {
        PciBar bar = index >= 0 && index < BAR_COUNT ? barRegisters[index] : null;
        if (bar == null || bar.index() != index) {
            throw new IllegalArgumentException(name() + " declares no BAR " + index);
        }
        long low = config.readDword(BAR0 + 4 * index) & 0xFFFF_FFFFL;
        return switch (bar.type()) {
            case MEMORY_32 -> low & ~0xFL;
            case MEMORY_64 -> ((config.readDword(BAR0 + 4 * index + 4) & 0xFFFF_FFFFL) << 32) | (low & ~0xFL);
            case IO -> low & ~0x3L;
        };
    }

    /**
     * Asserts or deasserts this function's INTx pin. The line reaches the interrupt controller only
     * while the command register's INTx disable bit is clear; status bit 3 shows the pin state either way.
     */
    protected final synchronized void setInterruptLevel(boolean asserted) {
        intxAsserted = asserted;
        int status = config.readWord(STATUS);
        config.setWord(STATUS, asserted ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        driveIntx();
    }

    /** Called after every guest configuration write, with the device lock held. Default: nothing. */
    protected void configWritten(int offset, int size) {
    }

    /** The configuration space, for the device's own setup and register emulation. */
    protected final PciConfigSpace config() {
        return config;
    }

    /**
     * Declares a BAR. Its register gets the type bits and a writable mask covering only the address
     * bits above the size, which is what makes size probing work.
     */
    protected final synchronized void addBar(PciBar bar) {
        if (attached) {
            throw new IllegalStateException(name() + ": BARs must be declared before the device is attached");
        }
        for (int r = bar.index(); r < bar.index() + bar.registers(); r++) {
            if (barRegisters[r] != null) {
                throw new IllegalArgumentException(name() + ": BAR register " + r + " is already used");
            }
        }
        int register = BAR0 + 4 * bar.index();
        long sizeMask = ~(bar.size() - 1);
        switch (bar.type()) {
            case MEMORY_32 -> {
                config.setDword(register, bar.prefetchable() ? 0x8 : 0);
                config.setWritableMask(register, 4, sizeMask & 0xFFFF_FFF0L);
            }
            case MEMORY_64 -> {
                config.setDword(register, 0x4 | (bar.prefetchable() ? 0x8 : 0));
                config.setWritableMask(register, 4, sizeMask & 0xFFFF_FFF0L);
                config.setWritableMask(register + 4, 4, sizeMask >>> 32);
            }
            case IO -> {
                // x86 port addresses are 16 bits; the upper half of the register is hardwired to 0.
                config.setDword(register, 0x1);
                config.setWritableMask(register, 4, sizeMask & 0xFFFCL);
            }
        }
        for (int r = bar.index(); r < bar.index() + bar.registers(); r++) {
            barRegisters[r] = bar;
        }
        bars.add(bar);
    }

    /**
     * Appends a capability of {@code length} bytes (including its 2-byte header) with id
     * {@code id} to the list, links it and returns its offset. The body is read-only until the
     * device sets writable masks on it.
     */
    protected final synchronized int addCapability(int id, int length) {
        if (id < 1 || id > 0xFF) {
            throw new IllegalArgumentException("capability id must be 1-255, got " + id);
        }
        if (length < 2) {
            throw new IllegalArgumentException("a capability is at least 2 bytes, got " + length);
        }
        int offset = nextCapability;
        if (offset + length > CONVENTIONAL_SIZE) {
            throw new IllegalStateException(String.format(
                    "%s: no room for a %d-byte capability at 0x%x", name(), length, offset));
        }
        config.setByte(offset, id);
        config.setByte(offset + 1, 0);
        if (lastCapability == 0) {
            config.setByte(CAPABILITIES_POINTER, offset);
            config.setWord(STATUS, config.readWord(STATUS) | STATUS_CAPABILITIES);
        } else {
            config.setByte(lastCapability + 1, offset);
        }
        lastCapability = offset;
        nextCapability = (offset + length + 3) & ~3; // pointers are dword aligned (bits 1:0 reserved)
        return offset;
    }

    /**
     * Appends a PCI Express extended capability (4-byte header: id, version, next pointer) of
     * {@code length} bytes at or above 0x100 and returns its offset. Needs the 4 KiB space.
     */
    protected final synchronized int addExtendedCapability(int id, int version, int length) {
        if (config.size() != EXTENDED_SIZE) {
            throw new IllegalStateException(name() + ": extended capabilities need the 4 KiB configuration space");
        }
        if (id < 1 || id > 0xFFFF || version < 0 || version > 0xF) {
            throw new IllegalArgumentException(String.format("bad extended capability id 0x%x / version %d", id, version));
        }
        if (length < 4) {
            throw new IllegalArgumentException("an extended capability is at least 4 bytes, got " + length);
        }
        int offset = nextExtendedCapability;
        if (offset + length > EXTENDED_SIZE) {
            throw new IllegalStateException(String.format(
                    "%s: no room for a %d-byte extended capability at 0x%x", name(), length, offset));
        }
        config.setDword(offset, id | version << 16);
        if (lastExtendedCapability != 0) {
            int header = config.readDword(lastExtendedCapability);
            config.setDword(lastExtendedCapability, (header & 0x000F_FFFF) | offset << 20);
        }
        lastExtendedCapability = offset;
        nextExtendedCapability = (offset + length + 3) & ~3;
        return offset;
    }

    /** Called once by {@link PciBus#attach}: connects INTx (null if the device has no pin). */
    final synchronized void attach(SharedIntxLine line, int gsi) {
        if (attached) {
            throw new IllegalStateException(name() + " is already attached to a PCI bus");
        }
        attached = true;
        intxLine = line;
        if (line != null && gsi <= 0xFF) {
            config.setByte(INTERRUPT_LINE, gsi); // what firmware would program; ACPI guests use _PRT
        }
        driveIntx();
    }

    private void driveIntx() {
        boolean drive = intxAsserted && (config.readWord(COMMAND) & COMMAND_INTX_DISABLE) == 0;
        if (intxLine != null && drive != intxDriven) {
            intxDriven = drive;
            intxLine.change(drive);
        }
    }
}
