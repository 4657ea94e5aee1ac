package dev.jvisor.devices.serial;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.hypervisor.InterruptLines;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A National Semiconductor PC16550D-compatible UART ("16550A"), eight byte-wide registers at
 * offsets 0-7 (COM1 is at port 0x3F8, IRQ 4).
 *
 * <p>Transmission is instantaneous: a byte written to THR goes straight to the output stream, so THR
 * and the transmitter are always empty again by the time the guest looks (LSR.THRE and LSR.TEMT
 * read 1). Reception goes through a 16-byte receiver FIFO (one holding byte with the FIFOs off),
 * fed from a bounded host-side buffer filled by {@link #enqueueInput}/{@link #offerInput}; host
 * input waits in that buffer instead of overrunning the guest, and the producer blocks when it is
 * full. The character-timeout condition is taken as already met whenever fewer bytes than the
 * trigger level wait in the FIFO, since no real line time passes between host characters.
 *
 * <p>Interrupts follow the datasheet's IIR priority (receiver line status, then received data or
 * character timeout, then THR empty, then modem status). As on a PC, the IRQ line is driven only
 * while MCR.OUT2 is set and loopback is off (Linux sets OUT2: "Most PC uarts need OUT2 raised to
 * enable interrupts"); it is driven as a level computed from the device state after every change.
 *
 * <p>Thread-safe: vCPU threads access the registers, a console thread supplies input. The output
 * stream is written and flushed once per byte with the device lock held; {@link InterruptLines} is
 * called with the lock held and must not call back into this device.
 */
public final class Uart16550 implements BusDevice {
    /** Number of registers (and ports) the device occupies. */
    public static final int REGISTER_COUNT = 8;
    /** Default capacity of the host input buffer, in bytes. */
    public static final int DEFAULT_INPUT_CAPACITY = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(Uart16550.class);

    // Register offsets (PC16550D datasheet, table "Register Summary"). DLAB=1 remaps 0 and 1.
    private static final int RBR_THR = 0;
    private static final int IER = 1;
    private static final int IIR_FCR = 2;
    private static final int LCR = 3;
    private static final int MCR = 4;
    private static final int LSR = 5;
    private static final int MSR = 6;
    private static final int SCR = 7;

    // IER bits; bits 4-7 are always 0 on a 16550A (the Linux probe checks that they do not stick).
    static final int IER_RX_DATA = 0x01;
    static final int IER_THR_EMPTY = 0x02;
    static final int IER_LINE_STATUS = 0x04;
    static final int IER_MODEM_STATUS = 0x08;
    private static final int IER_MASK = 0x0F;

    // IIR interrupt identification values (bits 3:1 plus the "no interrupt" bit 0).
    static final int IIR_NONE = 0x01;
    static final int IIR_LINE_STATUS = 0x06;
    static final int IIR_RX_DATA = 0x04;
    static final int IIR_RX_TIMEOUT = 0x0C;
    static final int IIR_THR_EMPTY = 0x02;
    static final int IIR_MODEM_STATUS = 0x00;
    static final int IIR_FIFOS_ENABLED = 0xC0;

    // FCR bits.
    private static final int FCR_FIFO_ENABLE = 0x01;
    private static final int FCR_CLEAR_RX = 0x02;
    private static final int FCR_STORED = 0xC9; // enable, DMA mode select, trigger level

    static final int LCR_DLAB = 0x80;

    // MCR bits.
    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;
    private static final int MCR_MASK = 0x1F;

    // LSR bits.
    static final int LSR_DATA_READY = 0x01;
    static final int LSR_OVERRUN = 0x02;
    static final int LSR_THR_EMPTY = 0x20;
    static final int LSR_TRANSMITTER_EMPTY = 0x40;

    // MSR bits: deltas in the low nibble, line states in the high nibble.
    static final int MSR_DCTS = 0x01;
    static final int MSR_DDSR = 0x02;
    static final int MSR_TERI = 0x04;
    static final int MSR_DDCD = 0x08;
    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;
    /** Outside loopback the host end looks like a connected, ready modem: CTS, DSR and DCD on. */
    private static final int HOST_MODEM_LINES = MSR_CTS | MSR_DSR | MSR_DCD;

    private static final int FIFO_SIZE = 16;

    private final OutputStream output;
    private final InterruptLines interrupts;
    private final int gsi;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition inputSpace = lock.newCondition();
    private final ByteRing rxFifo = new ByteRing(FIFO_SIZE);
    private final ByteRing hostInput;

    private int ier;
    private int lcr;
    private int mcr;
    private int fcr;
    private int scr;
    private int divisorLow = 0x0C; // 9600 baud from the PC's 1.8432 MHz clock, a common power-on value
    private int divisorHigh;
    private int lineErrors;
    private int msrDeltas;
    private int modemLines = HOST_MODEM_LINES;
    private boolean thrEmptyPending;
    private boolean lineHigh;
    private long outputErrors;

    /**
     * @param output     receives every transmitted byte (written and flushed one byte at a time)
     * @param interrupts where the IRQ line goes
     * @param gsi        the line's GSI (4 for COM1, 3 for COM2)
     */
    public Uart16550(OutputStream output, InterruptLines interrupts, int gsi) {
        this(output, interrupts, gsi, DEFAULT_INPUT_CAPACITY);
    }

    /** As {@link #Uart16550(OutputStream, InterruptLines, int)} with a host input buffer of {@code inputCapacity} bytes. */
    public Uart16550(OutputStream output, InterruptLines interrupts, int gsi, int inputCapacity) {
        this.output = Objects.requireNonNull(output, "output");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        if (gsi < 0) {
            throw new IllegalArgumentException("GSI must not be negative, got " + gsi);
        }
        this.gsi = gsi;
        this.hostInput = new ByteRing(inputCapacity);
    }

    @Override
    public int accessSizes() {
        return AccessSizes.BYTE;
    }

    @Override
    public long read(long offset, int size) {
        lock.lock();
        try {
            return switch ((int) offset) {
                case RBR_THR -> (lcr & LCR_DLAB) != 0 ? divisorLow : readReceiveBuffer();
                case IER -> (lcr & LCR_DLAB) != 0 ? divisorHigh : ier;
                case IIR_FCR -> readInterruptIdentification();
                case LCR -> lcr;
                case MCR -> mcr;
                case LSR -> readLineStatus();
                case MSR -> readModemStatus();
                case SCR -> scr;
                default -> 0xFF;
            };
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        lock.lock();
        try {
            switch ((int) offset) {
                case RBR_THR -> {
                    if ((lcr & LCR_DLAB) != 0) {
                        divisorLow = v;
                    } else {
                        transmit(v);
                    }
                }
                case IER -> {
                    if ((lcr & LCR_DLAB) != 0) {
                        divisorHigh = v;
                    } else {
                        writeInterruptEnable(v);
                    }
                }
                case IIR_FCR -> writeFifoControl(v);
                case LCR -> lcr = v;
                case MCR -> writeModemControl(v);
                case SCR -> scr = v;
                default -> {
                    // LSR and MSR writes are factory-test features of the real part; ignored here.
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues as much of {@code data[offset, offset+length)} as the host input buffer has room for
     * and returns how many bytes it took. Never blocks.
     */
    public int offerInput(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        lock.lock();
        try {
            int accepted = hostInput.put(data, offset, length);
            if (accepted > 0) {
                fillReceiveFifo();
                updateInterrupt();
            }
            return accepted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues all of {@code data} for the guest, waiting while the host input buffer is full (the
     * guest reads slower than the host types). Interruptible; bytes queued before an interrupt stay
     * queued.
     */
    public void enqueueInput(byte[] data) throws InterruptedException {
        Objects.requireNonNull(data, "data");
        int done = 0;
        lock.lockInterruptibly();
        try {
            while (true) {
                done += hostInput.put(data, done, data.length - done);
                fillReceiveFifo();
                updateInterrupt();
                if (done == data.length) {
                    return;
                }
                if (hostInput.isFull()) {
                    inputSpace.await();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Bytes of host input not yet read by the guest (host buffer plus receiver FIFO). */
    public int pendingInput() {
        lock.lock();
        try {
            return hostInput.size() + rxFifo.size();
        } finally {
            lock.unlock();
        }
    }

    /** How many transmitted bytes were lost because the output stream threw. */
    public long outputErrors() {
        lock.lock();
        try {
            return outputErrors;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the IRQ line is currently driven high. */
    public boolean interruptLineHigh() {
        lock.lock();
        try {
            return lineHigh;
        } finally {
            lock.unlock();
        }
    }

    private int readReceiveBuffer() {
        if (rxFifo.isEmpty()) {
            return 0;
        }
        int b = rxFifo.take();
        fillReceiveFifo();
        updateInterrupt();
        return b;
    }

    private int readInterruptIdentification() {
        int id = pendingInterrupt();
        int value = id | (fifosEnabled() ? IIR_FIFOS_ENABLED : 0);
        // Datasheet: the THRE interrupt is cleared by reading IIR when THRE is the source reported.
        if (id == IIR_THR_EMPTY) {
            thrEmptyPending = false;
            updateInterrupt();
        }
        return value;
    }

    private int readLineStatus() {
        int value = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | lineErrors;
        if (!rxFifo.isEmpty()) {
            value |= LSR_DATA_READY;
        }
        // Error bits (only overrun can happen here) clear on read, and so does their interrupt.
        if (lineErrors != 0) {
            lineErrors = 0;
            updateInterrupt();
        }
        return value;
    }

    private int readModemStatus() {
        int value = modemLines | msrDeltas;
        if (msrDeltas != 0) {
            msrDeltas = 0;
            updateInterrupt();
        }
        return value;
    }

    private void transmit(int b) {
        // Loading THR clears THRE and its interrupt; the byte then leaves at once, THR is empty
        // again and the THRE interrupt is re-raised, as at the end of a real transmission.
        thrEmptyPending = false;
        updateInterrupt();
        if ((mcr & MCR_LOOP) != 0) {
            // Loopback: the transmitter feeds the receiver; a full FIFO means an overrun.
            if (!rxFifo.put(b)) {
                lineErrors |= LSR_OVERRUN;
            }
        } else {
            emit(b);
        }
        thrEmptyPending = true;
        updateInterrupt();
    }

    private void writeInterruptEnable(int v) {
        int old = ier;
        ier = v & IER_MASK;
        // Enabling ETBEI while THR is empty (always, here) raises THRE; disabling it drops it. The
        // Linux 8250 driver relies on this to tell a working 16550 from one with the THRE bug.
        if (((old ^ ier) & IER_THR_EMPTY) != 0) {
            thrEmptyPending = (ier & IER_THR_EMPTY) != 0;
        }
        updateInterrupt();
    }

    private void writeFifoControl(int v) {
        boolean enable = (v & FCR_FIFO_ENABLE) != 0;
        // Changing FCR0 clears both FIFOs; FCR1 clears the receiver FIFO (the transmitter FIFO is
        // always empty here). The other FCR bits are only programmed while FCR0 is set.
        if (enable != fifosEnabled() || (v & FCR_CLEAR_RX) != 0) {
            rxFifo.clear();
        }
        fcr = enable ? v & FCR_STORED : 0;
        fillReceiveFifo();
        updateInterrupt();
    }

    private void writeModemControl(int v) {
        mcr = v & MCR_MASK;
        int lines = (mcr & MCR_LOOP) != 0 ? loopbackModemLines() : HOST_MODEM_LINES;
        int changed = lines ^ modemLines;
        if ((changed & MSR_CTS) != 0) {
            msrDeltas |= MSR_DCTS;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDeltas |= MSR_DDSR;
        }
        if ((changed & MSR_RI) != 0 && (lines & MSR_RI) == 0) {
            msrDeltas |= MSR_TERI; // trailing edge of RI only
        }
        if ((changed & MSR_DCD) != 0) {
            msrDeltas |= MSR_DDCD;
        }
        modemLines = lines;
        fillReceiveFifo();
        updateInterrupt();
    }

    /** Loopback wires the modem outputs to the inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD. */
    private int loopbackModemLines() {
        int lines = 0;
        if ((mcr & MCR_RTS) != 0) {
            lines |= MSR_CTS;
        }
        if ((mcr & MCR_DTR) != 0) {
            lines |= MSR_DSR;
        }
        if ((mcr & MCR_OUT1) != 0) {
            lines |= MSR_RI;
        }
        if ((mcr & MCR_OUT2) != 0) {
            lines |= MSR_DCD;
        }
        return lines;
    }

    private boolean fifosEnabled() {
        return (fcr & FCR_FIFO_ENABLE) != 0;
    }

    private int triggerLevel() {
        return switch (fcr >>> 6) {
            case 0 -> 1;
            case 1 -> 4;
            case 2 -> 8;
            default -> 14;
        };
    }

    /** Moves host input into the receiver while it has room; the serial input is cut off in loopback. */
    private void fillReceiveFifo() {
        if ((mcr & MCR_LOOP) != 0) {
            return;
        }
        int room = fifosEnabled() ? FIFO_SIZE : 1;
        boolean moved = false;
        while (rxFifo.size() < room && !hostInput.isEmpty()) {
            rxFifo.put(hostInput.take());
            moved = true;
        }
        if (moved) {
            inputSpace.signalAll();
        }
    }

    /** The highest-priority enabled pending interrupt, as an IIR identification value. */
    private int pendingInterrupt() {
        if ((ier & IER_LINE_STATUS) != 0 && lineErrors != 0) {
            return IIR_LINE_STATUS;
        }
        if ((ier & IER_RX_DATA) != 0 && !rxFifo.isEmpty()) {
            return !fifosEnabled() || rxFifo.size() >= triggerLevel() ? IIR_RX_DATA : IIR_RX_TIMEOUT;
        }
        if ((ier & IER_THR_EMPTY) != 0 && thrEmptyPending) {
            return IIR_THR_EMPTY;
        }
        if ((ier & IER_MODEM_STATUS) != 0 && msrDeltas != 0) {
            return IIR_MODEM_STATUS;
        }
        return IIR_NONE;
    }

    private void updateInterrupt() {
        boolean high = pendingInterrupt() != IIR_NONE && (mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
        if (high != lineHigh) {
            lineHigh = high;
            interrupts.setLevel(gsi, high);
        }
    }

    private void emit(int b) {
        try {
            output.write(b);
            output.flush();
        } catch (IOException | RuntimeException e) {
            // The console going away must not take the guest down: the byte is lost and counted.
            if (outputErrors++ == 0) {
                LOG.warn("UART output failed; dropping output from now on while it keeps failing", e);
            }
        }
    }
}
