package dev.jvisor.devices.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.RecordingInterruptLines;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Register-level tests following Linux's mc146818 helpers (drivers/rtc/rtc-mc146818-lib.c) and rtc-cmos. */
class CmosRtcTest {
    private static final int IRQ = 8;
    private static final long MIB = 1024 * 1024;

    private final MutableClock clock = new MutableClock("2024-02-29T13:45:07.250Z"); // a Thursday
    private final RecordingInterruptLines lines = new RecordingInterruptLines();
    private final CmosRtc rtc = new CmosRtc(clock, lines, IRQ, new CmosMemorySize(512 * MIB, 1024 * MIB));

    @AfterEach
    void close() {
        rtc.close();
    }

    private int cmosRead(int index) {
        rtc.write(0, 1, index);
        return (int) rtc.read(1, 1);
    }

    private void cmosWrite(int index, int value) {
        rtc.write(0, 1, index);
        rtc.write(1, 1, value);
    }

    @Test
    void readsTheDateInBcdByDefault() {
        assertThat(cmosRead(CmosRtc.REG_B) & (CmosRtc.B_BINARY | CmosRtc.B_24_HOUR)).isEqualTo(CmosRtc.B_24_HOUR);
        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(0x07);
        assertThat(cmosRead(CmosRtc.MINUTES)).isEqualTo(0x45);
        assertThat(cmosRead(CmosRtc.HOURS)).isEqualTo(0x13);
        assertThat(cmosRead(CmosRtc.WEEKDAY)).isEqualTo(5); // Sunday = 1
        assertThat(cmosRead(CmosRtc.DAY_OF_MONTH)).isEqualTo(0x29);
        assertThat(cmosRead(CmosRtc.MONTH)).isEqualTo(0x02);
        assertThat(cmosRead(CmosRtc.YEAR)).isEqualTo(0x24);
        assertThat(cmosRead(CmosRtc.CENTURY)).isEqualTo(0x20);
        assertThat(cmosRead(CmosRtc.REG_D)).isEqualTo(CmosRtc.D_VRT);
    }

    @Test
    void binaryAndTwelveHourModesAreHonouredOnRead() {
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_BINARY);
        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(7);
        assertThat(cmosRead(CmosRtc.MINUTES)).isEqualTo(45);
        assertThat(cmosRead(CmosRtc.HOURS)).isEqualTo(0x80 | 1); // 1 PM
        assertThat(cmosRead(CmosRtc.YEAR)).isEqualTo(24);
        assertThat(cmosRead(CmosRtc.CENTURY)).isEqualTo(20);
        cmosWrite(CmosRtc.REG_B, 0);
        assertThat(cmosRead(CmosRtc.HOURS)).isEqualTo(0x81);
    }

    @Test
    void timeFollowsTheClock() {
        clock.advance(Duration.ofHours(11).plusMinutes(15));
        assertThat(cmosRead(CmosRtc.HOURS)).isEqualTo(0x01);
        assertThat(cmosRead(CmosRtc.DAY_OF_MONTH)).isEqualTo(0x01);
        assertThat(cmosRead(CmosRtc.MONTH)).isEqualTo(0x03);
        assertThat(cmosRead(CmosRtc.WEEKDAY)).isEqualTo(6);
    }

    @Test
    void showsLocalTimeOfTheClocksZone() {
        MutableClock paris = new MutableClock(Instant.parse("2024-07-01T10:00:00Z"), ZoneId.of("Europe/Paris"));
        try (CmosRtc local = new CmosRtc(paris, lines, IRQ, new CmosMemorySize(64 * MIB, 0))) {
            local.write(0, 1, CmosRtc.HOURS);
            assertThat(local.read(1, 1)).isEqualTo(0x12); // UTC+2 in summer
        }
    }

    @Test
    void guestSetsTheTimeTheWayLinuxDoes() {
        // mc146818_set_time: SET on, divider reset, write the fields, restore B and A.
        int savedControl = cmosRead(CmosRtc.REG_B);
        cmosWrite(CmosRtc.REG_B, savedControl | CmosRtc.B_SET);
        int savedFreq = cmosRead(CmosRtc.REG_A);
        cmosWrite(CmosRtc.REG_A, savedFreq | 0x70);
        cmosWrite(CmosRtc.YEAR, 0x99);
        cmosWrite(CmosRtc.MONTH, 0x12);
        cmosWrite(CmosRtc.DAY_OF_MONTH, 0x31);
        cmosWrite(CmosRtc.HOURS, 0x23);
        cmosWrite(CmosRtc.MINUTES, 0x59);
        cmosWrite(CmosRtc.SECONDS, 0x58);
        cmosWrite(CmosRtc.CENTURY, 0x19);
        // While SET is held the registers show what was written, frozen.
        clock.advance(Duration.ofSeconds(5));
        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(0x58);
        cmosWrite(CmosRtc.REG_B, savedControl);
        cmosWrite(CmosRtc.REG_A, savedFreq);

        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(0x58);
        clock.advance(Duration.ofSeconds(3));
        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(0x01);
        assertThat(cmosRead(CmosRtc.MINUTES)).isEqualTo(0x00);
        assertThat(cmosRead(CmosRtc.YEAR)).isEqualTo(0x00);
        assertThat(cmosRead(CmosRtc.CENTURY)).isEqualTo(0x20);
        assertThat(cmosRead(CmosRtc.MONTH)).isEqualTo(0x01);
    }

    @Test
    void guestSetsTheTimeInBinaryTwelveHourModeWithoutSet() {
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_BINARY);
        cmosWrite(CmosRtc.HOURS, 0x80 | 9); // 9 PM
        cmosWrite(CmosRtc.MINUTES, 30);
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR);
        assertThat(cmosRead(CmosRtc.HOURS)).isEqualTo(0x21);
        assertThat(cmosRead(CmosRtc.MINUTES)).isEqualTo(0x30);
        assertThat(cmosRead(CmosRtc.SECONDS)).isEqualTo(0x07);
        assertThat(cmosRead(CmosRtc.DAY_OF_MONTH)).isEqualTo(0x29);
    }

    @Test
    void anInvalidTimeIsRefusedAndTheClockKeepsRunning() {
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_SET | CmosRtc.B_24_HOUR);
        cmosWrite(CmosRtc.MONTH, 0x13);
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR);
        assertThat(cmosRead(CmosRtc.MONTH)).isEqualTo(0x02);
        cmosWrite(CmosRtc.MINUTES, 0x7A); // not BCD
        assertThat(cmosRead(CmosRtc.MINUTES)).isEqualTo(0x45);
        // A day past the month's end is clamped rather than refused: Feb 31 → Feb 29.
        cmosWrite(CmosRtc.DAY_OF_MONTH, 0x31);
        assertThat(cmosRead(CmosRtc.DAY_OF_MONTH)).isEqualTo(0x29);
    }

    @Test
    void uipIsSetOnlyJustBeforeTheSecondRollsOver() {
        assertThat(cmosRead(CmosRtc.REG_A)).isEqualTo(0x26);
        clock.advance(Duration.ofMillis(749).plusNanos(800_000)); // .9998: 200 µs before the update
        assertThat(cmosRead(CmosRtc.REG_A) & CmosRtc.A_UIP).isEqualTo(CmosRtc.A_UIP);
        clock.advance(Duration.ofMillis(1));
        assertThat(cmosRead(CmosRtc.REG_A) & CmosRtc.A_UIP).isZero();
        cmosWrite(CmosRtc.REG_A, 0xA6); // UIP is read-only
        assertThat(cmosRead(CmosRtc.REG_A)).isEqualTo(0x26);
    }

    @Test
    void updateEndedInterruptUntilRegisterCIsRead() {
        cmosRead(CmosRtc.REG_C);
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_UIE);
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isTrue();
        // PF is set too (the default 1024 Hz rate runs), but only UF is enabled to interrupt.
        assertThat(cmosRead(CmosRtc.REG_C)).isEqualTo(CmosRtc.C_IRQF | CmosRtc.C_UF | CmosRtc.C_PF);
        assertThat(lines.isHigh(IRQ)).isFalse();
        assertThat(cmosRead(CmosRtc.REG_C)).isZero();
    }

    @Test
    void flagsAreSetEvenWhenTheirInterruptIsDisabled() {
        cmosRead(CmosRtc.REG_C);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cmosRead(CmosRtc.REG_C)).isEqualTo(CmosRtc.C_UF | CmosRtc.C_PF);
        assertThat(lines.changes()).isEmpty();
    }

    @Test
    void periodicInterruptAtTheRateOfRegisterA() {
        cmosRead(CmosRtc.REG_C);
        cmosWrite(CmosRtc.REG_A, 0x2F); // RS = 15: 2 Hz
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_PIE);
        clock.advance(Duration.ofMillis(200)); // .45: before the next 500 ms boundary
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isFalse();
        clock.advance(Duration.ofMillis(100)); // .55
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isTrue();
        assertThat(cmosRead(CmosRtc.REG_C)).isEqualTo(CmosRtc.C_IRQF | CmosRtc.C_PF);

        cmosWrite(CmosRtc.REG_A, 0x26); // 1024 Hz
        clock.advance(Duration.ofNanos(976_563));
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isTrue();
        cmosWrite(CmosRtc.REG_A, 0x20); // RS = 0: off
        cmosRead(CmosRtc.REG_C);
        clock.advance(Duration.ofMillis(100));
        assertThat(cmosRead(CmosRtc.REG_C) & CmosRtc.C_PF).isZero();
    }

    @Test
    void alarmFiresWhenTheTimeMatches() {
        cmosRead(CmosRtc.REG_C);
        cmosWrite(CmosRtc.SECONDS_ALARM, 0x10);
        cmosWrite(CmosRtc.MINUTES_ALARM, 0xFF); // don't care
        cmosWrite(CmosRtc.HOURS_ALARM, 0x13);
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_AIE);
        clock.advance(Duration.ofSeconds(2)); // 13:45:09
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isFalse();
        clock.advance(Duration.ofSeconds(1)); // 13:45:10
        rtc.poll();
        assertThat(lines.isHigh(IRQ)).isTrue();
        assertThat(cmosRead(CmosRtc.REG_C)).isEqualTo(CmosRtc.C_IRQF | CmosRtc.C_AF | CmosRtc.C_UF | CmosRtc.C_PF);
        // A match the guest did not look at in time is still reported (here a minute later).
        clock.advance(Duration.ofSeconds(65));
        assertThat(cmosRead(CmosRtc.REG_C) & CmosRtc.C_AF).isEqualTo(CmosRtc.C_AF);
    }

    @Test
    void settingSetClearsUieAndStopsUpdates() {
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_UIE);
        cmosWrite(CmosRtc.REG_B, CmosRtc.B_24_HOUR | CmosRtc.B_UIE | CmosRtc.B_SET);
        assertThat(cmosRead(CmosRtc.REG_B)).isEqualTo(CmosRtc.B_24_HOUR | CmosRtc.B_SET);
        cmosRead(CmosRtc.REG_C);
        clock.advance(Duration.ofSeconds(3));
        assertThat(cmosRead(CmosRtc.REG_C) & CmosRtc.C_UF).isZero();
    }

    @Test
    void timerDeliversUpdateInterruptsOnItsOwn() throws InterruptedException {
        RecordingInterruptLines async = new RecordingInterruptLines();
        try (CmosRtc live = new CmosRtc(Clock.systemUTC(), async, IRQ, new CmosMemorySize(64 * MIB, 0))) {
            live.write(0, 1, CmosRtc.REG_B);
            live.write(1, 1, CmosRtc.B_24_HOUR | CmosRtc.B_UIE);
            for (int i = 0; i < 3000 && !async.isHigh(IRQ); i++) {
                Thread.sleep(10);
            }
            assertThat(async.isHigh(IRQ)).as("an update interrupt within 30 s of wall time").isTrue();
        }
    }

    @Test
    void nvramAndBiosMemoryFields() {
        cmosWrite(0x40, 0xA5);
        assertThat(cmosRead(0x40)).isEqualTo(0xA5);
        assertThat(cmosRead(0x15) | cmosRead(0x16) << 8).isEqualTo(640);
        int extendedKib = 511 * 1024;
        assertThat(cmosRead(0x17) | cmosRead(0x18) << 8).isEqualTo(Math.min(extendedKib, 0xFFFF));
        assertThat(cmosRead(0x30) | cmosRead(0x31) << 8).isEqualTo(0xFFFF);
        assertThat(cmosRead(0x34) | cmosRead(0x35) << 8).isEqualTo((512 - 16) * 16);
        assertThat(cmosRead(0x5B) | cmosRead(0x5C) << 8 | cmosRead(0x5D) << 16).isEqualTo(1024 * 16);
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) {
            sum += cmosRead(i);
        }
        assertThat(cmosRead(0x2E) << 8 | cmosRead(0x2F)).isEqualTo(sum);
        cmosWrite(CmosRtc.REG_C, 0xFF);
        cmosWrite(CmosRtc.REG_D, 0x00);
        assertThat(cmosRead(CmosRtc.REG_D)).isEqualTo(CmosRtc.D_VRT);
    }

    @Test
    void smallMemoryAndTheNmiBit() {
        try (CmosRtc small = new CmosRtc(clock, lines, IRQ, new CmosMemorySize(16 * MIB, 0))) {
            small.write(0, 1, 0x80 | 0x34);
            assertThat(small.nmiDisabled()).isTrue();
            assertThat(small.read(1, 1)).isZero();
            small.write(0, 1, 0x17);
            assertThat(small.nmiDisabled()).isFalse();
            long low = small.read(1, 1);
            small.write(0, 1, 0x18);
            assertThat(low | small.read(1, 1) << 8).isEqualTo(15 * 1024);
            assertThat(small.read(0, 1)).as("index port is write-only").isEqualTo(0xFF);
        }
    }
}
