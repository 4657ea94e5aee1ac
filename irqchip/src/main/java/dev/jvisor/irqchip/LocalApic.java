package dev.jvisor.irqchip;

/**
 * One vCPU's local APIC in xAPIC mode (Intel SDM Vol. 3A chapter 10): the 4 KiB register page,
 * interrupt acceptance and priority (IRR/ISR/TMR, TPR/PPR/APR), EOI with broadcast to the IOAPIC,
 * the six local vector table entries, the timer (one-shot, periodic and TSC-deadline, so the CPU may
 * set CPUID.01H:ECX.TSC_Deadline), inter-processor interrupts, and the INIT/STARTUP handshake that
 * brings up application processors. The registers themselves live in {@link ApicState}.
 *
 * <h2>Threads</h2>
 * The owning vCPU thread calls everything public. Other threads (device threads through the IOAPIC
 * or MSIs, other vCPUs sending IPIs) only deliver interrupts. All state is guarded by one private
 * lock, and what the CPU polls per instruction is summarised in one volatile field, so
 * {@link #interruptPending()} is a plain volatile read. The lock is never held while calling into
 * another chip, which keeps the lock order PIT, lines, PIC, IOAPIC, local APIC free of cycles.
 *
 * <h2>Left out</h2>
 * SMIs are dropped (there is no SMM). x2APIC is not offered: IA32_APIC_BASE rejects its enable bit.
 */
public final class LocalApic {
    /** Default physical base of the register page (IA32_APIC_BASE after reset). */
    public static final long DEFAULT_BASE = 0xFEE0_0000L;
    /** Timer input clock before the divider: 1 GHz, i.e. one tick per guest nanosecond. */
    public static final long TIMER_FREQUENCY_HZ = 1_000_000_000L;
    /** IA32_APIC_BASE. */
    public static final int MSR_APIC_BASE = 0x1B;
    /** IA32_TSC_DEADLINE. */
    public static final int MSR_TSC_DEADLINE = 0x6E0;

    /** {@link #pendingEvents()} bit: a maskable interrupt can be accepted (CPU checks RFLAGS.IF). */
    public static final int EVENT_INTERRUPT = 1;
    /** {@link #pendingEvents()} bit: an NMI is pending. */
    public static final int EVENT_NMI = 2;
    /** {@link #pendingEvents()} bit: an INIT was received. */
    public static final int EVENT_INIT = 4;
    /** {@link #pendingEvents()} bit: a STARTUP IPI arrived while waiting for one. */
    public static final int EVENT_STARTUP = 8;

    private final int cpu;
    private final boolean bsp;
    private final long reservedBaseBits;
    private final VirtualClock clock;
    private final ApicBus bus;
    private final HaltWaiter waiter;
    private final Object lock = new Object();
    private final ApicState state;

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
        this.state = new ApicState(cpu, clock);
        synchronized (lock) {
            state.apicBase = DEFAULT_BASE | ApicState.BASE_ENABLE | (bsp ? ApicState.BASE_BSP : 0);
            if (bsp) {
                // As firmware leaves the boot CPU (MP spec 1.4, 3.6.2.2 virtual wire mode): LINT0
                // passes the 8259's INTR through as ExtINT. KVM and QEMU reset the BSP the same way.
                state.lvt[ApicState.LVT_LINT0] = DeliveryMode.EXTINT << 8;
            }
            // Application processors power up waiting for a STARTUP IPI (SDM 8.4.1).
            state.waitingForStartup = !bsp;
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
            return state.id;
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
            if (!state.extIntActive()) {
                int vector = state.deliverableVector();
                if (vector < 0) {
                    return state.irr.highest() < 0 ? -1 : state.svr & 0xFF;
                }
                state.irr.clear(vector);
                state.isr.set(vector);
                recomputeLocked();
                return vector;
            }
            state.extIntMessage = false;
            recomputeLocked();
        }
        // ExtINT: the vector comes from the 8259 (outside our lock: lock order PIC before APIC).
        return bus.extIntAcknowledge();
    }

    /** Takes the pending NMI; true if there was one. */
    public boolean acknowledgeNmi() {
        synchronized (lock) {
            boolean had = state.nmiLatched;
            state.nmiLatched = false;
            recomputeLocked();
            return had;
        }
    }

    /** Takes the pending INIT; true if there was one. The CPU then resets and waits for STARTUP. */
    public boolean takeInit() {
        synchronized (lock) {
            boolean had = state.initLatched;
            state.initLatched = false;
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
            int vector = state.startupVector;
            state.startupVector = -1;
            recomputeLocked();
            return vector;
        }
    }

    // ---------------------------------------------------------------- MSRs and CR8

    /** IA32_APIC_BASE. */
    public long readApicBase() {
        synchronized (lock) {
            return state.apicBase;
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
            boolean wasEnabled = state.hardwareEnabled();
            state.apicBase = (value & ~ApicState.BASE_BSP) | (state.apicBase & ApicState.BASE_BSP);
            if (wasEnabled && !state.hardwareEnabled()) {
                // SDM 10.4.3: a globally disabled APIC comes back in its power-up state.
                state.resetAll();
            }
            recomputeLocked();
        }
    }

    /** Physical address of the register page; the CPU routes its accesses there when enabled. */
    public long baseAddress() {
        synchronized (lock) {
            return state.apicBase & ~0xFFFL & ~reservedBaseBits;
        }
    }

    /** True when IA32_APIC_BASE's global enable bit is set (the register page is decoded). */
    public boolean hardwareEnabled() {
        synchronized (lock) {
            return state.hardwareEnabled();
        }
    }

    /** IA32_TSC_DEADLINE (0 outside TSC-deadline mode). */
    public long readTscDeadline() {
        synchronized (lock) {
            return state.timer.readTscDeadline();
        }
    }

    /** Writes IA32_TSC_DEADLINE; ignored outside TSC-deadline mode, a past deadline fires at once. */
    public void writeTscDeadline(long value) {
        long now = clock.nanos();
        synchronized (lock) {
            state.timer.writeTscDeadline(value, now);
            state.expireTimer(now);
            recomputeLocked();
        }
    }

    /** CR8 as the CPU reads it: TPR bits 7:4 (SDM 10.8.6.1). */
    public long readCr8() {
        synchronized (lock) {
            return state.tpr >>> 4;
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
            state.tpr = (int) value << 4;
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
        long now = clock.nanos();
        synchronized (lock) {
            if (size == 4 && (offset & 0xF) == 0) {
                return state.readRegister(offset, now) & 0xFFFF_FFFFL;
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
                    slotValue = state.readRegister(slot, now) & 0xFFFF_FFFFL;
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
        long now = clock.nanos();
        int eoiVector;
        boolean sendIpi;
        int icrLow;
        int icrHigh;
        synchronized (lock) {
            state.writeRegister(offset, (int) value, now);
            eoiVector = state.eoiBroadcast;
            sendIpi = state.ipiRequested;
            icrLow = state.icrLow;
            icrHigh = state.icrHigh;
            state.eoiBroadcast = -1;
            state.ipiRequested = false;
            recomputeLocked();
        }
        // Calls into other chips happen outside our lock.
        if (eoiVector >= 0) {
            bus.broadcastEoi(eoiVector);
        }
        if (sendIpi) {
            bus.sendIpi(this, icrHigh >>> 24, (icrLow & (1 << 11)) != 0, (icrLow >>> 8) & 7, icrLow & 0xFF,
                    (icrLow >>> 18) & 3);
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

    /** Publishes the event summary and wakes a halted vCPU if something new became pending. */
    private void recomputeLocked() {
        int next = state.events();
        int previous = events;
        events = next;
        arbitrationPriority = state.arbitrationPriority();
        if ((next & ~previous) != 0) {
            waiter.signal();
        }
    }

    // ---------------------------------------------------------------- wiring (package-private)

    /**
     * Delivers an interrupt message from the IOAPIC, an MSI or an IPI. Returns true if this APIC
     * accepted it (the IOAPIC sets remote IRR only then).
     */
    boolean deliver(int deliveryMode, int vector, boolean levelTriggered) {
        synchronized (lock) {
            boolean accepted = state.deliver(deliveryMode, vector, levelTriggered);
            recomputeLocked();
            return accepted;
        }
    }

    /** The 8259's INTR on LINT0 (all processors' LINT0 pins are wired together). */
    void setLint0(boolean level) {
        synchronized (lock) {
            boolean old = state.lint0;
            state.lint0 = level;
            state.localPin(ApicState.LVT_LINT0, old, level);
            recomputeLocked();
        }
    }

    /** The LINT1 pin (the platform's NMI line). */
    void setLint1(boolean level) {
        synchronized (lock) {
            boolean old = state.lint1;
            state.lint1 = level;
            state.localPin(ApicState.LVT_LINT1, old, level);
            recomputeLocked();
        }
    }

    /** Fires the timer if due at {@code now} (guest ns). Called on this vCPU's thread. */
    void updateTimer(long now) {
        if (now < state.timer.cachedDeadline() && state.timer.cachedDeadlineValid()) {
            return;
        }
        synchronized (lock) {
            state.expireTimer(now);
            recomputeLocked();
        }
    }

    /** Guest time of the next timer expiry, {@link Long#MAX_VALUE} if disarmed. */
    long timerDeadline() {
        if (state.timer.cachedDeadlineValid()) {
            return state.timer.cachedDeadline();
        }
        synchronized (lock) {
            return state.timer.deadline(clock.nanos());
        }
    }

    /** Physical destination match (SDM 10.6.2.1); 0xFF is the broadcast ID. */
    boolean matchesPhysical(int destination) {
        return destination == 0xFF || destination == apicId();
    }

    /** Logical destination match in the flat or cluster model (SDM 10.6.2.2). */
    boolean matchesLogical(int destination) {
        synchronized (lock) {
            return state.matchesLogical(destination);
        }
    }

    /** Published arbitration priority for lowest-priority delivery. */
    int arbitrationPriority() {
        return arbitrationPriority;
    }

    /** True if the APIC is globally and software enabled (a lowest-priority candidate). */
    boolean acceptsFixed() {
        synchronized (lock) {
            return state.hardwareEnabled() && state.softwareEnabled();
        }
    }

    @Override
    public String toString() {
        return "LocalApic[cpu " + cpu + (bsp ? ", BSP" : "") + "]";
    }
}
