package dev.jvisor.irqchip;

import dev.jvisor.hypervisor.InterruptLines;

import java.util.Arrays;
import java.util.Objects;

/**
 * The interrupt and timer chips of one emulated PC, wired as on a PC chipset: per-vCPU local APICs,
 * the IOAPIC, the 8259 pair with its ELCR, the 8254 PIT and port 0x61, all timed by one
 * {@link VirtualClock}.
 *
 * <h2>Wiring</h2>
 * <ul>
 *   <li>GSI n is IOAPIC pin n. GSIs 1 and 3-15 are also the ISA IRQs of the same number on the 8259
 *       pair. ISA IRQ 0 (PIT counter 0) is GSI 2, as the MADT's interrupt source override must say;
 *       GSI 0 is IOAPIC pin 0, which carries the 8259's INTR (for ExtINT through the IOAPIC).</li>
 *   <li>The 8259's INTR also drives every local APIC's LINT0 (virtual wire mode).</li>
 *   <li>Level-triggered IOAPIC vectors retired by a local APIC's EOI clear the IOAPIC's remote IRR.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A vCPU thread calls the {@code lapic(cpu)} methods, {@link #nextDeadline}, {@link #updateTimers}
 * and {@link #waitForInterrupt} for its own CPU only. Port and MMIO methods may be called from any
 * vCPU thread; {@link #lines()} and {@link #wake} from any thread. Lock order (never reversed):
 * PIT, interrupt lines, 8259 pair, IOAPIC, local APIC.
 */
public final class Platform {
    private final VirtualClock clock;
    private final ApicBus bus = new ApicBus();
    private final LocalApic[] lapics;
    private final HaltWaiter[] waiters;
    private final Ioapic ioapic;
    private final Pic8259 pic;
    private final Pit8254 pit;
    private final SystemControlPort portB;
    private final Lines lines = new Lines();
    private volatile TimerSource[] bspTimers = new TimerSource[0];

    /**
     * A platform with {@code cpuCount} CPUs, IOAPIC ID {@link #defaultIoapicId}, and 52 physical
     * address bits.
     */
    public Platform(VirtualClock clock, int cpuCount) {
        this(clock, cpuCount, defaultIoapicId(cpuCount), 52);
    }

    /**
     * @param clock               the VM's guest time base
     * @param cpuCount            number of vCPUs, 1..254; CPU n gets xAPIC ID n (0xFF is broadcast)
     * @param ioapicId            the IOAPIC's 4-bit ID, 0..15, which the MADT must announce
     * @param physicalAddressBits MAXPHYADDR as CPUID reports it (36..52), for IA32_APIC_BASE checks
     */
    public Platform(VirtualClock clock, int cpuCount, int ioapicId, int physicalAddressBits) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (cpuCount < 1 || cpuCount > 254) {
            throw new IllegalArgumentException("cpuCount must be 1..254, got " + cpuCount);
        }
        if (ioapicId < 0 || ioapicId > 15) {
            throw new IllegalArgumentException("IOAPIC ID must be 0..15, got " + ioapicId);
        }
        if (physicalAddressBits < 36 || physicalAddressBits > 52) {
            throw new IllegalArgumentException("physicalAddressBits must be 36..52, got " + physicalAddressBits);
        }
        lapics = new LocalApic[cpuCount];
        waiters = new HaltWaiter[cpuCount];
        for (int cpu = 0; cpu < cpuCount; cpu++) {
            waiters[cpu] = new HaltWaiter();
            lapics[cpu] = new LocalApic(cpu, cpu == 0, physicalAddressBits, clock, bus, waiters[cpu]);
        }
        ioapic = new Ioapic(ioapicId, bus);
        pic = new Pic8259(new Pic8259.OutputListener() {
            @Override
            public void intrChanged(boolean level) {
                picOutputChanged(level);
            }

            @Override
            public void intrStillAsserted() {
                ioapic.resample(0);
            }
        });
        bus.attach(lapics, ioapic, pic);
        pit = new Pit8254(clock, level -> lines.drive(2, level));
        portB = new SystemControlPort(pit, clock);
    }

    /** The IOAPIC ID used by default: the first ID after the CPUs' if it fits in 4 bits, else 0. */
    public static int defaultIoapicId(int cpuCount) {
        return cpuCount < 16 ? cpuCount : 0;
    }

    /** The VM's guest time base. */
    public VirtualClock clock() {
        return clock;
    }

    /** Number of vCPUs. */
    public int cpuCount() {
        return lapics.length;
    }

    /** The local APIC of vCPU {@code cpu}. */
    public LocalApic lapic(int cpu) {
        checkCpu(cpu);
        return lapics[cpu];
    }

    /** The IOAPIC (its window is at {@link Ioapic#DEFAULT_BASE}). */
    public Ioapic ioapic() {
        return ioapic;
    }

    /** The 8259 pair. */
    public Pic8259 pic() {
        return pic;
    }

    /** The 8254. */
    public Pit8254 pit() {
        return pit;
    }

    /** How devices raise interrupts: GSIs as described in the class comment, and MSIs. */
    public InterruptLines lines() {
        return lines;
    }

    /** MSIs dropped because their address was outside the 0xFEExxxxx interrupt window. */
    public long rejectedMsis() {
        return bus.rejectedMsis();
    }

    /** Adds a timer that fires on the BSP's thread (the RTC, for instance). Call while wiring. */
    public synchronized void addBspTimer(TimerSource timer) {
        Objects.requireNonNull(timer, "timer");
        TimerSource[] next = Arrays.copyOf(bspTimers, bspTimers.length + 1);
        next[next.length - 1] = timer;
        bspTimers = next;
    }

    // ---------------------------------------------------------------- port and MMIO dispatch

    /** True for the ports of the 8259 pair, the ELCR, the PIT and port 0x61. */
    public boolean handlesPort(int port) {
        return Pic8259.handles(port) || Pit8254.handles(port) || port == SystemControlPort.PORT;
    }

    /**
     * Reads {@code size} bytes from consecutive 8-bit ports starting at {@code port}, as an ISA bus
     * splits a wide access; ports that are not ours read 0xFF.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4 or a port outside 0..0xFFFF
     */
    public long pioRead(int port, int size) {
        checkPort(port, size);
        long value = 0;
        for (int i = 0; i < size; i++) {
            value |= (long) readPortByte(port + i) << (8 * i);
        }
        return value;
    }

    /**
     * Writes {@code size} bytes to consecutive 8-bit ports starting at {@code port}; bytes for
     * ports that are not ours are dropped.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4 or a port outside 0..0xFFFF
     */
    public void pioWrite(int port, int size, long value) {
        checkPort(port, size);
        for (int i = 0; i < size; i++) {
            writePortByte(port + i, (int) (value >>> (8 * i)) & 0xFF);
        }
    }

    private int readPortByte(int port) {
        if (Pic8259.handles(port)) {
            return pic.read(port);
        }
        if (Pit8254.handles(port)) {
            return pit.read(port);
        }
        if (port == SystemControlPort.PORT) {
            return portB.read();
        }
        return 0xFF;
    }

    private void writePortByte(int port, int value) {
        if (Pic8259.handles(port)) {
            pic.write(port, value);
        } else if (Pit8254.handles(port)) {
            pit.write(port, value);
        } else if (port == SystemControlPort.PORT) {
            portB.write(value);
        }
    }

    /** True inside the IOAPIC's 4 KiB window (the local APIC page is per vCPU: see {@link #lapic}). */
    public boolean handlesMmio(long address) {
        return address >= Ioapic.DEFAULT_BASE && address < Ioapic.DEFAULT_BASE + Ioapic.WINDOW_SIZE;
    }

    /**
     * Reads the IOAPIC window; addresses outside it read as all ones.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access crossing the window's end
     */
    public long mmioRead(long address, int size) {
        if (!handlesMmio(address)) {
            checkSize(size);
            return size == 8 ? -1L : (1L << (8 * size)) - 1;
        }
        return ioapic.mmioRead((int) (address - Ioapic.DEFAULT_BASE), size);
    }

    /**
     * Writes the IOAPIC window; writes outside it are dropped.
     *
     * @throws IllegalArgumentException for a size other than 1, 2, 4, 8 or an access crossing the window's end
     */
    public void mmioWrite(long address, int size, long value) {
        if (!handlesMmio(address)) {
            checkSize(size);
            return;
        }
        ioapic.mmioWrite((int) (address - Ioapic.DEFAULT_BASE), size, value);
    }

    // ---------------------------------------------------------------- timers and halting

    /**
     * Guest time of the next timer event that concerns {@code cpu}: its local APIC timer, and for
     * the BSP also the PIT and the {@link #addBspTimer BSP timers}. {@link Long#MAX_VALUE} if none.
     */
    public long nextDeadline(int cpu) {
        checkCpu(cpu);
        long deadline = lapics[cpu].timerDeadline();
        if (cpu == 0) {
            deadline = Math.min(deadline, pit.nextDeadline());
            for (TimerSource timer : bspTimers) {
                deadline = Math.min(deadline, timer.nextDeadline());
            }
        }
        return deadline;
    }

    /** Fires every timer event of {@code cpu} (see {@link #nextDeadline}) due at {@code nowNanos}. */
    public void updateTimers(int cpu, long nowNanos) {
        checkCpu(cpu);
        lapics[cpu].updateTimer(nowNanos);
        if (cpu == 0) {
            pit.update(nowNanos);
            for (TimerSource timer : bspTimers) {
                if (timer.nextDeadline() <= nowNanos) {
                    timer.fire(nowNanos);
                }
            }
        }
    }

    /**
     * Blocks {@code cpu}'s thread for HLT until its local APIC has an interrupt it can accept, an
     * NMI, INIT or STARTUP, until guest time reaches {@code deadlineNanos}, or until {@link #wake}.
     */
    public void waitForInterrupt(int cpu, long deadlineNanos) {
        waitForInterrupt(cpu, deadlineNanos, true);
    }

    /**
     * Like {@link #waitForInterrupt(int, long)}; with {@code maskableAccepted} false (HLT with
     * RFLAGS.IF clear, or wait-for-SIPI) a pending maskable interrupt does not end the wait.
     */
    public void waitForInterrupt(int cpu, long deadlineNanos, boolean maskableAccepted) {
        checkCpu(cpu);
        waiters[cpu].await(lapics[cpu], clock, deadlineNanos, maskableAccepted);
    }

    /**
     * Ends {@code cpu}'s current {@link #waitForInterrupt} at once, or the next one if it is not
     * waiting (so a kick is never lost). Any thread.
     */
    public void wake(int cpu) {
        checkCpu(cpu);
        waiters[cpu].kick();
    }

    // ---------------------------------------------------------------- wiring

    /** The 8259's INTR: every LINT0 and IOAPIC pin 0. Called with the 8259 lock held. */
    private void picOutputChanged(boolean level) {
        for (LocalApic apic : lapics) {
            apic.setLint0(level);
        }
        ioapic.setPin(0, level);
    }

    private void checkCpu(int cpu) {
        if (cpu < 0 || cpu >= lapics.length) {
            throw new IllegalArgumentException("CPU index must be 0.." + (lapics.length - 1) + ", got " + cpu);
        }
    }

    private static void checkPort(int port, int size) {
        if (size != 1 && size != 2 && size != 4) {
            throw new IllegalArgumentException("port access size must be 1, 2 or 4, got " + size);
        }
        if (port < 0 || port + size > 0x10000) {
            throw new IllegalArgumentException("port " + port + " with size " + size + " is outside 0..0xFFFF");
        }
    }

    private static void checkSize(int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("MMIO access size must be 1, 2, 4 or 8, got " + size);
        }
    }

    /** GSI-level interrupt lines; thread-safe and serialised so the 8259 and IOAPIC see one order. */
    private final class Lines implements InterruptLines {
        /** Bit n set while GSI n is asserted. */
        private int levels;

        @Override
        public void setLevel(int gsi, boolean high) {
            if (gsi < 1 || gsi >= Ioapic.PINS || gsi == 2) {
                throw new IllegalArgumentException("devices may drive GSIs 1 and 3.." + (Ioapic.PINS - 1)
                        + " (GSI 0 is the 8259's INTR, GSI 2 the PIT's ISA IRQ 0), got " + gsi);
            }
            drive(gsi, high);
        }

        @Override
        public void signalMsi(long address, int data) {
            bus.deliverMsi(address, data);
        }

        synchronized void drive(int gsi, boolean high) {
            int bit = 1 << gsi;
            if (((levels & bit) != 0) == high) {
                return;
            }
            levels ^= bit;
            if (gsi < 16) {
                pic.setIrq(gsi == 2 ? 0 : gsi, high);
            }
            ioapic.setPin(gsi, high);
        }
    }
}
