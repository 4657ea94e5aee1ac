package dev.jvisor.irqchip;

/**
 * One vCPU's local APIC in xAPIC mode (Intel SDM Vol. 3A chapter 10): the 4 KiB register page,
 * interrupt acceptance and priority (IRR/ISR/TMR, TPR/PPR/APR), EOI with broadcast to the IOAPIC,
 * the six local vector table entries, the timer (one-shot, periodic, TSC-deadline), inter-processor
 * interrupts, and the INIT/STARTUP handshake that brings up application processors.
 *
 * <h2>Threads</h2>
 * The owning vCPU thread calls everything public. Other threads (device threads through the IOAPIC
 * or MSIs, other vCPUs sending IPIs) only deliver interrupts. All state is guarded by one private
 * lock, and what the CPU polls per instruction is summarised in one volatile field, so
 * {@link #interruptPending()} is a plain volatile read. The lock is never held while calling into
 * another chip, which keeps the lock order PIT, lines, PIC, IOAPIC, local APIC free of cycles.
 *
 * <h2>Bypassed pieces</h2>
 * SMIs are dropped (there is no SMM). x2APIC is not offered: IA32_APIC_BASE rejects its enable bit.
 */
public final class LocalApic {
    /** Default physical base of the register page (IA32_APIC_BASE after reset). */
    public static final long DEFAULT_BASE = 0xFEE0_0000L;
    /** Timer input clock before the divider: 1 GHz, i.e. one tick per guest nanosecond. */
    public static final long TIMER_FREQUENCY_HZ = 1_000_000_000L;
    /** IA32_TSC_DEADLINE. */
    public static final int MSR_TSC_DEADLINE = 0x6E0;
    /** IA32_APIC_BASE. */
    public static final int MSR_APIC_BASE = 0x1B;

    /** {@link #pendingEvents()} bit: a maskable interrupt can be accepted (CPU checks RFLAGS.IF). */
    public static final int EVENT_INTERRUPT = 1;
    /** {@link #pendingEvents()} bit: an NMI is pending. */
    public static final int EVENT_NMI = 2;
    /** {@link #pendingEvents()} bit: an INIT was received. */
    public static final int EVENT_INIT = 4;
    /** {@link #pendingEvents()} bit: a STARTUP IPI arrived while waiting for one. */
    public static final int EVENT_STARTUP = 8;

    static final long BASE_BSP = 1L << 8;
    static final long BASE_X2APIC = 1L << 10;
    static final long BASE_ENABLE = 1L << 11;

    static final int SVR_ENABLE = 1 << 8;
    static final int LVT_MASKED = 1 << 16;
    static final int LVT_LEVEL = 1 << 15;
    static final int LVT_REMOTE_IRR = 1 << 14;
    static final int LVT_TIMER = 0;
    static final int LVT_THERMAL = 1;
    static final int LVT_PERF = 2;
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

    private final int cpu;
    private final boolean bsp;
    private final long reservedBaseBits;
    private final VirtualClock clock;
    private final ApicBus bus;
    private final HaltWaiter waiter;
    private final Object lock = new Object();

    // Register state (guarded by lock). Plain fields so a snapshot can copy them.
    private int id;
    private long apicBase;
    private int tpr;
    private int ldr;
    private int dfr;
    private int svr;
    private int esr;
    private int esrPending;
    private int icrLow;
    private int icrHigh;
    private final int[] lvt = new int[6];
    private final VectorSet irr = new VectorSet();
    private final VectorSet isr = new VectorSet();
    private final VectorSet tmr = new VectorSet();
    private final ApicTimer timer;
    /** Input levels of the LINT0/LINT1 pins (LINT0 carries the 8259's INTR). */
    private boolean lint0;
    private boolean lint1;
    /** An ExtINT message (IOAPIC or MSI) awaits its INTA cycle to the 8259. */
    private boolean extIntMessage;
    private boolean nmiLatched;
    private boolean initLatched;
    private boolean waitingForStartup;
    private int startupVector = -1;

    /** Summary of what the CPU must look at; written under lock, read without it. */
    private volatile int events;
    /** Arbitration priority, published for lowest-priority delivery by other threads. */
    private volatile int arbitrationPriority;

    LocalApic(int cpu, boolean bsp, int physicalAddressBits, VirtualClock clock, ApicBus bus, HaltWaiter waiter) {
        this.cpu = cpu;
        this.bsp = bsp;
        this.reservedBaseBits = 0x6FFL | (physicalAddressBits >= 64 ? 0 : -1L << physicalAddressBits);
        this.clock = clock;
        this.bus = bus;
        this.waiter = waiter;
        this.timer = new ApicTimer(clock);
        this.id = cpu;
        synchronized (lock) {
            apicBase = DEFAULT_BASE | BASE_ENABLE | (bsp ? BASE_BSP : 0);
            resetRegistersLocked();
            if (bsp) {
                // As firmware leaves the boot CPU (MP spec 1.4, 3.6.2.2 virtual wire mode): LINT0
                // passes the 8259's INTR through as ExtINT. KVM and QEMU reset the BSP the same way.
                lvt[LVT_LINT0] = DeliveryMode.EXTINT << 8;
            }
            // Application processors power up waiting for a STARTUP IPI (SDM 8.4.1).
            waitingForStartup = !bsp;
            recomputeLocked();
        }
    }

    /** The vCPU index this APIC belongs to. */
    public int cpu() {
        return cpu;
    }

    /** The current 8-bit xAPIC ID. */
    public int apicId() {
        synchronized (lock) {
            return id;
        }
    }

    // ---------------------------------------------------------------- CPU fast path

    /** All pending event bits ({@code EVENT_*}); one volatile read. */
    public int pendingEvents() {
        return events;
    }

    /**
     * True if a maskable interrupt can be accepted under the priority rules, or the 8259 asks for an
     * ExtINT cycle; the CPU still checks RFLAGS.IF and interrupt shadows itself.
     */
    public boolean interruptPending() {
        return (events & EVENT_INTERRUPT) != 0;
    }

    /** True if an NMI is pending. */
    public boolean nmiPending() {
        return (events & EVENT_NMI) != 0;
    }

    /** True if an INIT arrived and the CPU has not taken it yet. */
    public boolean pendingInit() {
        return (events & EVENT_INIT) != 0;
    }

    /**
     * The interrupt acknowledge cycle: returns the vector the CPU must deliver now, moving it from
     * IRR to ISR, or for an ExtINT runs the 8259's INTA cycle and returns its vector. Returns the
     * spurious vector if the request was withdrawn by a priority change (SDM 10.9) and -1 if nothing
     * is pending.
     */
    public int acknowledge() {
        synchronized (lock) {
            if (!extIntActiveLocked()) {
                int vector = irr.highest();
                if (vector < 0) {
                    return -1;
                }
                if ((vector & 0xF0) <= (processorPriorityLocked() & 0xF0)) {
                    return svr & 0xFF;
                }
                irr.clear(vector);
                isr.set(vector);
                recomputeLocked();
                return vector;
            }
            extIntMessage = false;
            recomputeLocked();
        }
        // ExtINT: the vector comes from the 8259 (outside our lock: lock order PIC before APIC).
        return bus.extIntAcknowledge();
    }

    /** Takes the pending NMI; true if there was one. */
    public boolean acknowledgeNmi() {
        synchronized (lock) {
            boolean had = nmiLatched;
            nmiLatched = false;
            recomputeLocked();
            return had;
        }
    }

    /** Takes the pending INIT; true if there was one. The CPU then resets and waits for STARTUP. */
    public boolean takeInit() {
        synchronized (lock) {
            boolean had = initLatched;
            initLatched = false;
            recomputeLocked();
            return had;
        }
    }

    /**
     * Takes the vector of a STARTUP IPI received while waiting for one (the AP starts in real mode
     * at CS = vector << 8, IP = 0, i.e. physical vector << 12), or -1 if none arrived.
     */
    public int takeStartupVector() {
        synchronized (lock) {
            int vector = startupVector;
            startupVector = -1;
            recomputeLocked();
            return vector;
        }
    }

    // ---------------------------------------------------------------- MSRs and CR8

    /** IA32_APIC_BASE. */
    public long readApicBase() {
        synchronized (lock) {
            return apicBase;
        }
    }

    /**
     * Writes IA32_APIC_BASE (SDM 10.4.4). Clearing the global enable bit resets the APIC and turns
     * it off; the BSP flag is read-only here.
     *
     * @throws IllegalArgumentException for reserved bits or the x2APIC enable bit (the CPU raises #GP)
     */
    public void writeApicBase(long value) {
        if ((value & reservedBaseBits) != 0) {
            throw new IllegalArgumentException(String.format(
                    "IA32_APIC_BASE value %#x sets reserved bits %#x (x2APIC is not supported)",
                    value, value & reservedBaseBits));
        }
        synchronized (lock) {
            boolean wasEnabled = (apicBase & BASE_ENABLE) != 0;
            apicBase = (value & ~BASE_BSP) | (apicBase & BASE_BSP);
            if (wasEnabled && (value & BASE_ENABLE) == 0) {
                // SDM 10.4.3: a globally disabled APIC comes back in its power-up state.
                resetRegistersLocked();
                irr.clearAll();
                isr.clearAll();
                tmr.clearAll();
                extIntMessage = false;
            }
            recomputeLocked();
        }
    }

    /** Physical address of the register page; the CPU routes its accesses there when enabled. */
    public long baseAddress() {
        synchronized (lock) {
            return apicBase & 0xFFFF_FFFF_FFFF_F000L & ~reservedBaseBits;
        }
    }

    /** True when IA32_APIC_BASE's global enable bit is set (the register page is decoded). */
    public boolean hardwareEnabled() {
        synchronized (lock) {
            return (apicBase & BASE_ENABLE) != 0;
        }
    }

    /** IA32_TSC_DEADLINE (0 outside TSC-deadline mode). */
    public long readTscDeadline() {
        synchronized (lock) {
            return timer.readTscDeadline();
        }
    }

    /** Writes IA32_TSC_DEADLINE; ignored outside TSC-deadline mode, a past deadline fires at once. */
    public void writeTscDeadline(long value) {
        long now = clock.nanos();
        synchronized (lock) {
            timer.writeTscDeadline(value, now);
            expireTimerLocked(now);
            recomputeLocked();
        }
    }

    /** CR8 as the CPU reads it: TPR bits 7:4 (SDM 10.8.6.1). */
    public long readCr8() {
        synchronized (lock) {
            return tpr >>> 4;
        }
    }

    /**
     * A write of CR8 (TPR = value << 4).
     *
     * @throws IllegalArgumentException if reserved bits 63:4 are set (the CPU raises #GP)
     */
    public void writeCr8(long value) {
        if ((value & ~0xFL) != 0) {
            throw new IllegalArgumentException("CR8 value " + Long.toHexString(value) + " sets reserved bits");
        }
        synchronized (lock) {
            tpr = (int) value << 4;
            recomputeLocked();
        }
    }

    // ---------------------------------------------------------------- the register page

    /**
     * Reads {@code size} bytes at {@code offset} of the register page. Registers are 32 bits at
     * 16-byte-aligned offsets; other widths and alignments return the bytes they cover (bytes 4-15
     * of each 16-byte slot read as zero).
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access outside the page
     */
    public long mmioRead(int offset, int size) {
        checkAccess(offset, size);
        synchronized (lock) {
            if (size == 4 && (offset & 0xF) == 0) {
                return readRegisterLocked(offset) & 0xFFFF_FFFFL;
            }
            long result = 0;
            int slot = -1;
            long slotValue = 0;
            for (int i = 0; i < size; i++) {
                int at = offset + i;
                int byteInSlot = at & 0xF;
                if (byteInSlot >= 4) {
                    continue;
                }
                if ((at & ~0xF) != slot) {
                    slot = at & ~0xF;
                    slotValue = readRegisterLocked(slot) & 0xFFFF_FFFFL;
                }
                result |= ((slotValue >>> (byteInSlot * 8)) & 0xFF) << (i * 8);
            }
            return result;
        }
    }

    /**
     * Writes a register. Only 32-bit writes to a 16-byte-aligned offset take effect; the SDM leaves
     * other widths undefined, and they are ignored.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access outside the page
     */
    public void mmioWrite(int offset, int size, long value) {
        checkAccess(offset, size);
        if (size != 4 || (offset & 0xF) != 0) {
            return;
        }
        int v = (int) value;
        int eoiVector = -1;
        boolean sendIpi = false;
        synchronized (lock) {
            switch (offset) {
                case 0x020 -> id = v >>> 24;
                case 0x080 -> tpr = v & 0xFF;
                case 0x0B0 -> eoiVector = endOfInterruptLocked();
                case 0x0D0 -> ldr = v & 0xFF00_0000;
                case 0x0E0 -> dfr = v & 0xF000_0000;
                case 0x0F0 -> writeSpuriousVectorLocked(v);
                case 0x280 -> {
                    // SDM 10.5.3: a write loads the errors collected since the last write.
                    esr = esrPending;
                    esrPending = 0;
                }
                case 0x300 -> {
                    icrLow = v & 0x000C_CFFF;
                    sendIpi = checkIpiLocked();
                }
                case 0x310 -> icrHigh = v & 0xFF00_0000;
                case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> writeLvtLocked((offset - 0x320) >>> 4, v);
                case 0x380 -> {
                    long now = clock.nanos();
                    timer.writeInitialCount(v, now);
                    expireTimerLocked(now);
                }
                case 0x3E0 -> timer.writeDivide(v, clock.nanos());
                case 0x030, 0x090, 0x0A0, 0x0C0, 0x390 -> {
                    // Read-only registers: writes have no effect.
                }
                default -> {
                    if (offset >= 0x100 && offset < 0x280) {
                        break; // ISR, TMR, IRR are read-only
                    }
                    raiseErrorLocked(ESR_ILLEGAL_REGISTER);
                }
            }
            recomputeLocked();
        }
        // Calls into other chips happen outside our lock.
        if (eoiVector >= 0) {
            bus.broadcastEoi(eoiVector);
        }
        if (sendIpi) {
            sendIpi();
        }
    }

    private static void checkAccess(int offset, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("local APIC access size must be 1, 2, 4 or 8, got " + size);
        }
        if (offset < 0 || offset + size > 0x1000) {
            throw new IllegalArgumentException(
                    String.format("local APIC access of %d bytes at offset %#x is outside the 4 KiB page", size, offset));
        }
    }

    private int readRegisterLocked(int offset) {
        return switch (offset) {
            case 0x020 -> id << 24;
            case 0x030 -> VERSION;
            case 0x080 -> tpr;
            case 0x090 -> arbitrationPriorityLocked();
            case 0x0A0 -> processorPriorityLocked();
            case 0x0B0, 0x0C0 -> 0; // EOI is write-only; remote read is not supported on xAPIC
            case 0x0D0 -> ldr;
            case 0x0E0 -> dfr | 0x0FFF_FFFF;
            case 0x0F0 -> svr;
            case 0x280 -> esr;
            case 0x300 -> icrLow; // delivery status (bit 12) is always idle: delivery is immediate
            case 0x310 -> icrHigh;
            case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> lvt[(offset - 0x320) >>> 4];
            case 0x380 -> timer.initialCount();
            case 0x390 -> timer.currentCount(clock.nanos());
            case 0x3E0 -> timer.divideConfig();
            default -> {
                if (offset >= 0x100 && offset < 0x180) {
                    yield isr.register((offset - 0x100) >>> 4);
                } else if (offset >= 0x180 && offset < 0x200) {
                    yield tmr.register((offset - 0x180) >>> 4);
                } else if (offset >= 0x200 && offset < 0x280) {
                    yield irr.register((offset - 0x200) >>> 4);
                }
                raiseErrorLocked(ESR_ILLEGAL_REGISTER);
                yield 0;
            }
        };
    }

    private void writeSpuriousVectorLocked(int value) {
        svr = value & 0x1FF;
        if ((svr & SVR_ENABLE) == 0) {
            // SDM 10.4.7.2: software-disabling the APIC masks every LVT entry.
            for (int i = 0; i < lvt.length; i++) {
                lvt[i] |= LVT_MASKED;
            }
        }
    }

    private void writeLvtLocked(int index, int value) {
        int old = lvt[index];
        int entry = value & LVT_WRITABLE[index];
        if (index == LVT_LINT0 || index == LVT_LINT1) {
            entry |= old & LVT_REMOTE_IRR;
            if ((entry & LVT_LEVEL) == 0) {
                entry &= ~LVT_REMOTE_IRR;
            }
        }
        if ((svr & SVR_ENABLE) == 0) {
            entry |= LVT_MASKED; // masks cannot be cleared while software-disabled
        }
        lvt[index] = entry;
        if (index == LVT_TIMER) {
            timer.setMode((entry >>> 17) & 3);
        } else if (index == LVT_LINT0) {
            localPinLocked(LVT_LINT0, lint0, lint0);
        } else if (index == LVT_LINT1) {
            localPinLocked(LVT_LINT1, lint1, lint1);
        }
    }

    // ---------------------------------------------------------------- interrupt state

    /** SDM 10.8.3.1: PPR is TPR unless the highest in-service class is higher. */
    private int processorPriorityLocked() {
        int isrv = Math.max(isr.highest(), 0);
        return (tpr & 0xF0) >= (isrv & 0xF0) ? tpr : isrv & 0xF0;
    }

    /** SDM 10.6.2.4 (P6 family rules, Table 10-3 notes): priority for lowest-priority arbitration. */
    private int arbitrationPriorityLocked() {
        int irrv = Math.max(irr.highest(), 0) >>> 4;
        int isrv = Math.max(isr.highest(), 0) >>> 4;
        int tprClass = tpr >>> 4;
        if (tprClass >= irrv && tprClass > isrv) {
            return tpr;
        }
        return Math.max(tprClass, Math.max(isrv, irrv)) << 4;
    }

    private boolean extIntActiveLocked() {
        if (extIntMessage) {
            return true;
        }
        if (!lint0) {
            return false;
        }
        if ((apicBase & BASE_ENABLE) == 0) {
            return true; // SDM 10.4.3: with the APIC off, LINT0 is the processor's INTR pin
        }
        int entry = lvt[LVT_LINT0];
        return (entry & LVT_MASKED) == 0 && ((entry >>> 8) & 7) == DeliveryMode.EXTINT;
    }

    /** Recomputes the event summary and wakes a halted vCPU if something new became pending. */
    private void recomputeLocked() {
        int next = 0;
        int vector = irr.highest();
        if (extIntActiveLocked() || (vector >= 0 && (vector & 0xF0) > (processorPriorityLocked() & 0xF0))) {
            next |= EVENT_INTERRUPT;
        }
        if (nmiLatched) {
            next |= EVENT_NMI;
        }
        if (initLatched) {
            next |= EVENT_INIT;
        }
        if (startupVector >= 0) {
            next |= EVENT_STARTUP;
        }
        int previous = events;
        events = next;
        arbitrationPriority = arbitrationPriorityLocked();
        if ((next & ~previous) != 0) {
            waiter.signal();
        }
    }

    /** EOI: retires the highest in-service vector; returns it if level-triggered (to broadcast). */
    private int endOfInterruptLocked() {
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
                localPinLocked(index, level, level);
            }
        }
        return tmr.contains(vector) ? vector : -1;
    }

    private void raiseErrorLocked(int bits) {
        esrPending |= bits;
        int entry = lvt[LVT_ERROR];
        int vector = entry & 0xFF;
        if ((entry & LVT_MASKED) == 0 && vector >= 16) {
            irr.set(vector);
            tmr.clear(vector);
        }
    }

    /** Accepts a fixed interrupt into IRR/TMR (SDM 10.8.4); vectors 0-15 are illegal. */
    private boolean acceptFixedLocked(int vector, boolean level) {
        if (vector < 16) {
            raiseErrorLocked(ESR_RECEIVE_ILLEGAL_VECTOR);
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

    /**
     * Delivers an interrupt message from the IOAPIC, an MSI or an IPI. Returns true if this APIC
     * accepted it (the IOAPIC sets remote IRR only then).
     */
    boolean deliver(int deliveryMode, int vector, boolean levelTriggered) {
        synchronized (lock) {
            if ((apicBase & BASE_ENABLE) == 0) {
                return false; // a globally disabled APIC takes no messages (SDM 10.4.3)
            }
            boolean accepted;
            switch (deliveryMode) {
                case DeliveryMode.FIXED, DeliveryMode.LOWEST_PRIORITY ->
                        accepted = (svr & SVR_ENABLE) != 0 && acceptFixedLocked(vector, levelTriggered);
                case DeliveryMode.NMI -> {
                    nmiLatched = true;
                    accepted = true;
                }
                case DeliveryMode.INIT -> {
                    receiveInitLocked();
                    accepted = true;
                }
                case DeliveryMode.STARTUP -> {
                    // A STARTUP IPI only counts while the processor waits for one (SDM 8.4.4.1).
                    accepted = waitingForStartup;
                    if (accepted) {
                        waitingForStartup = false;
                        startupVector = vector & 0xFF;
                    }
                }
                case DeliveryMode.EXTINT -> {
                    extIntMessage = true;
                    accepted = true;
                }
                default -> accepted = false; // SMI (no SMM) and reserved encodings
            }
            recomputeLocked();
            return accepted;
        }
    }

    /** INIT (SDM 10.4.7.3): everything but the APIC ID and IA32_APIC_BASE returns to power-up. */
    private void receiveInitLocked() {
        resetRegistersLocked();
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        extIntMessage = false;
        nmiLatched = false;
        startupVector = -1;
        initLatched = true;
        waitingForStartup = true;
    }

    /** Power-up register values (SDM 10.4.7.1), the APIC ID aside. */
    private void resetRegistersLocked() {
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

    // ---------------------------------------------------------------- local interrupt pins

    /** The 8259's INTR output on LINT0 (all processors' LINT0 pins are wired together). */
    void setLint0(boolean level) {
        synchronized (lock) {
            boolean old = lint0;
            lint0 = level;
            localPinLocked(LVT_LINT0, old, level);
            recomputeLocked();
        }
    }

    /** The LINT1 pin (the platform's NMI line). */
    void setLint1(boolean level) {
        synchronized (lock) {
            boolean old = lint1;
            lint1 = level;
            localPinLocked(LVT_LINT1, old, level);
            recomputeLocked();
        }
    }

    /** Acts on a LINT pin per its LVT entry; ExtINT needs nothing here (it follows the level). */
    private void localPinLocked(int index, boolean old, boolean level) {
        int entry = lvt[index];
        if ((entry & LVT_MASKED) != 0 || !level) {
            return;
        }
        switch ((entry >>> 8) & 7) {
            case DeliveryMode.FIXED -> {
                if ((entry & LVT_LEVEL) != 0 && index == LVT_LINT0) {
                    if ((entry & LVT_REMOTE_IRR) == 0 && acceptFixedLocked(entry & 0xFF, true)) {
                        lvt[index] = entry | LVT_REMOTE_IRR;
                    }
                } else if (!old) {
                    acceptFixedLocked(entry & 0xFF, false);
                }
            }
            case DeliveryMode.NMI -> nmiLatched |= !old;
            case DeliveryMode.INIT -> {
                if (!old) {
                    receiveInitLocked();
                }
            }
            default -> {
                // ExtINT follows the pin level in extIntActiveLocked(); SMI and reserved: nothing.
            }
        }
    }

    // ---------------------------------------------------------------- timer

    /** Fires the timer if due at {@code now} (guest ns). Called on this vCPU's thread. */
    void updateTimer(long now) {
        if (now < timer.cachedDeadline() && timer.cachedDeadlineValid()) {
            return;
        }
        synchronized (lock) {
            expireTimerLocked(now);
            recomputeLocked();
        }
    }

    /** Guest time of the next timer expiry, {@link Long#MAX_VALUE} if disarmed. */
    long timerDeadline() {
        if (timer.cachedDeadlineValid()) {
            return timer.cachedDeadline();
        }
        synchronized (lock) {
            return timer.deadline(clock.nanos());
        }
    }

    private void expireTimerLocked(long now) {
        if (timer.expire(now)) {
            int entry = lvt[LVT_TIMER];
            if ((entry & LVT_MASKED) == 0) {
                acceptFixedLocked(entry & 0xFF, false);
            }
        }
    }

    // ---------------------------------------------------------------- IPIs and routing

    /** Validates the ICR just written; true if an IPI must be sent (outside the lock). */
    private boolean checkIpiLocked() {
        int mode = (icrLow >>> 8) & 7;
        int vector = icrLow & 0xFF;
        if ((mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY) && vector < 16) {
            raiseErrorLocked(ESR_SEND_ILLEGAL_VECTOR);
            return false;
        }
        // INIT level de-assert (level 0, trigger level) only resynchronises arbitration IDs on old
        // processors (SDM 10.6.1); it does not reset anyone.
        return !(mode == DeliveryMode.INIT && (icrLow & (1 << 14)) == 0 && (icrLow & (1 << 15)) != 0);
    }

    private void sendIpi() {
        int low;
        int high;
        synchronized (lock) {
            low = icrLow;
            high = icrHigh;
        }
        bus.sendIpi(this, high >>> 24, (low & (1 << 11)) != 0, (low >>> 8) & 7, low & 0xFF, (low >>> 18) & 3);
    }

    /** Physical destination match (SDM 10.6.2.1); 0xFF is the broadcast ID. */
    boolean matchesPhysical(int destination) {
        return destination == 0xFF || destination == apicId();
    }

    /** Logical destination match in the flat or cluster model (SDM 10.6.2.2). */
    boolean matchesLogical(int destination) {
        if (destination == 0xFF) {
            return true;
        }
        int logicalId;
        int model;
        synchronized (lock) {
            logicalId = ldr >>> 24;
            model = dfr >>> 28;
        }
        if (model == 0xF) {
            return (logicalId & destination) != 0;
        }
        return (logicalId >>> 4) == (destination >>> 4) && (logicalId & destination & 0xF) != 0;
    }

    /** Published arbitration priority for lowest-priority delivery. */
    int arbitrationPriority() {
        return arbitrationPriority;
    }

    /** True if the APIC is globally and software enabled (lowest-priority candidates). */
    boolean acceptsFixed() {
        synchronized (lock) {
            return (apicBase & BASE_ENABLE) != 0 && (svr & SVR_ENABLE) != 0;
        }
    }

    @Override
    public String toString() {
        return "LocalApic[cpu " + cpu + (bsp ? ", BSP" : "") + "]";
    }
}
