package dev.jvisor.irqchip;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The IOAPIC through its IOREGSEL/IOWIN window (82093AA datasheet), delivering to local APICs. */
class IoapicTest {
    private static final long MASKED = 1L << 16;
    private static final long LEVEL = 1L << 15;
    private static final long REMOTE_IRR = 1L << 14;
    private static final long LOGICAL = 1L << 11;

    private final Fixture f = new Fixture(2);

    @BeforeEach
    void enableApics() {
        f.enableApic(0);
        f.enableApic(1);
    }

    private static long toCpu(int apicId, int vector) {
        return (long) apicId << 56 | vector;
    }

    @Test
    void identificationRegisters() {
        assertThat(f.ioapicRead(0x00)).isEqualTo(2 << 24);
        assertThat(f.ioapicRead(0x01)).isEqualTo(0x0017_0020);
        f.ioapicWrite(0x00, 0x0900_0000);
        assertThat(f.ioapicRead(0x00)).isEqualTo(9 << 24);
        assertThat(f.ioapicRead(0x02)).isEqualTo(9 << 24);
        assertThat(f.platform.ioapic().id()).isEqualTo(9);
        f.ioapicWrite(0x01, 0);
        assertThat(f.ioapicRead(0x01)).as("read-only").isEqualTo(0x0017_0020);
        assertThat(f.ioapicRead(0x7F)).isZero();
        for (int pin = 0; pin < Ioapic.PINS; pin++) {
            assertThat(f.readPin(pin)).as("pin %d after reset", pin).isEqualTo(MASKED);
        }
    }

    @Test
    void edgeTriggeredPinDeliversOnRisingEdge() {
        f.programPin(4, toCpu(1, 0x24));
        assertThat(f.readPin(4)).isEqualTo(toCpu(1, 0x24));
        f.platform.lines().pulse(4);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(1).acknowledge()).isEqualTo(0x24);
        f.apicWrite(1, EOI, 0);
        f.platform.lines().setLevel(4, true);
        f.platform.lines().setLevel(4, true);
        assertThat(f.drain(1)).as("one edge, one interrupt").isEqualTo(1);
    }

    @Test
    void maskedEdgesAreLost() {
        f.programPin(4, MASKED | 0x24);
        f.platform.lines().pulse(4);
        f.programPin(4, 0x24);
        assertThat(f.lapic(0).interruptPending()).isFalse();
    }

    @Test
    void levelTriggeredRemoteIrrAndEoi() {
        f.programPin(10, LEVEL | 0x3A);
        f.platform.lines().setLevel(10, true);
        assertThat(f.readPin(10) & REMOTE_IRR).isNotZero();
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x3A);
        assertThat(f.apicRead(0, TMR + 0x10) & (1 << 26)).as("TMR marks it level").isNotZero();
        f.apicWrite(0, EOI, 0); // broadcast EOI: remote IRR clears, still asserted: sent again
        assertThat(f.readPin(10) & REMOTE_IRR).isNotZero();
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x3A);
        f.platform.lines().setLevel(10, false); // the driver quietened the device
        f.apicWrite(0, EOI, 0);
        assertThat(f.readPin(10) & REMOTE_IRR).isZero();
        assertThat(f.lapic(0).interruptPending()).isFalse();
    }

    @Test
    void noRedeliveryWhileRemoteIrrIsSet() {
        f.programPin(10, LEVEL | 0x3A);
        f.platform.lines().setLevel(10, true);
        f.lapic(0).acknowledge();
        f.platform.lines().setLevel(10, false);
        f.platform.lines().setLevel(10, true);
        assertThat(f.lapic(0).interruptPending()).isFalse();
    }

    @Test
    void eoiRegister() {
        f.programPin(10, LEVEL | 0x3A);
        f.platform.lines().setLevel(10, true);
        f.platform.lines().setLevel(10, false);
        f.platform.mmioWrite(IOAPIC + 0x40, 4, 0x3A);
        assertThat(f.readPin(10) & REMOTE_IRR).isZero();
    }

    @Test
    void switchingToEdgeClearsRemoteIrr() {
        // Linux's __eoi_ioapic_pin for IOAPICs older than version 0x20.
        f.programPin(10, LEVEL | 0x3A);
        f.platform.lines().setLevel(10, true);
        f.platform.lines().setLevel(10, false);
        f.programPin(10, MASKED | 0x3A);
        assertThat(f.readPin(10) & REMOTE_IRR).isZero();
        f.programPin(10, LEVEL | 0x3A);
        assertThat(f.readPin(10)).isEqualTo(LEVEL | 0x3A);
    }

    @Test
    void assertedLevelIsSentWhenUnmasked() {
        f.programPin(11, MASKED | LEVEL | 0x3B);
        f.platform.lines().setLevel(11, true);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        f.programPin(11, LEVEL | 0x3B);
        assertThat(f.lapic(0).acknowledge()).isEqualTo(0x3B);
    }

    @Test
    void levelNotAcceptedBySoftwareDisabledApicLeavesRemoteIrrClear() {
        f.apicWrite(0, SVR, 0xFF);
        f.programPin(10, LEVEL | 0x3A);
        f.platform.lines().setLevel(10, true);
        assertThat(f.readPin(10) & REMOTE_IRR).isZero();
    }

    @Test
    void logicalAndLowestPriorityDestinations() {
        f.apicWrite(0, LDR, 0x0100_0000);
        f.apicWrite(1, LDR, 0x0200_0000);
        f.programPin(5, LOGICAL | 0x02L << 56 | 0x25);
        f.platform.lines().pulse(5);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(1).acknowledge()).isEqualTo(0x25);
        f.apicWrite(1, EOI, 0);

        f.apicWrite(0, TPR, 0x90);
        f.programPin(6, LOGICAL | 0x03L << 56 | 1 << 8 | 0x26); // lowest priority among CPUs 0, 1
        f.platform.lines().pulse(6);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(1).acknowledge()).isEqualTo(0x26);
    }

    @Test
    void nmiDeliveryMode() {
        f.programPin(7, 4 << 8);
        f.platform.lines().pulse(7);
        assertThat(f.lapic(0).nmiPending()).isTrue();
    }

    @Test
    void narrowAccessesToTheWindow() {
        f.platform.mmioWrite(IOAPIC, 1, 0x10 + 2 * 9); // byte write of IOREGSEL
        assertThat(f.platform.mmioRead(IOAPIC, 4)).isEqualTo(0x22);
        f.platform.mmioWrite(IOAPIC + 0x10, 1, 0x29); // merges into the vector byte only
        assertThat(f.readPin(9)).isEqualTo(MASKED | 0x29);
        f.platform.mmioWrite(IOAPIC, 4, 0x10 + 2 * 9);
        assertThat(f.platform.mmioRead(IOAPIC + 0x12, 1)).as("byte 2: the mask bit").isEqualTo(1);
        assertThat(f.platform.mmioRead(IOAPIC + 0x10, 8)).isEqualTo(MASKED | 0x29);
        assertThat(f.platform.mmioRead(IOAPIC + 0x20, 4)).as("not a register").isZero();
        f.platform.mmioWrite(IOAPIC + 0x14, 4, 0xFFFF_FFFFL);
        assertThat(f.readPin(9)).isEqualTo(MASKED | 0x29);
    }

    @Test
    void badAccessesAreRejected() {
        Ioapic ioapic = f.platform.ioapic();
        assertThatThrownBy(() -> ioapic.mmioRead(0xFFE, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ioapic.mmioWrite(0, 3, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ioapic.redirectionEntry(24)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.platform.lines().setLevel(24, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
