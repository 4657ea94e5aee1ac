package dev.jvisor.irqchip;

/**
 * The register file and interrupt-acceptance rules of one local APIC (Intel SDM Vol. 3A chapter
 * 10), without threads or wiring: {@link LocalApic} wraps it in a lock and does what it asks for
 * through {@link #eoiBroadcast} and {@link #ipiRequested} once the lock is released.
 *
 * <p>Plain fields, so a snapshot can copy them.
 */
final class ApicState {
    static final long BASE_BSP = 1L << 8;
    static final long BASE_ENABLE = 1L << 11;

    static final int SVR_ENABLE = 1 << 8;
    static final int LVT_MASKED = 1 << 16;
    static final int LVT_LEVEL = 1 << 15;
    static final int LVT_REMOTE_IRR = 1 << 14;
    static final int LVT_TIMER = 0;
    static final int LVT_LINT0 = 3;
    static final int LVT_LINT1 = 4;
    static final int LVT_ERROR = 5;
    /** Writable bits per LVT entry (SDM Figure 10-8); LINT entries keep their remote-IRR flag. */
    private static final int[] LVT_WRITABLE = {0x700FF, 0x107FF, 0x107FF, 0x1A7FF, 0x1A7FF, 0x100FF};

    static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
    static final int ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
    static final int ESR_ILLEGAL_REGISTER = 1 << 7;

    /** Version register: integrated APIC 0x14, six LVT entries (max LVT index 5). */
    static final int VERSION = 0x0005_0014;

    int id;
    long apicBase;
    int tpr;
    int ldr;
    int dfr;
    int svr;
    int esr;
    int esrPending;
    int icrLow;
    int icrHigh;
    final int[] lvt = new int[6];
    final VectorSet irr = new VectorSet();
    final VectorSet isr = new VectorSet();
    final VectorSet tmr = new VectorSet();
    final ApicTimer timer;
    /** Input levels of the LINT0/LINT1 pins (LINT0 carries the 8259's INTR). */
    boolean lint0;
    boolean lint1;
    /** An ExtINT message (IOAPIC or MSI) awaits its INTA cycle to the 8259. */
    boolean extIntMessage;
    boolean nmiLatched;
    boolean initLatched;
    boolean waitingForStartup;
    int startupVector = -1;

    /** Set by an EOI of a level-triggered vector: the vector to broadcast to the IOAPIC, else -1. */
    int eoiBroadcast = -1;
    /** Set by an ICR write that must send an IPI. */
    boolean ipiRequested;

    ApicState(int id, VirtualClock clock) {
        this.id = id;
        this.timer = new ApicTimer(clock);
        resetRegisters();
    }

    boolean hardwareEnabled() {
        return (apicBase & BASE_ENABLE) != 0;
    }

    boolean softwareEnabled() {
        return (svr & SVR_ENABLE) != 0;
    }

    /** Power-up register values (SDM 10.4.7.1), the APIC ID and IA32_APIC_BASE aside. */
    void resetRegisters() {
        tpr = 0;
        ldr = 0;
        dfr = 0xFFFF_FFFF;
        svr = 0xFF;
        esr = 0;
        esrPending = 0;
        icrLow = 0;
        icrHigh = 0;
        for (int i = 0; i < lvt.length; i++) {
            lvt[i] = LVT_MASKED;
        }
        timer.reset();
    }

    /** Power-up state including the interrupt registers (a globally disabled APIC, or INIT). */
    void resetAll() {
        resetRegisters();
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        extIntMessage = false;
    }

    // ---------------------------------------------------------------- the register page

    int readRegister(int offset, long now) {
        return switch (offset) {
            case 0x020 -> id << 24;
            case 0x030 -> VERSION;
            case 0x080 -> tpr;
            case 0x090 -> arbitrationPriority();
            case 0x0A0 -> processorPriority();
            case 0x0B0, 0x0C0 -> 0; // EOI is write-only; remote read is not supported on xAPIC
            case 0x0D0 -> ldr;
            case 0x0E0 -> dfr | 0x0FFF_FFFF;
            case 0x0F0 -> svr;
            case 0x280 -> esr;
            case 0x300 -> icrLow; // delivery status (bit 12) is always idle: delivery is immediate
            case 0x310 -> icrHigh;
            case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> lvt[(offset - 0x320) >>> 4];
            case 0x380 -> timer.initialCount();
            case 0x390 -> timer.currentCount(now);
            case 0x3E0 -> timer.divideConfig();
            default -> {
                if (offset >= 0x100 && offset < 0x180) {
                    yield isr.register((offset - 0x100) >>> 4);
                } else if (offset >= 0x180 && offset < 0x200) {
                    yield tmr.register((offset - 0x180) >>> 4);
                } else if (offset >= 0x200 && offset < 0x280) {
                    yield irr.register((offset - 0x200) >>> 4);
                }
                raiseError(ESR_ILLEGAL_REGISTER);
                yield 0;
            }
        };
    }

    void writeRegister(int offset, int value, long now) {
        switch (offset) {
            case 0x020 -> id = value >>> 24;
            case 0x080 -> tpr = value & 0xFF;
            case 0x0B0 -> eoiBroadcast = endOfInterrupt();
            case 0x0D0 -> ldr = value & 0xFF00_0000;
            case 0x0E0 -> dfr = value & 0xF000_0000;
            case 0x0F0 -> writeSpuriousVector(value);
            case 0x280 -> {
                // SDM 10.5.3: a write loads the errors collected since the last write.
                esr = esrPending;
                esrPending = 0;
            }
            case 0x300 -> {
                icrLow = value & 0x000C_CFFF;
                ipiRequested = checkIpi();
            }
            case 0x310 -> icrHigh = value & 0xFF00_0000;
            case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> writeLvt((offset - 0x320) >>> 4, value);
            case 0x380 -> {
                timer.writeInitialCount(value, now);
                expireTimer(now);
            }
            case 0x3E0 -> timer.writeDivide(value, now);
            case 0x030, 0x090, 0x0A0, 0x0C0, 0x390 -> {
                // Read-only registers: writes have no effect.
            }
            default -> {
                if (offset < 0x100 || offset >= 0x280) {
                    raiseError(ESR_ILLEGAL_REGISTER); // ISR, TMR and IRR are merely read-only
                }
            }
        }
    }

    private void writeSpuriousVector(int value) {
        svr = value & 0x1FF;
        if (!softwareEnabled()) {
            // SDM 10.4.7.2: software-disabling the APIC masks every LVT entry.
            for (int i = 0; i < lvt.length; i++) {
                lvt[i] |= LVT_MASKED;
            }
        }
    }

    private void writeLvt(int index, int value) {
        int entry = value & LVT_WRITABLE[index];
        if (index == LVT_LINT0 || index == LVT_LINT1) {
            entry |= lvt[index] & LVT_REMOTE_IRR;
            if ((entry & LVT_LEVEL) == 0) {
                entry &= ~LVT_REMOTE_IRR;
            }
        }
        if (!softwareEnabled()) {
            entry |= LVT_MASKED; // masks cannot be cleared while software-disabled
        }
        lvt[index] = entry;
        if (index == LVT_TIMER) {
            timer.setMode((entry >>> 17) & 3);
        } else if (index == LVT_LINT0) {
            localPin(LVT_LINT0, lint0, lint0);
        } else if (index == LVT_LINT1) {
            localPin(LVT_LINT1, lint1, lint1);
        }
    }

    /** Validates the ICR just written; true if an IPI must be sent. */
    private boolean checkIpi() {
        int mode = (icrLow >>> 8) & 7;
        int vector = icrLow & 0xFF;
        if ((mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY) && vector < 16) {
            raiseError(ESR_SEND_ILLEGAL_VECTOR);
            return false;
        }
        // INIT level de-assert (level 0, trigger level) only resynchronises arbitration IDs on old
        // processors (SDM 10.6.1); it resets nobody.
        return !(mode == DeliveryMode.INIT && (icrLow & (1 << 14)) == 0 && (icrLow & (1 << 15)) != 0);
    }

    // ---------------------------------------------------------------- priorities and acceptance

    /** SDM 10.8.3.1: PPR is TPR unless the highest in-service class is higher. */
    int processorPriority() {
        int isrv = Math.max(isr.highest(), 0);
        return (tpr & 0xF0) >= (isrv & 0xF0) ? tpr : isrv & 0xF0;
    }

    /** SDM 10.6.2.4 (P6 family rules): the priority used for lowest-priority arbitration. */
    int arbitrationPriority() {
        int irrv = Math.max(irr.highest(), 0) >>> 4;
        int isrv = Math.max(isr.highest(), 0) >>> 4;
        int tprClass = tpr >>> 4;
        if (tprClass >= irrv && tprClass > isrv) {
            return tpr;
        }
        return Math.max(tprClass, Math.max(isrv, irrv)) << 4;
    }

    /** The highest requested vector if its class beats PPR (SDM 10.8.3.1), else -1. */
    int deliverableVector() {
        int vector = irr.highest();
        return vector >= 0 && (vector & 0xF0) > (processorPriority() & 0xF0) ? vector : -1;
    }

    /** True while an ExtINT cycle is wanted: an ExtINT message, or the 8259's INTR via LINT0. */
    boolean extIntActive() {
        if (extIntMessage) {
            return true;
        }
        if (!lint0) {
            return false;
        }
        if (!hardwareEnabled()) {
            return true; // SDM 10.4.3: with the APIC off, LINT0 is the processor's INTR pin
        }
        int entry = lvt[LVT_LINT0];
        return (entry & LVT_MASKED) == 0 && ((entry >>> 8) & 7) == DeliveryMode.EXTINT;
    }

    /** The {@code LocalApic.EVENT_*} bits of the current state. */
    int events() {
        int events = 0;
        if (extIntActive() || deliverableVector() >= 0) {
            events |= LocalApic.EVENT_INTERRUPT;
        }
        if (nmiLatched) {
            events |= LocalApic.EVENT_NMI;
        }
        if (initLatched) {
            events |= LocalApic.EVENT_INIT;
        }
        if (startupVector >= 0) {
            events |= LocalApic.EVENT_STARTUP;
        }
        return events;
    }

    /** Retires the highest in-service vector; returns it if level-triggered (to broadcast), else -1. */
    private int endOfInterrupt() {
        int vector = isr.highest();
        if (vector < 0) {
            return -1;
        }
        isr.clear(vector);
        // LINT pins in fixed level mode keep a remote IRR until their vector's EOI (SDM 10.5.1).
        for (int index = LVT_LINT0; index <= LVT_LINT1; index++) {
            int entry = lvt[index];
            if ((entry & LVT_REMOTE_IRR) != 0 && (entry & 0xFF) == vector) {
                lvt[index] = entry & ~LVT_REMOTE_IRR;
                boolean level = index == LVT_LINT0 ? lint0 : lint1;
                localPin(index, level, level);
            }
        }
        return tmr.contains(vector) ? vector : -1;
    }

    private void raiseError(int bits) {
        esrPending |= bits;
        int entry = lvt[LVT_ERROR];
        int vector = entry & 0xFF;
        if ((entry & LVT_MASKED) == 0 && vector >= 16) {
            irr.set(vector);
            tmr.clear(vector);
        }
    }

    /** Accepts a fixed interrupt into IRR/TMR (SDM 10.8.4); vectors 0-15 are illegal. */
    boolean acceptFixed(int vector, boolean level) {
        if (vector < 16) {
            raiseError(ESR_RECEIVE_ILLEGAL_VECTOR);
            return false;
        }
        irr.set(vector);
        if (level) {
            tmr.set(vector);
        } else {
            tmr.clear(vector);
        }
        return true;
    }

    /** A message from the IOAPIC, an MSI or an IPI; true if accepted. */
    boolean deliver(int deliveryMode, int vector, boolean levelTriggered) {
        if (!hardwareEnabled()) {
            return false; // a globally disabled APIC takes no messages (SDM 10.4.3)
        }
        switch (deliveryMode) {
            case DeliveryMode.FIXED, DeliveryMode.LOWEST_PRIORITY -> {
                return softwareEnabled() && acceptFixed(vector, levelTriggered);
            }
            case DeliveryMode.NMI -> nmiLatched = true;
            case DeliveryMode.INIT -> receiveInit();
            case DeliveryMode.STARTUP -> {
                // A STARTUP IPI only counts while the processor waits for one (SDM 8.4.4.1).
                if (!waitingForStartup) {
                    return false;
                }
                waitingForStartup = false;
                startupVector = vector & 0xFF;
            }
            case DeliveryMode.EXTINT -> extIntMessage = true;
            default -> {
                return false; // SMI (there is no SMM) and reserved encodings
            }
        }
        return true;
    }

    /** INIT (SDM 10.4.7.3): everything but the APIC ID and IA32_APIC_BASE returns to power-up. */
    private void receiveInit() {
        resetAll();
        nmiLatched = false;
        startupVector = -1;
        initLatched = true;
        waitingForStartup = true;
    }

    /** Acts on a LINT pin per its LVT entry; ExtINT needs nothing here (it follows the level). */
    void localPin(int index, boolean old, boolean level) {
        int entry = lvt[index];
        if ((entry & LVT_MASKED) != 0 || !level) {
            return;
        }
        switch ((entry >>> 8) & 7) {
            case DeliveryMode.FIXED -> {
                // LINT1 is always edge-sensitive (SDM 10.5.1, trigger mode).
                if ((entry & LVT_LEVEL) != 0 && index == LVT_LINT0) {
                    if ((entry & LVT_REMOTE_IRR) == 0 && acceptFixed(entry & 0xFF, true)) {
                        lvt[index] = entry | LVT_REMOTE_IRR;
                    }
                } else if (!old) {
                    acceptFixed(entry & 0xFF, false);
                }
            }
            case DeliveryMode.NMI -> nmiLatched |= !old;
            case DeliveryMode.INIT -> {
                if (!old) {
                    receiveInit();
                }
            }
            default -> {
                // ExtINT follows the pin level in extIntActive(); SMI and reserved: nothing.
            }
        }
    }

    /** Fires the timer if due: the LVT timer vector unless masked. */
    void expireTimer(long now) {
        if (timer.expire(now)) {
            int entry = lvt[LVT_TIMER];
            if ((entry & LVT_MASKED) == 0) {
                acceptFixed(entry & 0xFF, false);
            }
        }
    }

    /** Logical destination match in the flat or cluster model (SDM 10.6.2.2); 0xFF is broadcast. */
    boolean matchesLogical(int destination) {
        if (destination == 0xFF) {
            return true;
        }
        int logicalId = ldr >>> 24;
        if (dfr >>> 28 == 0xF) {
            return (logicalId & destination) != 0;
        }
        return (logicalId >>> 4) == (destination >>> 4) && (logicalId & destination & 0xF) != 0;
    }
}
