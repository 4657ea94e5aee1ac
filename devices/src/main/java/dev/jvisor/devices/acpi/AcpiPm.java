package dev.jvisor.devices.acpi;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.DeviceTimer;
import dev.jvisor.devices.PowerControl;
import dev.jvisor.hypervisor.InterruptLines;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fixed-hardware power-management registers of an ACPI platform that is not hardware-reduced
 * (ACPI 6.x, section 4.8 "ACPI Hardware Model" and 4.8.3 "PM1 Event / Control Registers"), as three
 * register blocks the FADT points at: PM1a_EVT_BLK ({@link #eventBlock()}: PM1_STS then PM1_EN,
 * 2 bytes each), PM1a_CNT_BLK ({@link #controlBlock()}: PM1_CNT, 2 bytes) and PM_TMR_BLK
 * ({@link #timerBlock()}: the power-management timer, 4 bytes).
 *
 * <ul>
 *   <li>PM1_STS bits are write-1-to-clear. The SCI (a level, active high) is asserted while any
 *       status bit is set together with its PM1_EN enable bit: timer carry, global lock, power
 *       button ({@link #pressPowerButton()}), sleep button, RTC alarm.
 *   <li>PM1_CNT.SCI_EN always reads 1: the FADT advertises no SMI command port (SMI_CMD = 0), which
 *       per ACPI means the platform is always in ACPI mode. Writing SLP_EN with SLP_TYP equal to
 *       the S5 value the DSDT's {@code \_S5} object names powers the machine off; other sleep
 *       states are not supported and are logged and ignored.
 *   <li>The PM timer counts at 3.579545 MHz from the nanosecond time source given at construction
 *       (virtual time on the emulator), 24 or 32 bits wide (FADT flag TMR_VAL_EXT). TMR_STS is set
 *       whenever the counter's top bit changes, and a {@link DeviceTimer} raises it on time while
 *       TMR_EN is set.
 * </ul>
 *
 * <p>All blocks accept 8-, 16- and 32-bit accesses, decoded byte by byte. Thread-safe;
 * {@link PowerControl#powerOff()} is called with no lock held.
 */
public final class AcpiPm implements AutoCloseable {
    public static final int EVENT_BLOCK_LENGTH = 4;
    public static final int CONTROL_BLOCK_LENGTH = 2;
    public static final int TIMER_BLOCK_LENGTH = 4;
    /** The PM timer's frequency (ACPI 6.x, section 4.8.3.3). */
    public static final long TIMER_HZ = 3_579_545;

    private static final Logger LOG = LoggerFactory.getLogger(AcpiPm.class);

    // PM1_STS / PM1_EN bits (ACPI 6.x tables 4.16-4.19).
    public static final int TMR = 0x0001;
    public static final int BM_STS = 0x0010;
    public static final int GBL = 0x0020;
    public static final int PWRBTN = 0x0100;
    public static final int SLPBTN = 0x0200;
    public static final int RTC = 0x0400;
    public static final int PCIEXP_WAKE = 0x4000;
    public static final int WAK_STS = 0x8000;
    private static final int SCI_SOURCES = TMR | GBL | PWRBTN | SLPBTN | RTC;
    private static final int ENABLE_WRITABLE = SCI_SOURCES | PCIEXP_WAKE;

    // PM1_CNT bits (ACPI 6.x table 4.20).
    public static final int SCI_EN = 0x0001;
    public static final int BM_RLD = 0x0002;
    public static final int GBL_RLS = 0x0004;
    public static final int SLP_TYP_SHIFT = 10;
    public static final int SLP_TYP_MASK = 0x7 << SLP_TYP_SHIFT;
    public static final int SLP_EN = 0x2000;
    private static final int CONTROL_STORED = BM_RLD | SLP_TYP_MASK;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final PowerControl power;
    private final InterruptLines interrupts;
    private final int sciGsi;
    private final int s5SleepType;
    private final int timerBits;
    private final LongSupplier nanoTime;
    private final DeviceTimer timer;
    private final ReentrantLock lock = new ReentrantLock();

    private int status;
    private int enable;
    private int control;
    private long lastTimerHalf;
    private boolean sciHigh;

    private final BusDevice eventBlock = new Block(EVENT_BLOCK_LENGTH) {
        @Override
        int readByte(int n) {
            return switch (n) {
                case 0 -> status & 0xFF;
                case 1 -> status >>> 8;
                case 2 -> enable & 0xFF;
                default -> enable >>> 8;
            };
        }

        @Override
        void beforeRead() {
            refreshTimerStatus();
        }

        @Override
        boolean writeBytes(int written, int mask) {
            int statusMask = mask & 0xFFFF;
            int enableMask = mask >>> 16;
            status &= ~(written & statusMask);
            enable = (enable & ~enableMask) | ((written >>> 16) & enableMask & ENABLE_WRITABLE);
            refreshTimerStatus();
            return false;
        }
    };

    private final BusDevice controlBlock = new Block(CONTROL_BLOCK_LENGTH) {
        @Override
        int readByte(int n) {
            int value = control | SCI_EN;
            return n == 0 ? value & 0xFF : value >>> 8;
        }

        @Override
        boolean writeBytes(int written, int mask) {
            control = (control & ~(mask & CONTROL_STORED)) | (written & mask & CONTROL_STORED);
            if ((written & mask & SLP_EN) == 0) {
                return false;
            }
            int type = (control & SLP_TYP_MASK) >>> SLP_TYP_SHIFT;
            if (type == s5SleepType) {
                return true;
            }
            LOG.warn("guest requested sleep type {}; only S5 (type {}) is supported, ignoring", type, s5SleepType);
            return false;
        }
    };

    /** Lock-free: guests read the PM timer in tight loops (clock calibration, the acpi_pm clocksource). */
    private final BusDevice timerBlock = new BusDevice() {
        @Override
        public int accessSizes() {
            return AccessSizes.UP_TO_DWORD;
        }

        @Override
        public long read(long offset, int size) {
            if (offset >= TIMER_BLOCK_LENGTH) {
                return -1L;
            }
            long value = timerValue(nanoTime.getAsLong()) >>> (8 * offset);
            // Bytes past the 4-byte register read as all ones, like the other blocks.
            return offset + size > TIMER_BLOCK_LENGTH ? value | -1L << (8 * (TIMER_BLOCK_LENGTH - offset)) : value;
        }

        @Override
        public void write(long offset, int size, long value) {
            // Read-only.
        }
    };

    /**
     * @param power       receives the S5 power-off request
     * @param interrupts  where the SCI goes
     * @param sciGsi      the SCI's GSI (the FADT's SCI_INT, 9 by convention)
     * @param s5SleepType the SLP_TYP value of the DSDT's {@code \_S5} package (0-7)
     * @param timer32Bit  a 32-bit PM timer (FADT TMR_VAL_EXT) rather than 24-bit
     * @param nanoTime    the time source, in nanoseconds
     */
    public AcpiPm(PowerControl power, InterruptLines interrupts, int sciGsi, int s5SleepType, boolean timer32Bit,
            LongSupplier nanoTime) {
        this.power = Objects.requireNonNull(power, "power");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (s5SleepType < 0 || s5SleepType > 7) {
            throw new IllegalArgumentException("SLP_TYP is a 3-bit field (0-7), got " + s5SleepType);
        }
        if (sciGsi < 0) {
            throw new IllegalArgumentException("GSI must not be negative, got " + sciGsi);
        }
        this.sciGsi = sciGsi;
        this.s5SleepType = s5SleepType;
        this.timerBits = timer32Bit ? 32 : 24;
        this.timer = new DeviceTimer("acpi-pm-timer", nanoTime, this::onTimer);
        this.lastTimerHalf = timerHalf(nanoTime.getAsLong());
    }

    /** PM1a_EVT_BLK: PM1_STS at offset 0, PM1_EN at offset 2. */
    public BusDevice eventBlock() {
        return eventBlock;
    }

    /** PM1a_CNT_BLK: PM1_CNT. */
    public BusDevice controlBlock() {
        return controlBlock;
    }

    /** PM_TMR_BLK: the PM timer (read-only). */
    public BusDevice timerBlock() {
        return timerBlock;
    }

    /** Presses the power button: sets PWRBTN_STS, which raises an SCI if the guest enabled it. */
    public void pressPowerButton() {
        lock.lock();
        try {
            status |= PWRBTN;
            updateSci();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the SCI is currently driven high. */
    public boolean sciHigh() {
        lock.lock();
        try {
            return sciHigh;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the timer thread, if one was started. */
    @Override
    public void close() {
        timer.close();
    }

    /** The PM timer counts 3.579545 MHz ticks of the time source, wrapping at 24 or 32 bits. */
    private long timerValue(long nanos) {
        return ticks(nanos) & ((1L << timerBits) - 1);
    }

    private static long ticks(long nanos) {
        // Split so that the product cannot overflow for any realistic uptime.
        return Math.floorDiv(nanos, NANOS_PER_SECOND) * TIMER_HZ
                + Math.floorMod(nanos, NANOS_PER_SECOND) * TIMER_HZ / NANOS_PER_SECOND;
    }

    private static long nanosOfTick(long tick) {
        return Math.floorDiv(tick, TIMER_HZ) * NANOS_PER_SECOND
                + (Math.floorMod(tick, TIMER_HZ) * NANOS_PER_SECOND + TIMER_HZ - 1) / TIMER_HZ;
    }

    /** Counts half-periods of the counter, i.e. changes of its top bit. */
    private long timerHalf(long nanos) {
        return Math.floorDiv(ticks(nanos), 1L << (timerBits - 1));
    }

    /** Sets TMR_STS if the counter's top bit changed since the last look; updates SCI and timer. */
    private void refreshTimerStatus() {
        long now = nanoTime.getAsLong();
        long half = timerHalf(now);
        if (half != lastTimerHalf) {
            lastTimerHalf = half;
            status |= TMR;
        }
        updateSci();
        if ((enable & TMR) != 0 && (status & TMR) == 0) {
            timer.armAt(nanosOfTick((half + 1) << (timerBits - 1)));
        } else {
            timer.disarm();
        }
    }

    private void onTimer() {
        lock.lock();
        try {
            refreshTimerStatus();
        } finally {
            lock.unlock();
        }
    }

    private void updateSci() {
        boolean high = (status & enable & SCI_SOURCES) != 0;
        if (high != sciHigh) {
            sciHigh = high;
            interrupts.setLevel(sciGsi, high);
        }
    }

    /** A register block decoded byte by byte; bytes past the block's end read as all ones. */
    private abstract class Block implements BusDevice {
        private final int length;

        Block(int length) {
            this.length = length;
        }

        abstract int readByte(int n);

        void beforeRead() {
        }

        /** Applies the bytes of {@code written} selected by {@code mask}; returns whether to power off. */
        abstract boolean writeBytes(int written, int mask);

        @Override
        public int accessSizes() {
            return AccessSizes.UP_TO_DWORD;
        }

        @Override
        public long read(long offset, int size) {
            lock.lock();
            try {
                beforeRead();
                long value = 0;
                for (int i = 0; i < size; i++) {
                    int n = (int) offset + i;
                    value |= (long) (n < length ? readByte(n) : 0xFF) << (8 * i);
                }
                return value;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            int written = 0;
            int mask = 0;
            for (int i = 0; i < size; i++) {
                int n = (int) offset + i;
                if (n < length) {
                    written |= (int) ((value >>> (8 * i)) & 0xFF) << (8 * n);
                    mask |= 0xFF << (8 * n);
                }
            }
            boolean powerOff;
            lock.lock();
            try {
                powerOff = writeBytes(written, mask);
                updateSci();
            } finally {
                lock.unlock();
            }
            if (powerOff) {
                power.powerOff();
            }
        }
    }
}
