package dev.jvisor.irqchip;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The 8259 pair at the register level, driven with the port sequences of Linux's i8259.c. */
class Pic8259Test {
    private final Fixture f = new Fixture();
    private final Pic8259 pic = f.platform.pic();

    @BeforeEach
    void initializeAsLinux() {
        f.linuxInitPic(false, 0xFB, 0xFF);
    }

    private void raise(int gsi) {
        f.platform.lines().setLevel(gsi, true);
    }

    private void lower(int gsi) {
        f.platform.lines().setLevel(gsi, false);
    }

    @Test
    void powerOnStateIsInitializedAndMasked() {
        Fixture fresh = new Fixture();
        assertThat(fresh.inb(0x21)).isEqualTo(0xFB);
        assertThat(fresh.inb(0xA1)).isEqualTo(0xFF);
        fresh.platform.lines().pulse(1);
        assertThat(fresh.platform.pic().intr()).isFalse();
    }

    @Test
    void probeReadsBackTheMask() {
        // probe_8259A: mask the slave, write ~(1 << 2) to the master's IMR and read it back.
        f.outb(0xA1, 0xFF);
        f.outb(0x21, 0xFB);
        assertThat(f.inb(0x21)).isEqualTo(0xFB);
        assertThat(f.inb(0xA1)).isEqualTo(0xFF);
    }

    @Test
    void edgeOnUnmaskedLineRaisesIntrAndInta() {
        f.outb(0x21, 0xFB & ~(1 << 1));
        raise(1);
        lower(1);
        assertThat(pic.intr()).isTrue();
        assertThat(f.inb(0x20)).as("IRR").isEqualTo(1 << 1);
        assertThat(pic.acknowledge()).isEqualTo(0x31);
        assertThat(pic.intr()).isFalse();
        f.outb(0x20, 0x0B); // OCW3: read ISR
        assertThat(f.inb(0x20)).isEqualTo(1 << 1);
        f.outb(0x20, 0x0A); // back to IRR
        assertThat(f.inb(0x20)).isZero();
        f.linuxAckPic(1);
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).isZero();
    }

    @Test
    void maskedRequestWaitsInIrr() {
        raise(3);
        assertThat(pic.intr()).isFalse();
        assertThat(f.inb(0x20) & (1 << 3)).isNotZero();
        f.outb(0x21, 0xFB & ~(1 << 3));
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x33);
    }

    @Test
    void slaveInterruptsCascadeThroughIr2() {
        f.outb(0xA1, 0xFF & ~(1 << 4)); // IRQ 12
        raise(12);
        lower(12);
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x3C);
        f.outb(0x20, 0x0B);
        f.outb(0xA0, 0x0B);
        assertThat(f.inb(0x20)).as("master ISR").isEqualTo(1 << 2);
        assertThat(f.inb(0xA0)).as("slave ISR").isEqualTo(1 << 4);
        f.linuxAckPic(12);
        assertThat(f.inb(0x20)).isZero();
        assertThat(f.inb(0xA0)).isZero();
    }

    @Test
    void fullyNestedPriorities() {
        f.outb(0x21, 0x00);
        raise(3);
        assertThat(pic.acknowledge()).isEqualTo(0x33);
        raise(5);
        assertThat(pic.intr()).as("lower priority waits for IRQ 3's EOI").isFalse();
        raise(1);
        assertThat(pic.intr()).as("higher priority nests").isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x31);
        f.outb(0x20, 0x20); // non-specific EOI retires IRQ 1
        assertThat(pic.intr()).isFalse();
        f.outb(0x20, 0x20); // and then IRQ 3
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x35);
    }

    @Test
    void autoEoiLeavesIsrEmpty() {
        f.linuxInitPic(true, 0xF3, 0xFF);
        raise(3);
        assertThat(pic.acknowledge()).isEqualTo(0x33);
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).isZero();
    }

    @Test
    void vanishedLevelRequestGivesSpuriousIrq7() {
        f.outb(0x4D0, 1 << 5); // IRQ 5 level-triggered through the ELCR
        f.outb(0x21, 0xFB & ~(1 << 5));
        raise(5);
        assertThat(pic.intr()).isTrue();
        lower(5);
        assertThat(pic.intr()).isFalse();
        assertThat(pic.acknowledge()).isEqualTo(0x37);
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).as("spurious INTA sets no ISR bit").isZero();
    }

    @Test
    void withdrawnSlaveRequestGivesSpuriousIrq15() {
        f.outb(0x4D1, 1 << 3); // IRQ 11 level-triggered
        f.outb(0xA1, 0xFF & ~(1 << 3));
        raise(11);
        // the master has latched the slave's request on IR2; the slave's own request goes away
        lower(11);
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x3F);
        f.outb(0x20, 0x0B);
        f.outb(0xA0, 0x0B);
        assertThat(f.inb(0x20)).as("the master did service IR2").isEqualTo(1 << 2);
        assertThat(f.inb(0xA0)).isZero();
        f.outb(0x20, 0x62); // Linux EOIs only the master for a spurious IRQ 15
        assertThat(pic.intr()).isFalse();
    }

    @Test
    void autoEoiSlaveKeepsRequestingThroughTheCascade() {
        f.outb(0xA0, 0x11);
        f.outb(0xA1, 0x38);
        f.outb(0xA1, 2);
        f.outb(0xA1, 0x03); // slave in auto-EOI mode
        f.outb(0xA1, 0x00);
        raise(9);
        raise(10);
        assertThat(pic.acknowledge()).isEqualTo(0x39);
        f.outb(0x20, 0x62);
        assertThat(pic.acknowledge()).as("the slave's INT never dropped").isEqualTo(0x3A);
    }

    @Test
    void levelRequestRepeatsAfterEoiWhileAsserted() {
        f.outb(0x4D1, 1 << 3);
        f.outb(0xA1, 0xFF & ~(1 << 3));
        raise(11);
        assertThat(pic.acknowledge()).isEqualTo(0x3B);
        assertThat(pic.intr()).isFalse();
        f.linuxAckPic(11);
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x3B);
    }

    @Test
    void elcrKeepsSystemLinesEdgeTriggered() {
        f.outb(0x4D0, 0xFF);
        f.outb(0x4D1, 0xFF);
        assertThat(f.inb(0x4D0)).isEqualTo(0xF8);
        assertThat(f.inb(0x4D1)).isEqualTo(0xDE);
    }

    @Test
    void rotationAndSetPriorityCommands() {
        f.outb(0x21, 0x00);
        f.outb(0x20, 0xC0 | 4); // set priority: IR4 lowest, IR5 highest
        raise(3);
        raise(6);
        assertThat(pic.acknowledge()).isEqualTo(0x36);
        f.outb(0x20, 0xA0); // rotate on non-specific EOI: IR6 becomes lowest
        assertThat(pic.acknowledge()).isEqualTo(0x33);
        f.outb(0x20, 0xE0 | 3); // rotate on specific EOI for IR3
        raise(7);
        raise(4);
        assertThat(pic.acknowledge()).as("IR4 follows IR3 in priority now").isEqualTo(0x34);
    }

    @Test
    void rotateInAutoEoiMode() {
        f.linuxInitPic(true, 0x00, 0xFF);
        f.outb(0x20, 0x80); // rotate in automatic EOI mode: set
        raise(1);
        raise(4);
        assertThat(pic.acknowledge()).isEqualTo(0x31);
        lower(1);
        raise(1);
        assertThat(pic.acknowledge()).as("IR1 became lowest").isEqualTo(0x34);
        f.outb(0x20, 0x00); // clear
    }

    @Test
    void pollCommandActsAsAcknowledge() {
        f.outb(0x21, 0x00);
        raise(6);
        f.outb(0x20, 0x0C); // OCW3 with P
        assertThat(f.inb(0x20)).isEqualTo(0x86);
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).isEqualTo(1 << 6);
        f.outb(0x20, 0x0C);
        assertThat(f.inb(0x21)).as("nothing pending").isZero();
    }

    @Test
    void specialMaskModeLetsLowerPrioritiesIn() {
        f.outb(0x21, 0x00);
        raise(1);
        assertThat(pic.acknowledge()).isEqualTo(0x31);
        raise(5);
        assertThat(pic.intr()).isFalse();
        f.outb(0x21, 1 << 1); // mask the in-service IRQ 1 ...
        f.outb(0x20, 0x68); // ... and enter special mask mode
        assertThat(pic.intr()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x35);
        f.outb(0x20, 0x20); // non-specific EOI skips the masked IRQ 1
        f.outb(0x20, 0x0B);
        assertThat(f.inb(0x20)).isEqualTo(1 << 1);
        f.outb(0x20, 0x48); // leave special mask mode
    }

    @Test
    void initializationClearsEdgeRequests() {
        raise(4);
        f.linuxInitPic(false, 0x00, 0xFF);
        assertThat(pic.intr()).as("an edge before ICW1 is forgotten").isFalse();
        lower(4);
        raise(4);
        assertThat(pic.acknowledge()).isEqualTo(0x34);
    }

    @Test
    void cascadeIrqCannotBeDrivenDirectly() {
        assertThatThrownBy(() -> pic.setIrq(2, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pic.setIrq(16, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
