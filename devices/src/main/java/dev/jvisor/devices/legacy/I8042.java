package dev.jvisor.devices.legacy;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.PowerControl;
import dev.jvisor.hypervisor.InterruptLines;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Intel 8042-compatible PS/2 controller with nothing plugged into either port: data port 0x60,
 * status/command port 0x64, keyboard interrupt on IRQ 1 and auxiliary (mouse) interrupt on IRQ 12.
 *
 * <p>It exists so that a guest's i8042 driver finds a working controller, finds no devices quickly
 * and cleanly, and can reset the machine through the controller's reset line. The controller itself
 * answers its commands: read/write of the command byte and internal RAM (0x20-0x3F, 0x60-0x7F),
 * self-test (0xAA → 0x55), interface tests (0xAB, 0xA9 → 0x00), port disable/enable (0xAD/0xAE,
 * 0xA7/0xA8), output port read/write (0xD0/0xD1, where clearing bit 0 resets the system), writes to
 * its own output buffer (0xD2, 0xD3: the loopback Linux uses to detect the AUX port and test its
 * IRQ) and pulses of the output port lines (0xF0-0xFF, where pulsing bit 0 (0xFE) resets).
 * Bytes sent to a device (a plain data port write, or 0xD4 then a byte for the AUX port) get what an
 * 8042 reports when the device never answers: 0xFE with the time-out status bit, on the port's IRQ,
 * so the driver's probe fails at once instead of waiting for its own time-outs.
 *
 * <p>Thread-safe; {@link PowerControl#reset()} is called with no lock held.
 */
public final class I8042 {
    /** The data port's usual address. */
    public static final int DATA_PORT = 0x60;
    /** The status/command port's usual address. */
    public static final int COMMAND_PORT = 0x64;

    private static final Logger LOG = LoggerFactory.getLogger(I8042.class);

    // Status register bits.
    static final int STATUS_OUTPUT_FULL = 0x01;
    static final int STATUS_SYSTEM_FLAG = 0x04;
    static final int STATUS_LAST_WAS_COMMAND = 0x08;
    static final int STATUS_NOT_INHIBITED = 0x10;
    static final int STATUS_AUX_DATA = 0x20;
    static final int STATUS_TIMEOUT = 0x40;

    // Command byte (controller RAM byte 0) bits.
    static final int CTR_KBD_INTERRUPT = 0x01;
    static final int CTR_AUX_INTERRUPT = 0x02;
    static final int CTR_SYSTEM_FLAG = 0x04;
    static final int CTR_KBD_DISABLED = 0x10;
    static final int CTR_AUX_DISABLED = 0x20;
    static final int CTR_TRANSLATE = 0x40;
    /**
     * Power-on command byte as a BIOS leaves it: translation on, system flag set (POST passed),
     * keyboard interrupt enabled, AUX port disabled.
     */
    static final int INITIAL_CTR = CTR_TRANSLATE | CTR_AUX_DISABLED | CTR_SYSTEM_FLAG | CTR_KBD_INTERRUPT;

    /** What the 8042 reports when a device does not respond (with the time-out status bit). */
    static final int NO_DEVICE_RESPONSE = 0xFE;

    // Output-buffer entry flags above the data byte.
    private static final int FROM_AUX = 0x100;
    private static final int TIMED_OUT = 0x200;
    private static final int QUEUE_SIZE = 16;

    private final PowerControl power;
    private final InterruptLines interrupts;
    private final int keyboardGsi;
    private final int auxGsi;
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] ram = new byte[32];
    private final int[] queue = new int[QUEUE_SIZE];
    private int queueHead;
    private int queueSize;
    private int lastRead;
    private int pendingCommand;
    private boolean lastWriteWasCommand;
    private int outputPort = 0x03; // reset line inactive (bit 0 high), A20 enabled (bit 1)
    private boolean keyboardLine;
    private boolean auxLine;

    private final BusDevice dataPort = new Port(false);
    private final BusDevice commandPort = new Port(true);

    /**
     * @param power       receives reset requests
     * @param interrupts  where IRQ 1 and IRQ 12 go
     * @param keyboardGsi the keyboard interrupt's GSI (1 on a PC)
     * @param auxGsi      the AUX port interrupt's GSI (12 on a PC)
     */
    public I8042(PowerControl power, InterruptLines interrupts, int keyboardGsi, int auxGsi) {
        this.power = Objects.requireNonNull(power, "power");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        this.keyboardGsi = keyboardGsi;
        this.auxGsi = auxGsi;
        ram[0] = (byte) INITIAL_CTR;
    }

    /** The data port (register at 0x60, length 1). */
    public BusDevice dataPort() {
        return dataPort;
    }

    /** The status (read) / command (write) port (register at 0x64, length 1). */
    public BusDevice commandPort() {
        return commandPort;
    }

    /** The current command byte. */
    public int commandByte() {
        lock.lock();
        try {
            return ram[0] & 0xFF;
        } finally {
            lock.unlock();
        }
    }

    private final class Port implements BusDevice {
        private final boolean command;

        Port(boolean command) {
            this.command = command;
        }

        @Override
        public int accessSizes() {
            return AccessSizes.BYTE;
        }

        @Override
        public long read(long offset, int size) {
            lock.lock();
            try {
                return command ? status() : readData();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            boolean reset;
            lock.lock();
            try {
                reset = command ? writeCommand((int) value & 0xFF) : writeData((int) value & 0xFF);
            } finally {
                lock.unlock();
            }
            if (reset) {
                power.reset();
            }
        }
    }

    private int status() {
        int s = STATUS_NOT_INHIBITED | (ram[0] & CTR_SYSTEM_FLAG);
        if (lastWriteWasCommand) {
            s |= STATUS_LAST_WAS_COMMAND;
        }
        if (queueSize > 0) {
            int head = queue[queueHead];
            s |= STATUS_OUTPUT_FULL;
            if ((head & FROM_AUX) != 0) {
                s |= STATUS_AUX_DATA;
            }
            if ((head & TIMED_OUT) != 0) {
                s |= STATUS_TIMEOUT;
            }
        }
        return s;
    }

    private int readData() {
        if (queueSize > 0) {
            // A real 8042 keeps returning the last byte when the buffer is empty; so does this one.
            lastRead = queue[queueHead] & 0xFF;
            queueHead = (queueHead + 1) % QUEUE_SIZE;
            queueSize--;
            updateLines();
        }
        return lastRead;
    }

    /** Handles a byte written to 0x60; returns whether it requests a system reset. */
    private boolean writeData(int value) {
        lastWriteWasCommand = false;
        int command = pendingCommand;
        pendingCommand = 0;
        if (command >= 0x60 && command <= 0x7F) {
            ram[command & 0x1F] = (byte) value;
            updateLines();
            return false;
        }
        return switch (command) {
            case 0xD1 -> {
                outputPort = value;
                yield (value & 0x01) == 0; // bit 0 drives the (active-low) system reset line
            }
            case 0xD2 -> {
                enqueue(value);
                yield false;
            }
            case 0xD3 -> {
                enqueue(value | FROM_AUX);
                yield false;
            }
            case 0xD4 -> {
                enqueue(NO_DEVICE_RESPONSE | FROM_AUX | TIMED_OUT);
                yield false;
            }
            default -> {
                // A byte for the keyboard, which is absent.
                enqueue(NO_DEVICE_RESPONSE | TIMED_OUT);
                yield false;
            }
        };
    }

    /** Handles a controller command written to 0x64; returns whether it requests a system reset. */
    private boolean writeCommand(int command) {
        lastWriteWasCommand = true;
        pendingCommand = 0;
        if (command >= 0x20 && command <= 0x3F) {
            enqueue(ram[command & 0x1F] & 0xFF);
            return false;
        }
        if (command >= 0x60 && command <= 0x7F) {
            pendingCommand = command;
            return false;
        }
        if (command >= 0xF0) {
            // Pulse output port lines whose bit is 0 in the command's low nibble; bit 0 is reset.
            return (command & 0x01) == 0;
        }
        switch (command) {
            case 0xA7 -> setCtrBits(CTR_AUX_DISABLED, true);
            case 0xA8 -> setCtrBits(CTR_AUX_DISABLED, false);
            case 0xA9, 0xAB -> enqueue(0x00); // interface test: no clock or data line stuck
            case 0xAA -> {
                ram[0] |= CTR_SYSTEM_FLAG;
                enqueue(0x55); // self-test passed
            }
            case 0xAD -> setCtrBits(CTR_KBD_DISABLED, true);
            case 0xAE -> setCtrBits(CTR_KBD_DISABLED, false);
            case 0xD0 -> enqueue(outputPort);
            case 0xD1, 0xD2, 0xD3, 0xD4 -> pendingCommand = command;
            default -> LOG.debug("i8042: ignoring unsupported controller command 0x{}", Integer.toHexString(command));
        }
        return false;
    }

    private void setCtrBits(int bits, boolean set) {
        ram[0] = (byte) (set ? ram[0] | bits : ram[0] & ~bits);
        updateLines();
    }

    private void enqueue(int entry) {
        if (queueSize == QUEUE_SIZE) {
            LOG.debug("i8042: output buffer full, dropping 0x{}", Integer.toHexString(entry & 0xFF));
            return;
        }
        queue[(queueHead + queueSize) % QUEUE_SIZE] = entry;
        queueSize++;
        updateLines();
    }

    /** IRQ 1 / IRQ 12 are high while a byte from that port waits and its interrupt is enabled. */
    private void updateLines() {
        boolean keyboard = false;
        boolean aux = false;
        if (queueSize > 0) {
            boolean fromAux = (queue[queueHead] & FROM_AUX) != 0;
            keyboard = !fromAux && (ram[0] & CTR_KBD_INTERRUPT) != 0;
            aux = fromAux && (ram[0] & CTR_AUX_INTERRUPT) != 0;
        }
        if (keyboard != keyboardLine) {
            keyboardLine = keyboard;
            interrupts.setLevel(keyboardGsi, keyboard);
        }
        if (aux != auxLine) {
            auxLine = aux;
            interrupts.setLevel(auxGsi, aux);
        }
    }
}
