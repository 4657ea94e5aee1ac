package dev.jvisor.irqchip;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 8259 reaching the CPU without the IOAPIC: ExtINT through LINT0 (virtual wire), LINT0 in
 * fixed mode, the APIC globally off, and ExtINT through IOAPIC pin 0 (the fall-backs of Linux's
 * check_timer).
 */
class VirtualWireTest {
    private final Fixture f = new Fixture(2);
    private final LocalApic bsp = f.lapic(0);

    @BeforeEach
    void initializePic() {
        f.linuxInitPic(false, 0xF9, 0xFF); // IRQ 1 and the cascade open
    }

    @Test
    void extIntThroughLint0AtPowerOn() {
        f.platform.lines().pulse(1);
        assertThat(bsp.interruptPending()).isTrue();
        assertThat(f.lapic(1).interruptPending()).as("AP's LINT0 is masked").isFalse();
        assertThat(bsp.acknowledge()).as("vector from the 8259's INTA").isEqualTo(0x31);
        assertThat(bsp.interruptPending()).isFalse();
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).isEqualTo(1 << 1);
        f.linuxAckPic(1);
    }

    @Test
    void extIntIsNotSubjectToTaskPriority() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x700);
        f.apicWrite(0, TPR, 0xF0);
        f.platform.lines().pulse(1);
        assertThat(bsp.interruptPending()).isTrue();
    }

    @Test
    void maskedLint0BlocksThe8259() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x10700);
        f.platform.lines().pulse(1);
        assertThat(bsp.interruptPending()).isFalse();
        f.apicWrite(0, LVT_LINT0, 0x700);
        assertThat(bsp.acknowledge()).isEqualTo(0x31);
    }

    @Test
    void globallyDisabledApicPassesIntrThrough() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x10700);
        bsp.writeApicBase(0xFEE0_0100L);
        f.platform.lines().pulse(1);
        assertThat(bsp.acknowledge()).isEqualTo(0x31);
    }

    @Test
    void lint0InFixedModeAsLinuxThirdTimerFallback() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x30); // apic_write(APIC_LVT0, APIC_DM_FIXED | cfg->vector)
        f.pitPeriodic(1193);
        f.linuxInitPic(true, 0xFA, 0xFF); // IRQ 0 open, auto-EOI as in check_timer
        assertThat(f.runToNextDeadline(0)).isTrue();
        assertThat(bsp.acknowledge()).isEqualTo(0x30);
        f.apicWrite(0, EOI, 0);
        assertThat(f.platform.pic().intr()).as("auto-EOI: INTR stays up until the PIC is acknowledged")
                .isTrue();
    }

    @Test
    void extIntThroughIoapicPin0() {
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x10700);
        f.programPin(0, 7 << 8); // ExtINT, physical destination 0
        f.platform.lines().pulse(1);
        assertThat(bsp.interruptPending()).isTrue();
        assertThat(bsp.acknowledge()).isEqualTo(0x31);
        assertThat(bsp.interruptPending()).isFalse();
    }

    @Test
    void everyWaiting8259RequestGetsItsOwnExtIntMessage() {
        f.linuxInitPic(true, 0xE9, 0xFF); // auto-EOI: INTR stays high while requests wait
        f.enableApic(0);
        f.apicWrite(0, LVT_LINT0, 0x10700);
        f.programPin(0, 7 << 8);
        f.platform.lines().pulse(4);
        f.platform.lines().pulse(1);
        assertThat(bsp.acknowledge()).isEqualTo(0x31);
        assertThat(bsp.interruptPending()).isTrue();
        assertThat(bsp.acknowledge()).isEqualTo(0x34);
        assertThat(bsp.interruptPending()).isFalse();
    }
}
