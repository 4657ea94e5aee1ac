package dev.jvisor.irqchip;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** IPIs through the ICR (Intel SDM Vol. 3A 10.6) and the INIT/STARTUP handshake (8.4.4). */
class InterprocessorInterruptTest {
    private final Fixture f = new Fixture(3);

    @BeforeEach
    void enableAll() {
        for (int cpu = 0; cpu < 3; cpu++) {
            f.enableApic(cpu);
        }
    }

    /** Acknowledges the next interrupt of {@code cpu} and retires it at once. */
    private int take(int cpu) {
        int vector = f.lapic(cpu).acknowledge();
        f.apicWrite(cpu, EOI, 0);
        return vector;
    }

    private void ipi(int from, int destination, int low) {
        f.apicWrite(from, ICR_HIGH, destination << 24);
        f.apicWrite(from, ICR_LOW, low);
    }

    @Test
    void linuxInitStartupSequence() {
        LocalApic ap = f.lapic(1);
        assertThat(ap.pendingInit()).isFalse();
        // wakeup_secondary_cpu_via_init(): INIT assert, INIT de-assert, then two STARTUPs.
        ipi(0, 1, 0xC500);
        assertThat(ap.pendingInit()).isTrue();
        assertThat(f.apicRead(0, ICR_LOW) & (1 << 12)).as("delivery status idle").isZero();
        assertThat(f.apicRead(1, SVR)).as("INIT resets the APIC").isEqualTo(0xFF);
        assertThat(ap.takeInit()).isTrue();
        assertThat(ap.takeInit()).isFalse();
        ipi(0, 1, 0x8500);
        assertThat(ap.pendingInit()).as("de-assert resets nobody").isFalse();
        ipi(0, 1, 0x0600 | 0x9A);
        assertThat(ap.pendingEvents() & LocalApic.EVENT_STARTUP).isNotZero();
        ipi(0, 1, 0x0600 | 0x9B);
        assertThat(ap.takeStartupVector()).isEqualTo(0x9A);
        assertThat(ap.takeStartupVector()).as("the second STARTUP finds the CPU running").isEqualTo(-1);
        assertThat(f.lapic(2).pendingEvents()).isZero();
        assertThat(ap.apicId()).isEqualTo(1);
    }

    @Test
    void startupIsIgnoredUnlessWaitingForIt() {
        ipi(1, 0, 0x0600 | 0x10);
        assertThat(f.lapic(0).takeStartupVector()).as("the BSP runs").isEqualTo(-1);
        ipi(0, 2, 0x0600 | 0x20);
        assertThat(f.lapic(2).takeStartupVector()).as("APs power up waiting").isEqualTo(0x20);
    }

    @Test
    void fixedPhysicalIpi() {
        ipi(0, 2, 0x4000 | 0xFD);
        assertThat(f.lapic(1).interruptPending()).isFalse();
        assertThat(take(2)).isEqualTo(0xFD);
        assertThat(f.apicRead(2, TMR + 0x70)).as("IPIs are edge-triggered").isZero();
    }

    @Test
    void logicalFlatAndClusterDestinations() {
        for (int cpu = 0; cpu < 3; cpu++) {
            f.apicWrite(cpu, LDR, 1 << (24 + cpu));
        }
        ipi(0, 0b110, 0x0800 | 0x41); // logical, CPUs 1 and 2
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(take(1)).isEqualTo(0x41);
        assertThat(take(2)).isEqualTo(0x41);

        for (int cpu = 0; cpu < 3; cpu++) {
            f.apicWrite(cpu, DFR, 0x0FFF_FFFF);
            f.apicWrite(cpu, LDR, (cpu == 2 ? 0x11 : 0x01 << cpu) << 24);
        }
        ipi(0, 0x11, 0x0800 | 0x42); // cluster 1, member 0: CPU 2 only
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(1).interruptPending()).isFalse();
        assertThat(take(2)).isEqualTo(0x42);
    }

    @Test
    void shorthands() {
        f.apicWrite(1, ICR_LOW, 0x40000 | 0x43); // self
        assertThat(take(1)).isEqualTo(0x43);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        f.apicWrite(1, ICR_LOW, 0xC0000 | 0x44); // all but self
        assertThat(take(0)).isEqualTo(0x44);
        assertThat(take(2)).isEqualTo(0x44);
        assertThat(f.lapic(1).interruptPending()).isFalse();
        f.apicWrite(1, ICR_LOW, 0x80000 | 0x45); // all including self
        for (int cpu = 0; cpu < 3; cpu++) {
            assertThat(take(cpu)).isEqualTo(0x45);
        }
        ipi(0, 0xFF, 0x46); // physical broadcast
        for (int cpu = 0; cpu < 3; cpu++) {
            assertThat(take(cpu)).isEqualTo(0x46);
        }
    }

    @Test
    void lowestPriorityPicksTheLeastBusyProcessor() {
        f.apicWrite(0, TPR, 0x80);
        f.apicWrite(1, TPR, 0x20);
        f.apicWrite(2, TPR, 0x40);
        ipi(2, 0xFF, 0x0100 | 0x51);
        assertThat(take(1)).isEqualTo(0x51);
        assertThat(f.lapic(0).interruptPending()).isFalse();
        assertThat(f.lapic(2).pendingEvents()).isZero();
    }

    @Test
    void nmiIpi() {
        ipi(0, 1, 0x0400);
        assertThat(f.lapic(1).nmiPending()).isTrue();
        assertThat(f.lapic(1).acknowledgeNmi()).isTrue();
    }

    @Test
    void illegalVectorIsNotSent() {
        ipi(0, 1, 0x0005);
        assertThat(f.lapic(1).pendingEvents()).isZero();
        f.apicWrite(0, ESR, 0);
        assertThat(f.apicRead(0, ESR)).isEqualTo(ApicState.ESR_SEND_ILLEGAL_VECTOR);
    }
}
