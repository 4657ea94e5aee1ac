package dev.jvisor.irqchip;

/**
 * One Intel 8259A programmable interrupt controller (8259A datasheet): the initialization command
 * words ICW1-ICW4, operation command words OCW1-OCW3, the IRR/ISR/IMR registers, fully nested and
 * rotating priorities, automatic EOI, special mask and special fully nested modes, poll command and
 * edge- or level-sensitive inputs (the latter per ICW1.LTIM or the chipset's ELCR).
 *
 * <p>Not thread-safe: {@link Pic8259} guards the master/slave pair with one lock.
 */
final class Pic8259Chip {
    private final boolean master;
    /** ELCR bits that can be set (IRQ 0, 1, 2, 8 and 13 are always edge-triggered on PC chipsets). */
    private final int elcrWritable;

    int irr;
    int isr;
    int imr;
    /** Current input level of each IR pin. */
    int inputs;
    int elcr;
    /** The IR line with the highest priority (0 after initialization; moved by rotation). */
    int highestPriority;
    int vectorBase;
    int icw3;
    /** Which initialization word the data port expects next: 2, 3, 4, or 0 when initialized. */
    int initStep;
    boolean icw4Needed;
    boolean single;
    boolean levelTriggered;
    boolean autoEoi;
    boolean rotateOnAutoEoi;
    boolean specialFullyNested;
    boolean specialMask;
    boolean readIsr;
    boolean pollPending;

    Pic8259Chip(boolean master) {
        this.master = master;
        this.elcrWritable = master ? 0xF8 : 0xDE;
    }

    /** The post-firmware state: initialized with the given vector base and cascade, all masked. */
    void initialize(int base, int cascade, int mask) {
        writeCommand(0x11);
        writeData(base);
        writeData(cascade);
        writeData(0x01);
        writeData(mask);
    }

    boolean isLevelTriggered(int irq) {
        return levelTriggered || (elcr & (1 << irq)) != 0;
    }

    /** Drives input {@code irq}: edge mode latches rising edges, level mode follows the level. */
    void setInput(int irq, boolean level) {
        int bit = 1 << irq;
        boolean was = (inputs & bit) != 0;
        if (level) {
            inputs |= bit;
            if (!was || isLevelTriggered(irq)) {
                irr |= bit;
            }
        } else {
            inputs &= ~bit;
            if (isLevelTriggered(irq)) {
                irr &= ~bit;
            }
        }
    }

    /** Sets the request bit of {@code irq} whatever its input did (the cascade re-request). */
    void latchRequest(int irq) {
        irr |= 1 << irq;
    }

    int readElcr() {
        return elcr;
    }

    void writeElcr(int value) {
        elcr = value & elcrWritable;
        for (int irq = 0; irq < 8; irq++) {
            int bit = 1 << irq;
            if (isLevelTriggered(irq)) {
                irr = (irr & ~bit) | (inputs & bit);
            }
        }
    }

    private int priorityOf(int irq) {
        return (irq - highestPriority) & 7;
    }

    /** The IR line of {@code bits} with the best priority, or -1. */
    private int best(int bits) {
        if (bits == 0) {
            return -1;
        }
        for (int step = 0; step < 8; step++) {
            int irq = (highestPriority + step) & 7;
            if ((bits & (1 << irq)) != 0) {
                return irq;
            }
        }
        return -1;
    }

    /**
     * The request the chip would present on INT: the best unmasked IRR line that has a higher
     * priority than everything in service. In special mask mode, masked in-service levels do not
     * block; in special fully nested mode the master lets its cascade line nest.
     */
    int pendingIrq() {
        int request = best(irr & ~imr);
        if (request < 0) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr;
        }
        if (master && specialFullyNested) {
            inService &= ~(1 << 2);
        }
        int current = best(inService);
        if (current >= 0 && priorityOf(request) >= priorityOf(current)) {
            return -1;
        }
        return request;
    }

    /** The INT output. */
    boolean output() {
        return pendingIrq() >= 0;
    }

    /** The part of the INTA sequence that concerns this chip, for a line {@link #pendingIrq()} chose. */
    void acknowledge(int irq) {
        int bit = 1 << irq;
        if (!isLevelTriggered(irq)) {
            irr &= ~bit;
        }
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                highestPriority = (irq + 1) & 7;
            }
        } else {
            isr |= bit;
        }
    }

    int vectorFor(int irq) {
        return vectorBase | irq;
    }

    /** What INTA returns when the request vanished before the cycle: the IR7 vector, ISR untouched. */
    int spuriousVector() {
        return vectorBase | 7;
    }

    /** True if IR2 of this (master) chip has a slave behind it. */
    boolean cascadesOnIr2() {
        return master && !single && (icw3 & (1 << 2)) != 0;
    }

    /** A read of the command port (A0 = 0): the poll word, or IRR or ISR as OCW3 selected. */
    int readCommand() {
        if (pollPending) {
            return poll();
        }
        return readIsr ? isr : irr;
    }

    /** A read of the data port (A0 = 1): IMR, or the poll word right after a poll command. */
    int readData() {
        if (pollPending) {
            return poll();
        }
        return imr;
    }

    /** Poll command (datasheet "The Poll Command"): acknowledges like INTA, returns 1000 0www. */
    private int poll() {
        pollPending = false;
        int irq = pendingIrq();
        if (irq < 0) {
            return 0;
        }
        acknowledge(irq);
        return 0x80 | irq;
    }

    void writeCommand(int value) {
        if ((value & 0x10) != 0) {
            initializationCommandWord1(value);
        } else if ((value & 0x08) != 0) {
            operationCommandWord3(value);
        } else {
            operationCommandWord2(value);
        }
    }

    void writeData(int value) {
        switch (initStep) {
            case 2 -> {
                vectorBase = value & 0xF8; // ICW2: T7-T3 in 8086 mode
                initStep = single ? (icw4Needed ? 4 : 0) : 3;
            }
            case 3 -> {
                icw3 = value;
                initStep = icw4Needed ? 4 : 0;
            }
            case 4 -> {
                autoEoi = (value & 0x02) != 0;
                specialFullyNested = (value & 0x10) != 0;
                initStep = 0;
            }
            default -> imr = value; // OCW1
        }
    }

    /**
     * ICW1 starts initialization: edge detection restarts (only requests on level-sensitive lines
     * survive), IMR and ISR clear, IR0 gets the highest priority, special mask mode ends, reads
     * select IRR, and ICW4's functions reset (datasheet "Initialization Command Words").
     */
    private void initializationCommandWord1(int value) {
        icw4Needed = (value & 0x01) != 0;
        single = (value & 0x02) != 0;
        levelTriggered = (value & 0x08) != 0;
        int levelLines = 0;
        for (int irq = 0; irq < 8; irq++) {
            if (isLevelTriggered(irq)) {
                levelLines |= 1 << irq;
            }
        }
        irr = inputs & levelLines;
        imr = 0;
        isr = 0;
        highestPriority = 0;
        specialMask = false;
        readIsr = false;
        pollPending = false;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialFullyNested = false;
        icw3 = 0;
        initStep = 2;
    }

    /** OCW2: EOIs, rotation and priority commands (R, SL, EOI bits 7:5; level in 2:0). */
    private void operationCommandWord2(int value) {
        int level = value & 7;
        switch ((value >>> 5) & 7) {
            case 0 -> rotateOnAutoEoi = false;
            case 4 -> rotateOnAutoEoi = true;
            case 1 -> nonSpecificEoi(false);
            case 5 -> nonSpecificEoi(true);
            case 3 -> isr &= ~(1 << level);
            case 7 -> {
                isr &= ~(1 << level);
                highestPriority = (level + 1) & 7;
            }
            case 6 -> highestPriority = (level + 1) & 7; // set priority: `level` becomes lowest
            default -> {
                // 010: no operation
            }
        }
    }

    /** Retires the best in-service level; in special mask mode masked levels are left alone. */
    private void nonSpecificEoi(boolean rotate) {
        int irq = best(specialMask ? isr & ~imr : isr);
        if (irq < 0) {
            return;
        }
        isr &= ~(1 << irq);
        if (rotate) {
            highestPriority = (irq + 1) & 7;
        }
    }

    /** OCW3: special mask mode (ESMM/SMM), poll, and which register the command port reads. */
    private void operationCommandWord3(int value) {
        if ((value & 0x04) != 0) {
            pollPending = true;
        }
        if ((value & 0x02) != 0) {
            readIsr = (value & 0x01) != 0;
        }
        if ((value & 0x40) != 0) {
            specialMask = (value & 0x20) != 0;
        }
    }
}
