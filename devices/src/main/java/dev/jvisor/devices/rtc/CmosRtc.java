package dev.jvisor.devices.rtc;

import dev.jvisor.devices.AccessSizes;
import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.DeviceTimer;
import dev.jvisor.hypervisor.InterruptLines;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PC's CMOS real-time clock and NVRAM (a Motorola MC146818 as integrated in PC chipsets), at
 * ports 0x70 (index, bit 7 = NMI disable) and 0x71 (data), interrupting on IRQ 8.
 *
 * <p>The clock shows the date and time of a {@link Clock} in that clock's zone, plus an offset the
 * guest sets by writing the time registers (normally with register B's SET bit held, as Linux
 * does); the sub-second phase follows the host clock. Reads and writes honour register B's
 * BCD/binary and 12/24-hour modes. Register A's UIP bit reads 1 during the last 244 µs before each
 * second rolls over, the window in which the datasheet says an update is imminent. Register D
 * always reports valid RAM and time (VRT).
 *
 * <p>Update-ended, alarm and periodic (rate from register A's RS bits) events set their register C
 * flags; with the matching register B enable bit they assert IRQF and drive the IRQ line high until
 * register C is read. Events are computed from the clock whenever the guest looks, and a
 * {@link DeviceTimer} delivers them on time while an interrupt is enabled.
 *
 * <p>Simplifications: the weekday register is derived from the date (guest writes to it are
 * ignored); the divider bits of register A are stored but do not stop the clock; daylight-saving
 * (DSE) is stored but has no effect. Thread-safe.
 */
public final class CmosRtc implements BusDevice, AutoCloseable {
    /** Number of ports the device occupies (index and data). */
    public static final int PORT_COUNT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(CmosRtc.class);

    // Register indices (MC146818 datasheet, "Address Map"; century per the ACPI FADT CENTURY convention).
    static final int SECONDS = 0x00;
    static final int SECONDS_ALARM = 0x01;
    static final int MINUTES = 0x02;
    static final int MINUTES_ALARM = 0x03;
    static final int HOURS = 0x04;
    static final int HOURS_ALARM = 0x05;
    static final int WEEKDAY = 0x06;
    static final int DAY_OF_MONTH = 0x07;
    static final int MONTH = 0x08;
    static final int YEAR = 0x09;
    static final int REG_A = 0x0A;
    static final int REG_B = 0x0B;
    static final int REG_C = 0x0C;
    static final int REG_D = 0x0D;
    static final int CENTURY = 0x32;

    static final int A_UIP = 0x80;
    static final int B_SET = 0x80;
    static final int B_PIE = 0x40;
    static final int B_AIE = 0x20;
    static final int B_UIE = 0x10;
    static final int B_BINARY = 0x04;
    static final int B_24_HOUR = 0x02;
    static final int C_IRQF = 0x80;
    static final int C_PF = 0x40;
    static final int C_AF = 0x20;
    static final int C_UF = 0x10;
    static final int D_VRT = 0x80;
    private static final int INTERRUPT_ENABLES = B_PIE | B_AIE | B_UIE;
    /** An alarm byte with both top bits set matches any value ("don't care"). */
    private static final int ALARM_DONT_CARE = 0xC0;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long SECONDS_PER_DAY = 86_400;
    private static final int TICKS_PER_SECOND = 32_768;
    /** The datasheet's t_BUC: UIP rises 244 µs before the update cycle. */
    private static final long UIP_WINDOW_NANOS = 244_000;

    // Indices of the fields of a time being set.
    private static final int F_SECOND = 0;
    private static final int F_MINUTE = 1;
    private static final int F_HOUR = 2;
    private static final int F_DAY = 3;
    private static final int F_MONTH = 4;
    private static final int F_YEAR = 5;
    private static final int F_CENTURY = 6;

    private final Clock clock;
    private final InterruptLines interrupts;
    private final int gsi;
    private final DeviceTimer timer;
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] cmos = new byte[128];

    private int index;
    private boolean nmiDisabled;
    private int regA = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate: what a BIOS leaves
    private int regB = B_24_HOUR;
    private int flags;
    private long offsetSeconds;
    /** The time fields being set while SET is held (decoded; -1 = invalid), else null. */
    private int[] pendingTime;
    private boolean lineHigh;

    // The guest's clock as last sampled: local seconds since the epoch and nanoseconds into that second.
    private long nowSecond;
    private int nowNano;
    private long nowClockNanos;
    // Where event processing last stopped.
    private long lastSecond;
    private long lastTick;

    /**
     * @param clock      the wall clock whose date and time (in its zone) the RTC shows
     * @param interrupts where IRQ 8 goes
     * @param gsi        the line's GSI (8 on a PC)
     * @param memory     RAM sizes to record in the BIOS fields of the NVRAM
     */
    public CmosRtc(Clock clock, InterruptLines interrupts, int gsi, CmosMemorySize memory) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        if (gsi < 0) {
            throw new IllegalArgumentException("GSI must not be negative, got " + gsi);
        }
        this.gsi = gsi;
        Objects.requireNonNull(memory, "memory").writeTo(cmos);
        writeChecksum();
        this.timer = new DeviceTimer("cmos-rtc-timer", this::clockNanos, this::onTimer);
        sampleClock();
        lastSecond = nowSecond;
        lastTick = currentTick();
    }

    @Override
    public int accessSizes() {
        return AccessSizes.BYTE;
    }

    @Override
    public long read(long offset, int size) {
        if (offset != 1) {
            return 0xFF; // the index port is write-only
        }
        lock.lock();
        try {
            return readRegister(index);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        lock.lock();
        try {
            if (offset == 0) {
                index = v & 0x7F;
                nmiDisabled = (v & 0x80) != 0;
            } else if (offset == 1) {
                writeRegister(index, v);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the guest last wrote the index port with bit 7 (NMI disable) set. */
    public boolean nmiDisabled() {
        lock.lock();
        try {
            return nmiDisabled;
        } finally {
            lock.unlock();
        }
    }

    /** Brings the event flags and the IRQ line up to date with the clock (what the timer does). */
    public void poll() {
        lock.lock();
        try {
            processEvents();
            rearm();
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

    /** Stops the timer thread, if one was started. */
    @Override
    public void close() {
        timer.close();
    }

    private int readRegister(int reg) {
        switch (reg) {
            case SECONDS, MINUTES, HOURS, WEEKDAY, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> {
                processEvents();
                return readTimeRegister(reg);
            }
            case REG_A -> {
                sampleClock();
                boolean updateImminent = (regB & B_SET) == 0 && nowNano >= NANOS_PER_SECOND - UIP_WINDOW_NANOS;
                return (regA & ~A_UIP) | (updateImminent ? A_UIP : 0);
            }
            case REG_B -> {
                return regB;
            }
            case REG_C -> {
                processEvents();
                int value = flags | (irqAsserted() ? C_IRQF : 0);
                flags = 0; // reading C clears every flag and releases the IRQ line
                updateLine();
                rearm();
                return value;
            }
            case REG_D -> {
                return D_VRT;
            }
            default -> {
                return cmos[reg] & 0xFF;
            }
        }
    }

    private void writeRegister(int reg, int v) {
        switch (reg) {
            case SECONDS, MINUTES, HOURS, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> writeTimeRegister(reg, v);
            case WEEKDAY -> {
                // Derived from the date; a written weekday would not survive the next day anyway.
            }
            case REG_A -> {
                processEvents();
                regA = v & ~A_UIP;
                lastTick = currentTick(); // a new rate starts counting now
                rearm();
            }
            case REG_B -> writeRegisterB(v);
            case REG_C, REG_D -> {
                // Read-only.
            }
            default -> cmos[reg] = (byte) v;
        }
    }

    private void writeRegisterB(int v) {
        processEvents();
        boolean wasSet = (regB & B_SET) != 0;
        regB = v;
        if ((v & B_SET) != 0) {
            // Datasheet: SET going high inhibits updates and clears UIE.
            regB &= ~B_UIE;
            if (!wasSet) {
                pendingTime = currentFields();
            }
        } else if (wasSet) {
            commitTime(pendingTime);
            pendingTime = null;
        }
        updateLine();
        rearm();
    }

    private int readTimeRegister(int reg) {
        boolean binary = (regB & B_BINARY) != 0;
        int[] fields = pendingTime != null ? pendingTime : currentFields();
        return switch (reg) {
            case SECONDS -> encodeField(fields[F_SECOND], binary);
            case MINUTES -> encodeField(fields[F_MINUTE], binary);
            case HOURS -> fields[F_HOUR] < 0 ? 0xFF
                    : RtcEncoding.encodeHours(fields[F_HOUR], binary, (regB & B_24_HOUR) != 0);
            case DAY_OF_MONTH -> encodeField(fields[F_DAY], binary);
            case MONTH -> encodeField(fields[F_MONTH], binary);
            case YEAR -> encodeField(fields[F_YEAR], binary);
            case CENTURY -> encodeField(fields[F_CENTURY], binary);
            default -> weekday(fields);
        };
    }

    private static int encodeField(int value, boolean binary) {
        return value < 0 ? 0xFF : RtcEncoding.encode(value, binary);
    }

    /** 1 = Sunday ... 7 = Saturday, as the MC146818 counts. */
    private static int weekday(int[] f) {
        if (f[F_DAY] < 0 || f[F_MONTH] < 0 || f[F_YEAR] < 0 || f[F_CENTURY] < 0) {
            return 0xFF;
        }
        try {
            LocalDate date = LocalDate.of(f[F_CENTURY] * 100 + f[F_YEAR], f[F_MONTH], f[F_DAY]);
            return date.getDayOfWeek().getValue() % 7 + 1;
        } catch (java.time.DateTimeException e) {
            return 0xFF; // a half-set date while SET is held
        }
    }

    private void writeTimeRegister(int reg, int raw) {
        boolean binary = (regB & B_BINARY) != 0;
        int decoded = reg == HOURS ? RtcEncoding.decodeHours(raw, binary, (regB & B_24_HOUR) != 0)
                : RtcEncoding.decode(raw, binary);
        int field = switch (reg) {
            case SECONDS -> F_SECOND;
            case MINUTES -> F_MINUTE;
            case HOURS -> F_HOUR;
            case DAY_OF_MONTH -> F_DAY;
            case MONTH -> F_MONTH;
            case YEAR -> F_YEAR;
            default -> F_CENTURY;
        };
        if (pendingTime != null) {
            pendingTime[field] = decoded; // validated as a whole when SET is released
            return;
        }
        // Without SET each write takes effect at once, on top of the running time.
        processEvents();
        int[] fields = currentFields();
        fields[field] = decoded;
        commitTime(fields);
        rearm();
    }

    /** Makes {@code fields} the current guest time, or logs and keeps the time if they are not a date. */
    private void commitTime(int[] f) {
        LocalDateTime time = toDateTime(f);
        if (time == null) {
            LOG.warn("guest set the RTC to an invalid time (s={} m={} h={} day={} month={} year={} century={}); keeping the current time",
                    f[F_SECOND], f[F_MINUTE], f[F_HOUR], f[F_DAY], f[F_MONTH], f[F_YEAR], f[F_CENTURY]);
            return;
        }
        sampleClock();
        long target = time.toEpochSecond(ZoneOffset.UTC);
        offsetSeconds += target - nowSecond;
        nowSecond = target;
        lastSecond = target;
        lastTick = currentTick();
    }

    private static LocalDateTime toDateTime(int[] f) {
        if (!in(f[F_SECOND], 0, 59) || !in(f[F_MINUTE], 0, 59) || !in(f[F_HOUR], 0, 23) || !in(f[F_DAY], 1, 31)
                || !in(f[F_MONTH], 1, 12) || !in(f[F_YEAR], 0, 99) || !in(f[F_CENTURY], 0, 99)) {
            return null;
        }
        LocalDate first = LocalDate.of(f[F_CENTURY] * 100 + f[F_YEAR], f[F_MONTH], 1);
        // A day past the month's end (Feb 30) is clamped to the last day rather than refused.
        LocalDate date = first.withDayOfMonth(Math.min(f[F_DAY], first.lengthOfMonth()));
        return date.atTime(f[F_HOUR], f[F_MINUTE], f[F_SECOND]);
    }

    private static boolean in(int v, int min, int max) {
        return v >= min && v <= max;
    }

    private int[] currentFields() {
        sampleClock();
        LocalDateTime t = LocalDateTime.ofEpochSecond(nowSecond, 0, ZoneOffset.UTC);
        int year = t.getYear();
        return new int[] {t.getSecond(), t.getMinute(), t.getHour(), t.getDayOfMonth(), t.getMonthValue(),
            Math.floorMod(year, 100), Math.floorDiv(year, 100)};
    }

    /** Reads the clock: the guest's local time is the host clock's local time plus the guest's offset. */
    private void sampleClock() {
        Instant instant = clock.instant();
        int zoneOffset = clock.getZone().getRules().getOffset(instant).getTotalSeconds();
        nowSecond = instant.getEpochSecond() + zoneOffset + offsetSeconds;
        nowNano = instant.getNano();
        nowClockNanos = instant.getEpochSecond() * NANOS_PER_SECOND + instant.getNano();
    }

    private long clockNanos() {
        Instant instant = clock.instant();
        return instant.getEpochSecond() * NANOS_PER_SECOND + instant.getNano();
    }

    private long currentTick() {
        return nowSecond * TICKS_PER_SECOND + nowNano * (long) TICKS_PER_SECOND / NANOS_PER_SECOND;
    }

    /** The periodic interrupt's period in 32.768 kHz ticks for register A's RS bits, 0 if off. */
    private int periodTicks() {
        int rs = regA & 0x0F;
        if (rs == 0) {
            return 0;
        }
        // Datasheet table: RS 1 and 2 give 256 and 128 Hz; RS 3-15 give 8192 Hz halving each step.
        return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
    }

    /** Sets the flags of every event between the last call and now, and updates the IRQ line. */
    private void processEvents() {
        sampleClock();
        long tick = currentTick();
        if ((regB & B_SET) == 0 && nowSecond > lastSecond) {
            flags |= C_UF;
            if (alarmMatchedAfter(lastSecond)) {
                flags |= C_AF;
            }
        }
        int period = periodTicks();
        if (period > 0 && Math.floorDiv(tick, period) > Math.floorDiv(lastTick, period)) {
            flags |= C_PF;
        }
        lastSecond = nowSecond;
        lastTick = tick;
        updateLine();
    }

    /** Whether the alarm matched at any second in {@code (from, nowSecond]}; a day covers every pattern. */
    private boolean alarmMatchedAfter(long from) {
        boolean binary = (regB & B_BINARY) != 0;
        boolean hours24 = (regB & B_24_HOUR) != 0;
        int alarmSecond = cmos[SECONDS_ALARM] & 0xFF;
        int alarmMinute = cmos[MINUTES_ALARM] & 0xFF;
        int alarmHour = cmos[HOURS_ALARM] & 0xFF;
        for (long s = Math.max(from + 1, nowSecond - SECONDS_PER_DAY + 1); s <= nowSecond; s++) {
            int secondOfDay = (int) Math.floorMod(s, SECONDS_PER_DAY);
            if (alarmField(alarmSecond, RtcEncoding.encode(secondOfDay % 60, binary))
                    && alarmField(alarmMinute, RtcEncoding.encode(secondOfDay / 60 % 60, binary))
                    && alarmField(alarmHour, RtcEncoding.encodeHours(secondOfDay / 3600, binary, hours24))) {
                return true;
            }
        }
        return false;
    }

    private static boolean alarmField(int alarm, int current) {
        return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == current;
    }

    private boolean irqAsserted() {
        return (flags & regB & INTERRUPT_ENABLES) != 0;
    }

    private void updateLine() {
        boolean high = irqAsserted();
        if (high != lineHigh) {
            lineHigh = high;
            interrupts.setLevel(gsi, high);
        }
    }

    /** Arms the timer for the next enabled event; none is needed while IRQF waits for a read of C. */
    private void rearm() {
        if (irqAsserted()) {
            timer.disarm();
            return;
        }
        long wait = Long.MAX_VALUE;
        int period = periodTicks();
        if ((regB & B_PIE) != 0 && period > 0) {
            long ticksIntoSecond = currentTick() - nowSecond * TICKS_PER_SECOND;
            long nextBoundary = (ticksIntoSecond / period + 1) * period;
            long boundaryNanos = (nextBoundary * NANOS_PER_SECOND + TICKS_PER_SECOND - 1) / TICKS_PER_SECOND;
            wait = Math.min(wait, boundaryNanos - nowNano);
        }
        if ((regB & (B_UIE | B_AIE)) != 0 && (regB & B_SET) == 0) {
            wait = Math.min(wait, NANOS_PER_SECOND - nowNano);
        }
        if (wait == Long.MAX_VALUE) {
            timer.disarm();
        } else {
            timer.armAt(nowClockNanos + Math.max(1, wait));
        }
    }

    private void onTimer() {
        poll();
    }

    /** The IBM PC/AT checksum: the 16-bit sum of bytes 0x10-0x2D, big-endian at 0x2E/0x2F. */
    private void writeChecksum() {
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) {
            sum += cmos[i] & 0xFF;
        }
        cmos[0x2E] = (byte) (sum >>> 8);
        cmos[0x2F] = (byte) sum;
    }
}
