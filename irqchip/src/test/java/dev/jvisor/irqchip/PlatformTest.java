package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Port and MMIO dispatch, interrupt line validation and timer plumbing of {@link Platform}. */
class PlatformTest {
    private final Fixture f = new Fixture(2);
    private final Platform platform = f.platform;

    @Test
    void claimsTheLegacyChipPorts() {
        for (int port : new int[] {0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x4D0, 0x4D1}) {
            assertThat(platform.handlesPort(port)).as("port %#x", port).isTrue();
        }
        for (int port : new int[] {0x22, 0x44, 0x60, 0x70, 0x80, 0x3F8, 0xCF8}) {
            assertThat(platform.handlesPort(port)).as("port %#x", port).isFalse();
        }
    }

    @Test
    void wideAccessesSplitIntoBytePorts() {
        f.linuxInitPic(false, 0xFB, 0xFF);
        f.outb(0x20, 0x0A);
        assertThat(platform.pioRead(0x20, 2)).as("IRR then IMR").isEqualTo(0xFB00);
        platform.pioWrite(0xA0, 2, 0xF700); // OCW2 no-op to 0xA0, IMR 0xF7 to 0xA1
        assertThat(f.inb(0xA1)).isEqualTo(0xF7);
        assertThat(platform.pioRead(0x60, 1)).as("not ours").isEqualTo(0xFF);
        assertThat(platform.pioRead(0x4D0, 4)).isEqualTo(0xFFFF_0000L);
    }

    @Test
    void rejectsImpossibleAccesses() {
        assertThatThrownBy(() -> platform.pioRead(0x20, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.pioWrite(0x20, 8, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.pioRead(0xFFFF, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.pioRead(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.mmioRead(0x1000, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.lapic(2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> platform.nextDeadline(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mmioWindowIsTheIoapic() {
        assertThat(platform.handlesMmio(Ioapic.DEFAULT_BASE)).isTrue();
        assertThat(platform.handlesMmio(Ioapic.DEFAULT_BASE + 0xFFF)).isTrue();
        assertThat(platform.handlesMmio(Ioapic.DEFAULT_BASE + 0x1000)).isFalse();
        assertThat(platform.handlesMmio(LocalApic.DEFAULT_BASE)).as("the LAPIC page is per vCPU").isFalse();
        assertThat(platform.mmioRead(0x1000, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(platform.mmioRead(0x1000, 8)).isEqualTo(-1L);
        platform.mmioWrite(0x1000, 4, 0); // dropped
    }

    @Test
    void devicesDriveOnlyTheirOwnLines() {
        assertThatThrownBy(() -> platform.lines().setLevel(0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8259");
        assertThatThrownBy(() -> platform.lines().setLevel(2, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PIT");
        assertThatThrownBy(() -> platform.lines().setLevel(-3, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isaLinesReachBothThePicAndTheIoapic() {
        f.linuxInitPic(false, 0xFB & ~(1 << 4), 0xFF);
        f.enableApic(0);
        f.programPin(4, 0x24);
        platform.lines().pulse(4);
        assertThat(platform.pic().intr()).isTrue();
        assertThat(f.lapic(0).interruptPending()).isTrue();
        assertThat(platform.pic().acknowledge()).isEqualTo(0x34);
        f.linuxAckPic(4);
        f.programPin(20, 1L << 15 | 0x54);
        platform.lines().setLevel(20, true); // above 15: IOAPIC only
        assertThat(platform.pic().intr()).isFalse();
        assertThat(f.apicRead(0, Fixture.IRR + 0x20) & (1 << 20)).isNotZero();
    }

    @Test
    void bspTimersShareTheBspsDeadline() {
        f.outb(0x43, 0x30); // stop the power-on PIT from ticking
        List<Long> fired = new ArrayList<>();
        long[] next = {f.now() + 5_000};
        platform.addBspTimer(new TimerSource() {
            @Override
            public long nextDeadline() {
                return next[0];
            }

            @Override
            public void fire(long nowNanos) {
                fired.add(nowNanos);
                next[0] = Long.MAX_VALUE;
            }
        });
        assertThat(platform.nextDeadline(0)).isEqualTo(next[0]);
        assertThat(platform.nextDeadline(1)).as("APs only see their own APIC timer").isEqualTo(Long.MAX_VALUE);
        platform.updateTimers(0, f.now());
        assertThat(fired).isEmpty();
        long due = next[0];
        f.runToNextDeadline(0);
        assertThat(fired).containsExactly(due);
        assertThat(platform.nextDeadline(0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void constructorChecksItsArguments() {
        VirtualClock clock = new VirtualClock();
        assertThatThrownBy(() -> new Platform(clock, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Platform(clock, 255)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Platform(clock, 2, 16, 46)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Platform(clock, 2, 2, 64)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Platform(null, 2)).isInstanceOf(NullPointerException.class);
        Platform big = new Platform(clock, 20);
        assertThat(big.ioapic().id()).isZero();
        assertThat(big.lapic(19).apicId()).isEqualTo(19);
        assertThat(Platform.defaultIoapicId(4)).isEqualTo(4);
        assertThat(new Platform(clock, 1, 5, 40).lapic(0).readApicBase()).isEqualTo(0xFEE0_0900L);
    }
}
