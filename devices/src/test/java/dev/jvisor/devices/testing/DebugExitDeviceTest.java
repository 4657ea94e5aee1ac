package dev.jvisor.devices.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusVmOps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The debug-exit port on a port bus: what the guest writes reaches the VMM, reads are zero. */
class DebugExitDeviceTest {
    @Test
    void writesOfEveryPortWidthReportTheValue() {
        List<Long> written = new ArrayList<>();
        Bus ports = Bus.portSpace();
        ports.register("debug-exit", DebugExitDevice.DEFAULT_PORT, DebugExitDevice.DEFAULT_SIZE,
                new DebugExitDevice(written::add));
        BusVmOps ops = new BusVmOps(ports, Bus.mmioSpace());
        ops.pioWrite(0xf4, 1, 0);
        ops.pioWrite(0xf4, 2, 0x1234);
        ops.pioWrite(0xf4, 4, 0x8765_4321L);
        ops.pioWrite(0xf6, 1, 1); // anywhere in the range
        assertThat(written).containsExactly(0L, 0x1234L, 0x8765_4321L, 1L);
        assertThat(ops.pioRead(0xf4, 4)).isZero();
    }

    @Test
    void exitStatusIsTheValueShiftedWithTheLowBitSetAsTheHostKeepsIt() {
        assertThat(DebugExitDevice.exitStatus(0)).isEqualTo(1);
        assertThat(DebugExitDevice.exitStatus(1)).isEqualTo(3);
        assertThat(DebugExitDevice.exitStatus(0x10)).isEqualTo(0x21);
        assertThat(DebugExitDevice.exitStatus(0x80)).as("only 8 bits survive exit()").isEqualTo(1);
        assertThat(DebugExitDevice.exitStatus(0xffff_ffffL)).isEqualTo(0xff);
    }
}
