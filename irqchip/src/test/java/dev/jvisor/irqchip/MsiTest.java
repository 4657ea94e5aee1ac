package dev.jvisor.irqchip;

import dev.jvisor.hypervisor.InterruptLines;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Message-signalled interrupts as PCI devices send them (Intel SDM Vol. 3A 10.11). */
class MsiTest {
    private final Fixture f = new Fixture(2);
    private final InterruptLines lines = f.platform.lines();

    @BeforeEach
    void enableApics() {
        f.enableApic(0);
        f.enableApic(1);
    }

    @Test
    void physicalFixedMessage() {
        lines.signalMsi(0xFEE0_1000L, 0x41);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(1).acknowledge()).isEqualTo(0x41);
    }

    @Test
    void logicalWithRedirectionHintGoesToTheLowestPriority() {
        f.apicWrite(0, LDR, 0x0100_0000);
        f.apicWrite(1, LDR, 0x0200_0000);
        f.apicWrite(1, TPR, 0x80);
        lines.signalMsi(0xFEE0_300CL, 0x42); // destination 0x03, RH = 1, DM = logical
        assertThat(f.lapic(1).interruptPending()).isFalse();
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x42);
        lines.signalMsi(0xFEE0_3004L, 0x43); // RH = 0: every processor of the set
        assertThat(f.apicRead(0, IRR + 0x20) & (1 << 3)).isNotZero();
        assertThat(f.apicRead(1, IRR + 0x20) & (1 << 3)).isNotZero();
    }

    @Test
    void levelTriggerModeMarksTmr() {
        lines.signalMsi(0xFEE0_0000L, 0xC051);
        assertThat(f.apicRead(0, TMR + 0x20) & (1 << 17)).isNotZero();
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x51);
    }

    @Test
    void nmiMessage() {
        lines.signalMsi(0xFEE0_1000L, 0x0400);
        assertThat(f.lapic(1).nmiPending()).isTrue();
    }

    @Test
    void messageOutsideTheInterruptWindowIsDropped() {
        lines.signalMsi(0x1000_0000L, 0x41);
        lines.signalMsi(0xFEE0_0000L | 1L << 32, 0x41);
        assertThat(f.lapic(0).pendingEvents()).isZero();
        assertThat(f.lapic(1).pendingEvents()).isZero();
        assertThat(f.platform.rejectedMsis()).isEqualTo(2);
    }
}
