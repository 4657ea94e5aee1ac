package dev.jvisor.irqchip;

/**
 * The I/O APIC (Intel 82093AA datasheet, with the ICH-style version 0x20 and its EOI register): 24
 * input pins, each with a redirection entry that turns an edge or a level on the pin into an
 * interrupt message to the local APICs.
 *
 * <p>Registers are reached indirectly: the guest writes a register index to IOREGSEL (offset 0x00)
 * and reads or writes it through IOWIN (offset 0x10). Offset 0x40 is the EOI register.
 *
 * <p>Messages are delivered at once, so delivery status (bit 12) always reads idle.
 *
 * <p>Pin levels are logical assertion (true = the device requests service), whatever the polarity
 * bit says: the polarity bit is stored for the guest, and the machine's ACPI tables declare its
 * lines active-high, as QEMU's do. Thread-safe; device threads drive pins concurrently with vCPUs.
 */
public final class Ioapic {
    /** Default physical base address of the register window. */
    public static final long DEFAULT_BASE = 0xFEC0_0000L;
    /** Size of the decoded MMIO window. */
    public static final int WINDOW_SIZE = 0x1000;
    /** Number of input pins (GSIs 0-23). */
    public static final int PINS = 24;
    /** Version register value: version 0x20, maximum redirection entry 23. */
    static final int VERSION = 0x0017_0020;

    static final int REG_SELECT = 0x00;
    static final int REG_WINDOW = 0x10;
    static final int REG_EOI = 0x40;

    static final long RTE_DESTINATION_LOGICAL = 1L << 11;
    static final long RTE_REMOTE_IRR = 1L << 14;
    static final long RTE_LEVEL = 1L << 15;
    static final long RTE_MASKED = 1L << 16;
    /** Guest-writable bits of the low dword: vector, delivery and destination mode, polarity, trigger, mask. */
    private static final long RTE_WRITABLE_LOW = 0x1AFFFL;

    private final ApicBus bus;
    private final Object lock = new Object();

    private int id;
    private int registerSelect;
    private final long[] redirection = new long[PINS];
    /** Bit n set while pin n is asserted. */
    private int pinLevels;

    Ioapic(int id, ApicBus bus) {
        if (id < 0 || id > 0xF) {
            throw new IllegalArgumentException("IOAPIC ID must be 0..15, got " + id);
        }
        this.id = id;
        this.bus = bus;
        for (int pin = 0; pin < PINS; pin++) {
            redirection[pin] = RTE_MASKED; // all pins masked after reset (82093AA 3.2.4)
        }
    }

    /** The IOAPIC ID as the guest last wrote it (the MADT must announce the initial one). */
    public int id() {
        synchronized (lock) {
            return id;
        }
    }

    /** The current 64-bit redirection entry of {@code pin} (for inspection and snapshots). */
    public long redirectionEntry(int pin) {
        checkPin(pin);
        synchronized (lock) {
            return redirection[pin];
        }
    }

    /** Drives input pin {@code pin}: true while asserted. */
    void setPin(int pin, boolean asserted) {
        checkPin(pin);
        int bit = 1 << pin;
        synchronized (lock) {
            boolean wasAsserted = (pinLevels & bit) != 0;
            pinLevels = asserted ? pinLevels | bit : pinLevels & ~bit;
            if (asserted) {
                serviceLocked(pin, !wasAsserted);
            }
        }
    }

    /**
     * Re-sends an ExtINT entry whose pin is still asserted: the 8259 behind pin 0 keeps INTR high
     * after an INTA while more requests wait, and every INTA needs its own ExtINT message.
     */
    void resample(int pin) {
        checkPin(pin);
        synchronized (lock) {
            long entry = redirection[pin];
            if ((pinLevels & (1 << pin)) != 0 && ((entry >>> 8) & 7) == DeliveryMode.EXTINT) {
                serviceLocked(pin, true);
            }
        }
    }

    /**
     * Sends pin {@code pin}'s interrupt if its entry allows it. Edge-triggered entries (and the
     * non-fixed delivery modes, which the datasheet requires to be edge-triggered) send only on a
     * rising edge; fixed level-triggered entries send while the pin is asserted and remote IRR is
     * clear, then set remote IRR once a local APIC accepted (82093AA 3.2.4, bits 14-16).
     */
    private void serviceLocked(int pin, boolean risingEdge) {
        long entry = redirection[pin];
        if ((entry & RTE_MASKED) != 0) {
            return; // masked edges are lost and masked levels have no side effects (82093AA bit 16)
        }
        int mode = (int) (entry >>> 8) & 7;
        boolean fixed = mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY;
        boolean level = (entry & RTE_LEVEL) != 0 && fixed;
        if (level) {
            if ((entry & RTE_REMOTE_IRR) != 0) {
                return;
            }
        } else if (!risingEdge) {
            return;
        }
        int destination = (int) (entry >>> 56) & 0xFF;
        boolean logical = (entry & RTE_DESTINATION_LOGICAL) != 0;
        boolean accepted = bus.deliver(destination, logical, mode, (int) entry & 0xFF, level);
        if (level && accepted) {
            redirection[pin] = entry | RTE_REMOTE_IRR;
        }
    }

    /**
     * An EOI for {@code vector}, broadcast by a local APIC or written to the EOI register: clears
     * remote IRR of matching level-triggered entries and re-sends those whose pin is still asserted.
     */
    void endOfInterrupt(int vector) {
        synchronized (lock) {
            for (int pin = 0; pin < PINS; pin++) {
                long entry = redirection[pin];
                if ((entry & RTE_REMOTE_IRR) != 0 && (entry & 0xFF) == vector) {
                    redirection[pin] = entry & ~RTE_REMOTE_IRR;
                    if ((pinLevels & (1 << pin)) != 0) {
                        serviceLocked(pin, false);
                    }
                }
            }
        }
    }

    /**
     * Reads {@code size} bytes at {@code offset} of the window: bytes of IOREGSEL or IOWIN as their
     * 32-bit value holds them; everything else reads as zero.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access outside the window
     */
    public long mmioRead(int offset, int size) {
        checkAccess(offset, size);
        synchronized (lock) {
            long result = 0;
            for (int i = 0; i < size; i++) {
                int at = offset + i;
                int byteInRegister = at & 0xF;
                if (byteInRegister >= 4) {
                    continue;
                }
                long register = switch (at & ~0xF) {
                    case REG_SELECT -> registerSelect;
                    case REG_WINDOW -> readRegisterLocked(registerSelect) & 0xFFFF_FFFFL;
                    default -> 0;
                };
                result |= ((register >>> (byteInRegister * 8)) & 0xFF) << (i * 8);
            }
            return result;
        }
    }

    /**
     * Writes the window. IOREGSEL takes its low byte; a narrower write to IOWIN is merged into the
     * selected register's current value; the EOI register takes a vector in its low byte.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access outside the window
     */
    public void mmioWrite(int offset, int size, long value) {
        checkAccess(offset, size);
        int slot = offset & ~0xF;
        int shift = (offset & 0xF) * 8;
        if ((offset & 0xF) >= 4) {
            return; // beyond the 32-bit register of this slot
        }
        int bytes = Math.min(size, 4 - (offset & 0xF));
        long mask = ((1L << (bytes * 8)) - 1) << shift;
        long shifted = (value << shift) & mask;
        synchronized (lock) {
            switch (slot) {
                case REG_SELECT -> registerSelect = (int) (((registerSelect & ~mask) | shifted) & 0xFF);
                case REG_WINDOW -> {
                    long current = readRegisterLocked(registerSelect) & 0xFFFF_FFFFL;
                    writeRegisterLocked(registerSelect, (int) ((current & ~mask) | shifted));
                }
                case REG_EOI -> {
                    if (shift == 0) {
                        endOfInterrupt((int) value & 0xFF); // the monitor is reentrant
                    }
                }
                default -> {
                    // Not a register: ignored.
                }
            }
        }
    }

    private int readRegisterLocked(int index) {
        if (index >= 0x10 && index < 0x10 + 2 * PINS) {
            long entry = redirection[(index - 0x10) >>> 1];
            return (index & 1) == 0 ? (int) entry : (int) (entry >>> 32);
        }
        return switch (index) {
            case 0x00 -> id << 24;
            case 0x01 -> VERSION;
            case 0x02 -> id << 24; // arbitration ID follows the ID
            default -> 0;
        };
    }

    private void writeRegisterLocked(int index, int value) {
        if (index == 0x00) {
            id = (value >>> 24) & 0xF;
            return;
        }
        if (index < 0x10 || index >= 0x10 + 2 * PINS) {
            return; // version, arbitration ID and unimplemented indexes are read-only
        }
        int pin = (index - 0x10) >>> 1;
        long entry = redirection[pin];
        if ((index & 1) == 1) {
            entry = (entry & 0x00FF_FFFF_FFFF_FFFFL) | ((long) (value & 0xFF00_0000) << 32);
            redirection[pin] = entry;
            return;
        }
        entry = (entry & ~RTE_WRITABLE_LOW) | (value & RTE_WRITABLE_LOW);
        if ((entry & RTE_LEVEL) == 0) {
            // Switching to edge clears remote IRR: Linux's EOI for version < 0x20 IOAPICs relies on it.
            entry &= ~RTE_REMOTE_IRR;
        }
        redirection[pin] = entry;
        if ((pinLevels & (1 << pin)) != 0 && (entry & RTE_LEVEL) != 0) {
            // A level still asserted when the entry is unmasked (or its remote IRR cleared) is sent now.
            serviceLocked(pin, false);
        }
    }

    private static void checkPin(int pin) {
        if (pin < 0 || pin >= PINS) {
            throw new IllegalArgumentException("IOAPIC pin must be 0.." + (PINS - 1) + ", got " + pin);
        }
    }

    private static void checkAccess(int offset, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("IOAPIC access size must be 1, 2, 4 or 8, got " + size);
        }
        if (offset < 0 || offset + size > WINDOW_SIZE) {
            throw new IllegalArgumentException(
                    String.format("IOAPIC access of %d bytes at offset %#x is outside the window", size, offset));
        }
    }
}
