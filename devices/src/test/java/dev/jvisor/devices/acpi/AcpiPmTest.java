package dev.jvisor.devices.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.RecordingInterruptLines;
import dev.jvisor.devices.RecordingPowerControl;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Register-level tests of the ACPI PM1 and PM timer blocks, in the order ACPICA uses them. */
class AcpiPmTest {
    private static final int SCI = 9;
    private static final int S5 = 5;

    private final RecordingPowerControl power = new RecordingPowerControl();
    private final RecordingInterruptLines lines = new RecordingInterruptLines();
    private final AtomicLong nanos = new AtomicLong();
    private final AcpiPm pm = new AcpiPm(power, lines, SCI, S5, true, nanos::get);
    private final BusDevice evt = pm.eventBlock();
    private final BusDevice cnt = pm.controlBlock();
    private final BusDevice tmr = pm.timerBlock();

    @AfterEach
    void close() {
        pm.close();
    }

    @Test
    void sciEnIsAlwaysSet() {
        assertThat(cnt.read(0, 2) & AcpiPm.SCI_EN).isEqualTo(AcpiPm.SCI_EN);
        cnt.write(0, 2, 0);
        assertThat(cnt.read(0, 2) & AcpiPm.SCI_EN).isEqualTo(AcpiPm.SCI_EN);
    }

    @Test
    void s5SleepPowersOff() {
        // acpi_hw_legacy_sleep: write SLP_TYP, then SLP_TYP | SLP_EN.
        int typ = S5 << AcpiPm.SLP_TYP_SHIFT;
        cnt.write(0, 2, typ);
        assertThat(power.powerOffs.get()).isZero();
        assertThat(cnt.read(0, 2)).isEqualTo(typ | AcpiPm.SCI_EN);
        cnt.write(0, 2, typ | AcpiPm.SLP_EN);
        assertThat(power.powerOffs.get()).isEqualTo(1);
        assertThat(cnt.read(0, 2) & AcpiPm.SLP_EN).as("SLP_EN is write-only").isZero();
    }

    @Test
    void s5ThroughAByteWriteOfTheHighHalf() {
        cnt.write(1, 1, (S5 << AcpiPm.SLP_TYP_SHIFT | AcpiPm.SLP_EN) >> 8);
        assertThat(power.powerOffs.get()).isEqualTo(1);
    }

    @Test
    void otherSleepTypesAreIgnored() {
        cnt.write(0, 2, 1 << AcpiPm.SLP_TYP_SHIFT | AcpiPm.SLP_EN);
        assertThat(power.powerOffs.get()).isZero();
        assertThat(power.resets.get()).isZero();
    }

    @Test
    void powerButtonRaisesSciWhenEnabledAndStatusIsWriteOneToClear() {
        // ACPICA at init: disable all events, clear all status bits.
        evt.write(2, 2, 0);
        evt.write(0, 2, 0xFFFF);
        pm.pressPowerButton();
        assertThat(evt.read(0, 2) & AcpiPm.PWRBTN).isEqualTo(AcpiPm.PWRBTN);
        assertThat(lines.isHigh(SCI)).as("not enabled yet").isFalse();
        evt.write(2, 2, AcpiPm.PWRBTN);
        assertThat(lines.isHigh(SCI)).isTrue();
        assertThat(pm.sciHigh()).isTrue();
        evt.write(0, 2, AcpiPm.TMR); // clearing another bit leaves it
        assertThat(lines.isHigh(SCI)).isTrue();
        evt.write(0, 2, AcpiPm.PWRBTN);
        assertThat(lines.isHigh(SCI)).isFalse();
        assertThat(evt.read(0, 2) & AcpiPm.PWRBTN).isZero();
        assertThat(evt.read(2, 2)).isEqualTo(AcpiPm.PWRBTN);
    }

    @Test
    void dwordAccessCoversStatusAndEnable() {
        pm.pressPowerButton();
        evt.write(0, 4, (long) (AcpiPm.PWRBTN | AcpiPm.GBL) << 16);
        assertThat(evt.read(0, 4)).isEqualTo((long) (AcpiPm.PWRBTN | AcpiPm.GBL) << 16 | AcpiPm.PWRBTN);
        evt.write(0, 4, (long) AcpiPm.GBL << 16 | AcpiPm.PWRBTN);
        assertThat(evt.read(0, 4)).isEqualTo((long) AcpiPm.GBL << 16);
        evt.write(2, 2, 0xFFFF);
        assertThat(evt.read(2, 2)).as("reserved enable bits stay 0").isEqualTo(0x4721);
    }

    @Test
    void pmTimerCountsAt3579545Hz() {
        assertThat(tmr.read(0, 4)).isZero();
        nanos.set(1_000_000_000L);
        assertThat(tmr.read(0, 4)).isEqualTo(3_579_545L);
        nanos.set(1_000_000L);
        assertThat(tmr.read(0, 4)).isEqualTo(3_579L);
        assertThat(tmr.read(1, 1)).isEqualTo(3_579L >> 8);
        assertThat(tmr.read(2, 4) & 0xFFFF_FFFFL).as("bytes past the register read as ones").isEqualTo(0xFFFF_0000L);
        tmr.write(0, 4, 0); // read-only
        assertThat(tmr.read(0, 4)).isEqualTo(3_579L);
        // 32-bit wrap after 2^32 ticks (about 20 minutes).
        nanos.set(1_200_000_000_000L);
        assertThat(tmr.read(0, 4)).isEqualTo((1_200L * 3_579_545L) & 0xFFFF_FFFFL);
    }

    @Test
    void twentyFourBitTimerWrapsAndSetsTmrStsOnEachTopBitChange() {
        try (AcpiPm narrow = new AcpiPm(power, lines, SCI, S5, false, nanos::get)) {
            BusDevice events = narrow.eventBlock();
            nanos.set(4_000_000_000L); // 14318180 ticks: past 2^23 (once) and 2^24 (top bit changed twice)
            assertThat(narrow.timerBlock().read(0, 4)).isEqualTo(14_318_180L & 0xFF_FFFF);
            assertThat(events.read(0, 2) & AcpiPm.TMR).isEqualTo(AcpiPm.TMR);
            events.write(0, 2, AcpiPm.TMR);
            assertThat(events.read(0, 2) & AcpiPm.TMR).isZero();
            events.write(2, 2, AcpiPm.TMR);
            assertThat(lines.isHigh(SCI)).isFalse();
            nanos.addAndGet(2_400_000_000L); // more than 2^23 ticks later
            assertThat(events.read(0, 2) & AcpiPm.TMR).isEqualTo(AcpiPm.TMR);
            assertThat(lines.isHigh(SCI)).isTrue();
        }
    }

    @Test
    void timerCarryInterruptArrivesOnItsOwn() throws InterruptedException {
        // A real-rate time source starting a few milliseconds before the 24-bit counter's top bit
        // first changes (2^23 ticks = 2.3435 s).
        long start = System.nanoTime();
        RecordingInterruptLines async = new RecordingInterruptLines();
        try (AcpiPm live = new AcpiPm(power, async, SCI, S5, false, () -> 2_340_000_000L + System.nanoTime() - start)) {
            live.eventBlock().write(2, 2, AcpiPm.TMR);
            for (int i = 0; i < 3000 && !async.isHigh(SCI); i++) {
                Thread.sleep(10);
            }
            assertThat(async.isHigh(SCI)).isTrue();
        }
    }

    @Test
    void rejectsASleepTypeOutsideThreeBits() {
        assertThatThrownBy(() -> new AcpiPm(power, lines, SCI, 8, true, nanos::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SLP_TYP");
    }
}
