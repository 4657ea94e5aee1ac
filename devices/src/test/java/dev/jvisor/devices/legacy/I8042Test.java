package dev.jvisor.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.BusDevice;
import dev.jvisor.devices.RecordingInterruptLines;
import dev.jvisor.devices.RecordingPowerControl;
import org.junit.jupiter.api.Test;

/** Register-level tests replaying Linux's i8042 probe (drivers/input/serio/i8042.c) and reboot paths. */
class I8042Test {
    private final RecordingPowerControl power = new RecordingPowerControl();
    private final RecordingInterruptLines lines = new RecordingInterruptLines();
    private final I8042 kbc = new I8042(power, lines, 1, 12);
    private final BusDevice data = kbc.dataPort();
    private final BusDevice command = kbc.commandPort();

    private int status() {
        return (int) command.read(0, 1);
    }

    /** i8042_command(): write the command, then parameter bytes, then read the replies. */
    private int commandWithReply(int cmd) {
        command.write(0, 1, cmd);
        assertThat(status() & I8042.STATUS_OUTPUT_FULL).as("reply to 0x%x", cmd).isNotZero();
        return (int) data.read(0, 1);
    }

    @Test
    void probeFindsAWorkingController() {
        // i8042_flush: nothing pending.
        assertThat(status() & I8042.STATUS_OUTPUT_FULL).isZero();
        assertThat(commandWithReply(0xAA)).isEqualTo(0x55);
        assertThat(status() & I8042.STATUS_SYSTEM_FLAG).isNotZero();
        int ctr = commandWithReply(0x20);
        assertThat(ctr).isEqualTo(I8042.INITIAL_CTR);

        // i8042_controller_init: keyboard disabled, its interrupt off, written back and re-read.
        int newCtr = (ctr | I8042.CTR_KBD_DISABLED) & ~I8042.CTR_KBD_INTERRUPT;
        command.write(0, 1, 0x60);
        data.write(0, 1, newCtr);
        assertThat(status() & I8042.STATUS_LAST_WAS_COMMAND).isZero();
        assertThat(commandWithReply(0x20)).isEqualTo(newCtr);
        assertThat(commandWithReply(0xAB)).isZero();
        assertThat(status() & I8042.STATUS_OUTPUT_FULL).isZero();
    }

    @Test
    void portEnableCommandsFlipTheCommandByte() {
        command.write(0, 1, 0xAD);
        assertThat(kbc.commandByte() & I8042.CTR_KBD_DISABLED).isNotZero();
        command.write(0, 1, 0xAE);
        assertThat(kbc.commandByte() & I8042.CTR_KBD_DISABLED).isZero();
        command.write(0, 1, 0xA8);
        assertThat(kbc.commandByte() & I8042.CTR_AUX_DISABLED).isZero();
        command.write(0, 1, 0xA7);
        assertThat(kbc.commandByte() & I8042.CTR_AUX_DISABLED).isNotZero();
    }

    @Test
    void auxLoopbackAnswersOnTheAuxPortWithIrq12() {
        // i8042_check_aux: AUX_LOOP with 0x5A must come back from the AUX port.
        command.write(0, 1, 0xD3);
        data.write(0, 1, 0x5A);
        assertThat(status() & (I8042.STATUS_OUTPUT_FULL | I8042.STATUS_AUX_DATA))
                .isEqualTo(I8042.STATUS_OUTPUT_FULL | I8042.STATUS_AUX_DATA);
        assertThat(data.read(0, 1)).isEqualTo(0x5A);

        // With the AUX interrupt enabled, the loopback byte raises IRQ 12 (the IRQ delivery test).
        command.write(0, 1, 0x60);
        data.write(0, 1, I8042.CTR_AUX_INTERRUPT | I8042.CTR_SYSTEM_FLAG);
        command.write(0, 1, 0xD3);
        data.write(0, 1, 0xA5);
        assertThat(lines.isHigh(12)).isTrue();
        assertThat(lines.isHigh(1)).isFalse();
        assertThat(data.read(0, 1)).isEqualTo(0xA5);
        assertThat(lines.isHigh(12)).isFalse();
        assertThat(commandWithReply(0xA9)).isZero();
    }

    @Test
    void bytesForAbsentDevicesTimeOutAtOnce() {
        // atkbd_probe's GETID goes to the keyboard: there is none.
        data.write(0, 1, 0xF2);
        assertThat(status() & (I8042.STATUS_OUTPUT_FULL | I8042.STATUS_TIMEOUT | I8042.STATUS_AUX_DATA))
                .isEqualTo(I8042.STATUS_OUTPUT_FULL | I8042.STATUS_TIMEOUT);
        assertThat(lines.isHigh(1)).as("keyboard interrupt is enabled at power-on").isTrue();
        assertThat(data.read(0, 1)).isEqualTo(I8042.NO_DEVICE_RESPONSE);
        assertThat(lines.isHigh(1)).isFalse();
        assertThat(status() & I8042.STATUS_TIMEOUT).isZero();

        // psmouse: a byte for the AUX device through 0xD4.
        command.write(0, 1, 0xD4);
        data.write(0, 1, 0xFF);
        assertThat(status() & (I8042.STATUS_TIMEOUT | I8042.STATUS_AUX_DATA))
                .isEqualTo(I8042.STATUS_TIMEOUT | I8042.STATUS_AUX_DATA);
        assertThat(data.read(0, 1)).isEqualTo(I8042.NO_DEVICE_RESPONSE);
        assertThat(data.read(0, 1)).as("empty buffer repeats the last byte").isEqualTo(I8042.NO_DEVICE_RESPONSE);
    }

    @Test
    void pulsingTheResetLineResets() {
        command.write(0, 1, 0xFE);
        assertThat(power.resets.get()).isEqualTo(1);
        command.write(0, 1, 0xFF); // pulses nothing
        assertThat(power.resets.get()).isEqualTo(1);
    }

    @Test
    void outputPortWriteWithBitZeroClearResets() {
        assertThat(commandWithReply(0xD0) & 0x03).isEqualTo(0x03);
        command.write(0, 1, 0xD1);
        data.write(0, 1, 0x03);
        assertThat(power.resets.get()).isZero();
        command.write(0, 1, 0xD1);
        data.write(0, 1, 0x02);
        assertThat(power.resets.get()).isEqualTo(1);
        assertThat(power.powerOffs.get()).isZero();
    }

    @Test
    void writesToControllerRamReadBack() {
        command.write(0, 1, 0x65);
        data.write(0, 1, 0x3C);
        assertThat(commandWithReply(0x25)).isEqualTo(0x3C);
        command.write(0, 1, 0xC8); // unsupported: ignored, nothing queued
        assertThat(status() & I8042.STATUS_OUTPUT_FULL).isZero();
        assertThat(status() & I8042.STATUS_LAST_WAS_COMMAND).isNotZero();
    }
}
