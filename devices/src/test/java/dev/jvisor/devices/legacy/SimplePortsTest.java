package dev.jvisor.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.RecordingPowerControl;
import org.junit.jupiter.api.Test;

class SimplePortsTest {
    @Test
    void postCodePortRemembersTheLastValue() {
        PostCodePort post = new PostCodePort();
        assertThat(post.read(0, 1)).isZero();
        post.write(0, 1, 0xFF); // the 8250 probe's outb(0xff, 0x80)
        post.write(0, 1, 0x42);
        assertThat(post.lastValue()).isEqualTo(0x42);
        assertThat(post.read(0, 1)).isEqualTo(0x42);
        post.write(0, 2, 0xBEEF);
        assertThat(post.read(0, 1)).isEqualTo(0xEF);
        assertThat(post.writes()).isEqualTo(3);
    }

    @Test
    void resetControlResetsOnRstCpuAndRemembersSysRst() {
        RecordingPowerControl power = new RecordingPowerControl();
        ResetControlPort rc = new ResetControlPort(power);
        // Linux reboot=pci: read, set SYS_RST, then SYS_RST | RST_CPU.
        int cf9 = (int) rc.read(0, 1) & ~0x06;
        rc.write(0, 1, cf9 | 0x02);
        assertThat(power.resets.get()).isZero();
        assertThat(rc.read(0, 1)).isEqualTo(0x02);
        rc.write(0, 1, cf9 | 0x06);
        assertThat(power.resets.get()).isEqualTo(1);
        rc.write(0, 1, 0x0E);
        assertThat(power.resets.get()).isEqualTo(2);
        assertThat(rc.read(0, 1)).as("RST_CPU reads back as 0").isEqualTo(0x0A);
    }
}
