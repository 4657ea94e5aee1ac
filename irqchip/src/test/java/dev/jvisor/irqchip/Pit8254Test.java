package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The 8254 and port 0x61 at the register level, on a hand-driven clock. */
class Pit8254Test {
    private final Fixture f = new Fixture();

    private void atTick(long tick) {
        f.advanceTo(Fixture.pitNanos(tick));
        assertThat(f.pitTick()).isEqualTo(tick);
    }

    private boolean out2() {
        return (f.inb(0x61) & 0x20) != 0;
    }

    private int readWord(int port) {
        int lsb = f.inb(port);
        return lsb | f.inb(port) << 8;
    }

    /** Gate high, speaker off, counter 2 in {@code mode} with LSB-then-MSB binary count. */
    private long programCounter2(int mode, int count) {
        f.outb(0x61, (f.inb(0x61) & ~0x02) | 0x01);
        f.outb(0x43, 0xB0 | mode << 1);
        f.outb(0x42, count & 0xFF);
        long tick = f.pitTick();
        f.outb(0x42, count >>> 8);
        return tick;
    }

    @Test
    void pitCalibrateTscSequence() {
        // arch/x86/kernel/tsc.c pit_calibrate_tsc(): CAL_LATCH for 10 ms, poll port 0x61 bit 5.
        int latch = (int) (Pit8254.FREQUENCY_HZ / 100);
        f.advance(12_345);
        long startTsc = f.clock.tsc();
        long written = programCounter2(0, latch);
        int polls = 0;
        while (!out2()) {
            f.advance(1_000);
            polls++;
        }
        long elapsedTsc = f.clock.tsc() - startTsc;
        // OUT rises N + 1 input clocks after the count is written (datasheet, mode 0).
        assertThat(f.pitTick()).isEqualTo(written + 1 + latch);
        assertThat(polls).isBetween(10_000, 10_002);
        long estimatedHz = elapsedTsc * Pit8254.FREQUENCY_HZ / (latch + 1);
        assertThat(estimatedHz).isCloseTo(Fixture.TSC_HZ, org.assertj.core.data.Percentage.withPercentage(0.02));
    }

    @Test
    void quickPitCalibrateSeesTheMsbCountDown() {
        // quick_pit_calibrate(): counter 2 mode 0 from 0xFFFF, unlatched LSB/MSB reads.
        programCounter2(0, 0xFFFF);
        f.inb(0x42);
        f.inb(0x42);
        List<Integer> msbs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            f.advance(20_000); // about 24 PIT ticks per read
            f.inb(0x42);
            msbs.add(f.inb(0x42));
        }
        assertThat(msbs.getFirst()).isEqualTo(0xFF);
        for (int i = 1; i < msbs.size(); i++) {
            assertThat(msbs.get(i)).isBetween(msbs.get(i - 1) - 1, msbs.get(i - 1));
        }
        // 200 * 20 us = 4 ms = 4773 ticks: 18 full steps of 256
        assertThat(msbs.getLast()).isBetween(0xFF - 19, 0xFF - 17);
    }

    @Test
    void counterLatchFreezesTheReadValue() {
        long written = programCounter2(0, 5000);
        atTick(written + 101);
        f.outb(0x43, 0x80); // latch counter 2
        atTick(written + 301);
        f.outb(0x43, 0x80); // ignored: still latched
        assertThat(readWord(0x42)).isEqualTo(4900);
        assertThat(readWord(0x42)).as("live again").isEqualTo(4700);
    }

    @Test
    void readBackStatusAndCount() {
        f.outb(0x61, 0x01);
        f.outb(0x43, 0xB0);
        f.outb(0x43, 0xE8); // read-back: status only, counter 2
        assertThat(f.inb(0x42)).as("OUT low, null count, LSB/MSB, mode 0").isEqualTo(0x70);
        long written = programCounter2(0, 100);
        f.outb(0x43, 0xE8);
        assertThat(f.inb(0x42)).as("count written, not yet loaded").isEqualTo(0x70);
        atTick(written + 1 + 100);
        f.outb(0x43, 0xC8); // read-back: count and status
        assertThat(f.inb(0x42)).as("OUT high, loaded").isEqualTo(0xB0);
        assertThat(readWord(0x42)).isZero();
    }

    @Test
    void linuxPeriodicTickInMode2() {
        f.pitPeriodic(4773); // HZ = 250
        long written = f.pitTick();
        f.linuxInitPic(false, 0xFA, 0xFF);
        assertThat(f.platform.nextDeadline(0)).isEqualTo(Fixture.pitNanos(written + 1 + 4773));
        for (int period = 1; period <= 10; period++) {
            assertThat(f.runToNextDeadline(0)).isTrue();
            assertThat(f.pitTick()).isEqualTo(written + 1 + 4773L * period);
            assertThat(f.platform.pic().intr()).isTrue();
            assertThat(f.platform.pic().acknowledge()).isEqualTo(0x30);
            f.linuxAckPic(0);
            assertThat(f.platform.pic().intr()).isFalse();
        }
    }

    @Test
    void missedPeriodsMergeIntoOneInterrupt() {
        f.pitPeriodic(1000);
        f.linuxInitPic(false, 0xFA, 0xFF);
        f.advance(10_000_000); // about 12 periods
        f.platform.updateTimers(0, f.now());
        assertThat(f.platform.pic().acknowledge()).isEqualTo(0x30);
        f.linuxAckPic(0);
        assertThat(f.platform.pic().intr()).isFalse();
        assertThat(f.platform.nextDeadline(0)).isGreaterThan(f.now());
    }

    @Test
    void mode0InterruptsOnceAtTerminalCount() {
        f.outb(0x43, 0x30);
        f.outb(0x40, 1000 & 0xFF);
        f.outb(0x40, 1000 >>> 8);
        long written = f.pitTick();
        f.linuxInitPic(false, 0xFA, 0xFF);
        assertThat(f.runToNextDeadline(0)).isTrue();
        assertThat(f.pitTick()).isEqualTo(written + 1001);
        assertThat(f.platform.pic().acknowledge()).isEqualTo(0x30);
        f.linuxAckPic(0);
        assertThat(f.platform.nextDeadline(0)).isEqualTo(Long.MAX_VALUE);
        atTick(written + 1002);
        f.outb(0x43, 0x00);
        assertThat(readWord(0x40)).as("counter wraps on after zero").isEqualTo(0xFFFF);
    }

    @Test
    void mode4OneShotAsLinuxClockevent() {
        f.outb(0x43, 0x38); // pit_set_oneshot
        f.linuxInitPic(false, 0xFA, 0xFF);
        f.outb(0x40, 200); // pit_next_event
        f.outb(0x40, 0);
        long written = f.pitTick();
        // loaded on the next pulse, strobes low N pulses later, rises again one pulse after that
        assertThat(f.platform.nextDeadline(0)).isEqualTo(Fixture.pitNanos(written + 1 + 200 + 1));
        assertThat(f.runToNextDeadline(0)).isTrue();
        assertThat(f.platform.pic().acknowledge()).isEqualTo(0x30);
        f.linuxAckPic(0);
        assertThat(f.platform.nextDeadline(0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void mode3SquareWaveLevelsAndCounts() {
        long written = programCounter2(3, 10);
        long base = written + 1;
        int[] expectedCounts = {10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10};
        for (int e = 0; e <= 10; e++) {
            atTick(base + e);
            assertThat(out2()).as("OUT at %d", e).isEqualTo(e % 10 < 5);
            f.outb(0x43, 0x80);
            assertThat(readWord(0x42)).as("count at %d", e).isEqualTo(expectedCounts[e]);
        }
    }

    @Test
    void mode3OddCountIsHighOneLonger() {
        long written = programCounter2(3, 5);
        long base = written + 1;
        int[] counts = {4, 2, 0, 4, 2};
        boolean[] levels = {true, true, true, false, false};
        for (int e = 0; e < 5; e++) {
            atTick(base + e);
            assertThat(out2()).isEqualTo(levels[e]);
            f.outb(0x43, 0x80);
            assertThat(readWord(0x42)).isEqualTo(counts[e]);
        }
    }

    @Test
    void mode2NewCountWaitsForTheEndOfThePeriod() {
        f.linuxInitPic(false, 0xFA, 0xFF);
        f.pitPeriodic(100);
        long base = f.pitTick() + 1;
        atTick(base + 30);
        f.outb(0x40, 50);
        f.outb(0x40, 0);
        f.outb(0x43, 0xE2); // read-back status of counter 0
        assertThat(f.inb(0x40) & 0x40).as("null count until reload").isNotZero();
        List<Long> edges = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            f.runToNextDeadline(0);
            edges.add(f.pitTick() - base);
            f.drain(0);
            f.platform.pic().acknowledge();
            f.linuxAckPic(0);
        }
        assertThat(edges).containsExactly(100L, 150L, 200L);
    }

    @Test
    void mode3NewCountWaitsForTheEndOfTheHalfCycle() {
        f.linuxInitPic(false, 0xFA, 0xFF);
        f.outb(0x43, 0x36);
        f.outb(0x40, 100);
        f.outb(0x40, 0);
        long base = f.pitTick() + 1;
        atTick(base + 10); // high half of the first period
        f.outb(0x40, 40);
        f.outb(0x40, 0);
        // switch at base + 50 into the new count's low half (20 ticks), so OUT rises at base + 70
        f.runToNextDeadline(0);
        assertThat(f.pitTick() - base).isEqualTo(70);
        f.platform.pic().acknowledge();
        f.linuxAckPic(0);
        f.runToNextDeadline(0);
        assertThat(f.pitTick() - base).isEqualTo(110);
    }

    @Test
    void gateLowSuspendsMode0Counting() {
        long written = programCounter2(0, 1000);
        atTick(written + 101);
        f.outb(0x61, 0x00); // gate low
        atTick(written + 5001);
        f.outb(0x43, 0x80);
        assertThat(readWord(0x42)).isEqualTo(900);
        assertThat(out2()).isFalse();
        f.outb(0x61, 0x01);
        long resumed = f.pitTick();
        atTick(resumed + 900);
        assertThat(out2()).isTrue();
    }

    @Test
    void mode1IsAGateTriggeredOneShot() {
        f.outb(0x61, 0x00);
        f.outb(0x43, 0xB2);
        f.outb(0x42, 50);
        f.outb(0x42, 0);
        f.advance(100_000);
        assertThat(out2()).as("waits for a trigger").isTrue();
        f.outb(0x61, 0x01);
        long trigger = f.pitTick();
        atTick(trigger + 1);
        assertThat(out2()).isFalse();
        atTick(trigger + 50);
        assertThat(out2()).isFalse();
        atTick(trigger + 51);
        assertThat(out2()).isTrue();
    }

    @Test
    void mode5StrobesAfterTheTrigger() {
        f.outb(0x61, 0x00);
        f.outb(0x43, 0xBA);
        f.outb(0x42, 20);
        f.outb(0x42, 0);
        f.outb(0x61, 0x01);
        long trigger = f.pitTick();
        atTick(trigger + 20);
        assertThat(out2()).isTrue();
        atTick(trigger + 21);
        assertThat(out2()).isFalse();
        atTick(trigger + 22);
        assertThat(out2()).isTrue();
    }

    @Test
    void bcdCounting() {
        f.outb(0x61, 0x01);
        f.outb(0x43, 0xB1); // counter 2, LSB/MSB, mode 0, BCD
        f.outb(0x42, 0x00);
        f.outb(0x42, 0x01); // 0100 decimal
        long written = f.pitTick();
        atTick(written + 11);
        f.outb(0x43, 0x80);
        assertThat(readWord(0x42)).isEqualTo(0x0090);
        atTick(written + 102);
        f.outb(0x43, 0x80);
        assertThat(readWord(0x42)).as("wraps to 9999").isEqualTo(0x9999);
    }

    @Test
    void singleByteAccessModes() {
        f.outb(0x61, 0x01);
        f.outb(0x43, 0x90); // counter 2, LSB only, mode 0
        f.outb(0x42, 0x40);
        long written = f.pitTick();
        atTick(written + 1);
        assertThat(f.inb(0x42)).isEqualTo(0x40);
        assertThat(f.inb(0x42)).isEqualTo(0x40);
        f.outb(0x43, 0xA0); // MSB only
        f.outb(0x42, 0x12);
        written = f.pitTick();
        atTick(written + 1 + 0x100);
        assertThat(f.inb(0x42)).isEqualTo(0x11);
    }

    @Test
    void portBBits() {
        f.outb(0x61, 0xFF);
        assertThat(f.inb(0x61) & 0xCF).as("bits 0-3 writable, 6-7 clear").isEqualTo(0x0F);
        assertThat(f.platform.pit().gate2()).isTrue();
        f.outb(0x61, 0x00);
        assertThat(f.platform.pit().gate2()).isFalse();
        int first = f.inb(0x61) & 0x10;
        atTick((f.pitTick() / 18 + 1) * 18);
        assertThat(f.inb(0x61) & 0x10).as("refresh toggles every 18 PIT clocks").isNotEqualTo(first);
        assertThat(f.inb(0x43)).isEqualTo(0xFF);
    }

    @Test
    void powerOnCounter0Runs() {
        assertThat(f.platform.pit().nextDeadline()).isEqualTo(Fixture.pitNanos(1 + 65536));
    }
}
