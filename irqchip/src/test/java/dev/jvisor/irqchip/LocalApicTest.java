package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Local APIC registers, priorities and acceptance (Intel SDM Vol. 3A chapter 10). */
class LocalApicTest {
    private final Fixture f = new Fixture(2);
    private final LocalApic apic = f.lapic(0);

    private void fixed(int vector) {
        apic.deliver(DeliveryMode.FIXED, vector, false);
    }

    @Test
    void powerUpRegisters() {
        assertThat(f.apicRead(0, ID)).isZero();
        assertThat(f.apicRead(1, ID)).isEqualTo(1 << 24);
        assertThat(f.apicRead(0, 0x30)).isEqualTo(0x0005_0014);
        assertThat(f.apicRead(0, SVR)).isEqualTo(0xFF);
        assertThat(f.apicRead(0, DFR)).isEqualTo(0xFFFF_FFFF);
        assertThat(f.apicRead(0, LVT_TIMER)).isEqualTo(0x10000);
        assertThat(f.apicRead(0, LVT_LINT0)).as("BSP: virtual wire").isEqualTo(0x700);
        assertThat(f.apicRead(1, LVT_LINT0)).isEqualTo(0x10000);
        assertThat(apic.readApicBase()).isEqualTo(0xFEE0_0900L);
        assertThat(f.lapic(1).readApicBase()).isEqualTo(0xFEE0_0800L);
        assertThat(apic.baseAddress()).isEqualTo(LocalApic.DEFAULT_BASE);
        assertThat(apic.hardwareEnabled()).isTrue();
        assertThat(apic.cpu()).isZero();
        assertThat(apic.pendingEvents()).isZero();
    }

    @Test
    void softwareDisabledApicDropsFixedInterrupts() {
        fixed(0x41);
        assertThat(apic.interruptPending()).isFalse();
        assertThat(f.apicRead(0, IRR + 0x20)).isZero();
    }

    @Test
    void acceptanceAndAcknowledge() {
        f.enableApic(0);
        fixed(0x41);
        assertThat(apic.interruptPending()).isTrue();
        assertThat(f.apicRead(0, IRR + 0x20)).isEqualTo(1 << 1);
        assertThat(apic.acknowledge()).isEqualTo(0x41);
        assertThat(apic.interruptPending()).isFalse();
        assertThat(f.apicRead(0, IRR + 0x20)).isZero();
        assertThat(f.apicRead(0, ISR + 0x20)).isEqualTo(1 << 1);
        assertThat(f.apicRead(0, PPR)).isEqualTo(0x40);
        f.apicWrite(0, EOI, 0);
        assertThat(f.apicRead(0, ISR + 0x20)).isZero();
        assertThat(apic.acknowledge()).as("nothing pending").isEqualTo(-1);
    }

    @Test
    void taskPriorityMasksLowerClasses() {
        f.enableApic(0);
        f.apicWrite(0, TPR, 0x50);
        fixed(0x51);
        assertThat(apic.interruptPending()).as("same class as TPR").isFalse();
        fixed(0x61);
        assertThat(apic.interruptPending()).isTrue();
        assertThat(apic.acknowledge()).isEqualTo(0x61);
        apic.writeCr8(4);
        assertThat(f.apicRead(0, TPR)).isEqualTo(0x40);
        assertThat(apic.readCr8()).isEqualTo(4);
        f.apicWrite(0, EOI, 0);
        assertThat(apic.interruptPending()).isTrue();
        assertThat(apic.acknowledge()).isEqualTo(0x51);
        assertThatThrownBy(() -> apic.writeCr8(0x10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inServiceInterruptsNest() {
        f.enableApic(0);
        fixed(0x50);
        assertThat(apic.acknowledge()).isEqualTo(0x50);
        fixed(0x40);
        fixed(0x55);
        assertThat(apic.interruptPending()).as("lower or equal class waits").isFalse();
        fixed(0x60);
        assertThat(apic.interruptPending()).isTrue();
        assertThat(apic.acknowledge()).isEqualTo(0x60);
        assertThat(f.apicRead(0, PPR)).isEqualTo(0x60);
        assertThat(f.apicRead(0, ISR + 0x20)).isEqualTo(1 << 16);
        assertThat(f.apicRead(0, ISR + 0x30)).isEqualTo(1);
        f.apicWrite(0, EOI, 0); // retires 0x60, the highest
        assertThat(f.apicRead(0, ISR + 0x30)).isZero();
        assertThat(apic.interruptPending()).isFalse();
        f.apicWrite(0, EOI, 0); // retires 0x50
        assertThat(apic.acknowledge()).isEqualTo(0x55);
        f.apicWrite(0, EOI, 0);
        assertThat(apic.acknowledge()).isEqualTo(0x40);
    }

    @Test
    void withdrawnRequestYieldsTheSpuriousVector() {
        f.apicWrite(0, SVR, 0x1EF);
        fixed(0x41);
        assertThat(apic.interruptPending()).isTrue();
        f.apicWrite(0, TPR, 0x80); // raised between the CPU's check and its INTA (SDM 10.9)
        assertThat(apic.acknowledge()).isEqualTo(0xEF);
        assertThat(f.apicRead(0, ISR + 0x20)).as("a spurious vector is not in service").isZero();
        assertThat(f.apicRead(0, IRR + 0x20)).isEqualTo(1 << 1);
    }

    @Test
    void arbitrationPriority() {
        f.enableApic(0);
        f.apicWrite(0, TPR, 0x35);
        assertThat(f.apicRead(0, 0x90)).isEqualTo(0x35);
        fixed(0x71);
        assertThat(f.apicRead(0, 0x90)).isEqualTo(0x70);
    }

    @Test
    void errorStatusIsWriteThenRead() {
        f.enableApic(0);
        f.apicWrite(0, LVT_ERROR, 0xFE);
        fixed(5);
        assertThat(f.apicRead(0, ESR)).as("not yet loaded").isZero();
        f.apicWrite(0, ESR, 0);
        assertThat(f.apicRead(0, ESR)).isEqualTo(ApicState.ESR_RECEIVE_ILLEGAL_VECTOR);
        assertThat(apic.acknowledge()).as("error interrupt").isEqualTo(0xFE);
        f.apicRead(0, 0x40); // reserved register
        f.apicWrite(0, ESR, 0);
        assertThat(f.apicRead(0, ESR)).isEqualTo(ApicState.ESR_ILLEGAL_REGISTER);
        f.apicWrite(0, ESR, 0);
        assertThat(f.apicRead(0, ESR)).isZero();
    }

    @Test
    void softwareDisableMasksEveryLvt() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT1, 0x400);
        f.apicWrite(0, SVR, 0xFF);
        assertThat(f.apicRead(0, LVT_LINT0) & 0x10000).isNotZero();
        assertThat(f.apicRead(0, LVT_LINT1)).isEqualTo(0x10400);
        f.apicWrite(0, LVT_LINT1, 0x400);
        assertThat(f.apicRead(0, LVT_LINT1)).as("mask sticks while disabled").isEqualTo(0x10400);
    }

    @Test
    void logicalDestinationRegisters() {
        f.apicWrite(0, LDR, 0x0312_3456);
        f.apicWrite(0, DFR, 0x0FFF_FFFF);
        assertThat(f.apicRead(0, LDR)).isEqualTo(0x0300_0000);
        assertThat(f.apicRead(0, DFR)).isEqualTo(0x0FFF_FFFF);
        assertThat(apic.matchesLogical(0x02)).as("cluster 0, member bit 1").isTrue();
        assertThat(apic.matchesLogical(0x12)).as("cluster 1").isFalse();
        assertThat(apic.matchesLogical(0x04)).isFalse();
        f.apicWrite(0, DFR, 0xFFFF_FFFF);
        assertThat(apic.matchesLogical(0x01)).as("flat: bit 0 of 0x03").isTrue();
        assertThat(apic.matchesLogical(0x04)).isFalse();
        assertThat(apic.matchesLogical(0xFF)).isTrue();
        f.apicWrite(0, ID, 0x0700_0000);
        assertThat(apic.apicId()).isEqualTo(7);
        assertThat(apic.matchesPhysical(7)).isTrue();
        assertThat(apic.matchesPhysical(0)).isFalse();
    }

    @Test
    void narrowAndWideAccesses() {
        assertThat(apic.mmioRead(0x30, 2)).isEqualTo(0x0014);
        assertThat(apic.mmioRead(0x32, 1)).isEqualTo(0x05);
        assertThat(apic.mmioRead(0x30, 8)).isEqualTo(0x0005_0014L);
        assertThat(apic.mmioRead(0x34, 4)).isZero();
        assertThat(apic.mmioRead(0x2E, 4)).as("spans the ID slot's tail and the version").isEqualTo(0x0014_0000L);
        apic.mmioWrite(TPR, 1, 0x70);
        apic.mmioWrite(TPR + 4, 4, 0x70);
        assertThat(f.apicRead(0, TPR)).as("narrow or misaligned writes are ignored").isZero();
        assertThatThrownBy(() -> apic.mmioRead(0, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> apic.mmioRead(0xFFE, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> apic.mmioWrite(-16, 4, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void apicBaseMsr() {
        assertThatThrownBy(() -> apic.writeApicBase(0xFEE0_0D00L)).as("x2APIC enable")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        assertThatThrownBy(() -> apic.writeApicBase(0xFEE0_0901L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> apic.writeApicBase(1L << 52 | 0x900)).isInstanceOf(IllegalArgumentException.class);
        f.enableApic(0);
        apic.writeApicBase(0xFEE0_0100L); // globally disabled
        assertThat(apic.hardwareEnabled()).isFalse();
        assertThat(apic.deliver(DeliveryMode.FIXED, 0x41, false)).isFalse();
        apic.writeApicBase(0xFED0_0800L); // BSP flag is read-only: stays set
        assertThat(apic.readApicBase()).isEqualTo(0xFED0_0900L);
        assertThat(apic.baseAddress()).isEqualTo(0xFED0_0000L);
        assertThat(f.apicRead(0, SVR)).as("back in power-up state").isEqualTo(0xFF);
    }

    @Test
    void lint0FixedEdgeAndLevel() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x31);
        apic.setLint0(true);
        assertThat(apic.acknowledge()).isEqualTo(0x31);
        f.apicWrite(0, EOI, 0);
        assertThat(apic.interruptPending()).as("edge: one interrupt per rising edge").isFalse();
        apic.setLint0(false);
        f.apicWrite(0, LVT_LINT0, 0x8032); // level-triggered
        apic.setLint0(true);
        assertThat(f.apicRead(0, LVT_LINT0) & ApicState.LVT_REMOTE_IRR).isNotZero();
        assertThat(apic.acknowledge()).isEqualTo(0x32);
        assertThat(f.apicRead(0, TMR + 0x10) & (1 << 18)).isNotZero();
        f.apicWrite(0, EOI, 0);
        assertThat(apic.interruptPending()).as("still asserted: delivered again after EOI").isTrue();
        apic.setLint0(false);
        assertThat(apic.acknowledge()).isEqualTo(0x32);
        f.apicWrite(0, EOI, 0);
        assertThat(f.apicRead(0, LVT_LINT0) & ApicState.LVT_REMOTE_IRR).isZero();
        assertThat(apic.interruptPending()).isFalse();
    }

    @Test
    void lint1Nmi() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT1, 0x400);
        apic.setLint1(true);
        assertThat(apic.nmiPending()).isTrue();
        assertThat(apic.interruptPending()).isFalse();
        assertThat(apic.acknowledgeNmi()).isTrue();
        assertThat(apic.nmiPending()).isFalse();
        assertThat(apic.acknowledgeNmi()).isFalse();
    }

    @Test
    void nmiAndSmiMessages() {
        assertThat(apic.deliver(DeliveryMode.NMI, 0, false)).isTrue();
        assertThat(apic.pendingEvents()).isEqualTo(LocalApic.EVENT_NMI);
        assertThat(apic.deliver(DeliveryMode.SMI, 0, false)).as("no SMM").isFalse();
    }
}
