package dev.jvisor.irqchip;

/**
 * The PC's cascaded pair of 8259A interrupt controllers: the master at ports 0x20/0x21 with the
 * slave's INT on its IR2, the slave at 0xA0/0xA1 (ISA IRQs 8-15), and the chipset's edge/level
 * control registers (ELCR) at 0x4D0/0x4D1.
 *
 * <p>The master's INT output drives every local APIC's LINT0 and IOAPIC pin 0 (MP spec 1.4 virtual
 * wire modes). A vCPU fetches the vector through {@link #acknowledge()}, the INTA cycle.
 *
 * <p>Power-on state is what PC firmware leaves behind: master vectors 0x08, slave 0x70, cascade on
 * IR2, every line but the cascade masked; guests re-initialize the pair anyway.
 *
 * <p>Thread-safe: one lock for the pair. The output listener is called with it held (lock order:
 * PIC before IOAPIC before local APIC).
 */
public final class Pic8259 {
    /** Receives the master's INT output. */
    interface OutputListener {
        /** INT changed to {@code level}. */
        void intrChanged(boolean level);

        /**
         * An INTA cycle left INT high because more requests wait: an edge-sensitive consumer (IOAPIC
         * pin 0 in ExtINT mode) must ask again.
         */
        void intrStillAsserted();
    }

    private final Object lock = new Object();
    private final Pic8259Chip master = new Pic8259Chip(true);
    private final Pic8259Chip slave = new Pic8259Chip(false);
    private final OutputListener listener;
    /** The master's INT output as last published. */
    private boolean intr;

    Pic8259(OutputListener listener) {
        this.listener = listener;
        synchronized (lock) {
            master.initialize(0x08, 1 << 2, 0xFB);
            slave.initialize(0x70, 2, 0xFF);
        }
    }

    /** True if {@code port} belongs to the pair or the ELCR. */
    static boolean handles(int port) {
        return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1 || port == 0x4D0 || port == 0x4D1;
    }

    /** Drives ISA IRQ {@code irq} (0-15 except 2, which is the cascade). */
    void setIrq(int irq, boolean level) {
        if (irq < 0 || irq > 15 || irq == 2) {
            throw new IllegalArgumentException("ISA IRQ must be 0..15 and not the cascade IRQ 2, got " + irq);
        }
        synchronized (lock) {
            if (irq < 8) {
                master.setInput(irq, level);
            } else {
                slave.setInput(irq - 8, level);
            }
            updateLocked();
        }
    }

    /**
     * The INTA cycle: the master picks its best request; for IR2 with a slave behind it the slave
     * supplies the vector. A request that vanished yields the chip's IR7 vector (a spurious IRQ 7 or
     * 15) without setting that chip's ISR, as on the 8259A.
     */
    public int acknowledge() {
        synchronized (lock) {
            int vector;
            int irq = master.pendingIrq();
            if (irq < 0) {
                vector = master.spuriousVector();
            } else {
                master.acknowledge(irq);
                if (irq == 2 && master.cascadesOnIr2()) {
                    int slaveIrq = slave.pendingIrq();
                    if (slaveIrq < 0) {
                        vector = slave.spuriousVector(); // the slave's request vanished: IRQ 15
                    } else {
                        slave.acknowledge(slaveIrq);
                        vector = slave.vectorFor(slaveIrq);
                    }
                    if (slave.output()) {
                        // The slave's INT stayed high (auto-EOI, or a better request waits): the
                        // master's edge-triggered IR2 would miss it, so it is requested again.
                        master.latchRequest(2);
                    }
                } else {
                    vector = master.vectorFor(irq);
                }
            }
            boolean before = intr;
            updateLocked();
            if (before && intr) {
                listener.intrStillAsserted();
            }
            return vector;
        }
    }

    /** The master's INT output. */
    public boolean intr() {
        synchronized (lock) {
            return intr;
        }
    }

    /** Reads one byte from one of the pair's ports. */
    int read(int port) {
        synchronized (lock) {
            int value = switch (port) {
                case 0x20 -> master.readCommand();
                case 0x21 -> master.readData();
                case 0xA0 -> slave.readCommand();
                case 0xA1 -> slave.readData();
                case 0x4D0 -> master.readElcr();
                case 0x4D1 -> slave.readElcr();
                default -> 0xFF;
            };
            updateLocked(); // a poll read acknowledges like INTA
            return value & 0xFF;
        }
    }

    /** Writes one byte to one of the pair's ports. */
    void write(int port, int value) {
        int data = value & 0xFF;
        synchronized (lock) {
            switch (port) {
                case 0x20 -> master.writeCommand(data);
                case 0x21 -> master.writeData(data);
                case 0xA0 -> slave.writeCommand(data);
                case 0xA1 -> slave.writeData(data);
                case 0x4D0 -> master.writeElcr(data);
                case 0x4D1 -> slave.writeElcr(data);
                default -> {
                    // not ours
                }
            }
            updateLocked();
        }
    }

    /**
     * Feeds the slave's INT into the master's IR2, an edge-triggered input like any other (so a
     * slave request withdrawn after the master latched it ends as a spurious IRQ 15), and publishes
     * the master's INT if it changed.
     */
    private void updateLocked() {
        master.setInput(2, slave.output());
        boolean output = master.output();
        if (output != intr) {
            intr = output;
            listener.intrChanged(output);
        }
    }
}
