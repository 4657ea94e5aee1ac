package dev.jvisor.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BusVmOpsTest {
    private final Bus ports = Bus.portSpace();
    private final Bus mmio = Bus.mmioSpace();
    private final BusVmOps ops = new BusVmOps(ports, mmio);

    @Test
    void unclaimedReadsReturnAllOnesAndAreCounted() {
        assertThat(ops.pioRead(0x1234, 1)).isEqualTo(0xFF);
        assertThat(ops.pioRead(0x1234, 2)).isEqualTo(0xFFFF);
        assertThat(ops.pioRead(0x1234, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(ops.mmioRead(0xD000_0000L, 8)).isEqualTo(-1L);
        assertThat(ops.mmioRead(0xD000_0000L, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(ops.unclaimedPioReads()).isEqualTo(3);
        assertThat(ops.unclaimedMmioReads()).isEqualTo(2);
        assertThat(ops.unclaimedPioWrites()).isZero();
    }

    @Test
    void unclaimedWritesAreDroppedAndCounted() {
        for (int i = 0; i < BusVmOps.LOGGED_UNCLAIMED + 5; i++) {
            ops.pioWrite(0x500 + i, 1, i);
            ops.mmioWrite(0xE000_0000L + i, 4, i);
        }
        assertThat(ops.unclaimedPioWrites()).isEqualTo(BusVmOps.LOGGED_UNCLAIMED + 5);
        assertThat(ops.unclaimedMmioWrites()).isEqualTo(BusVmOps.LOGGED_UNCLAIMED + 5);
    }

    @Test
    void claimedAccessesReachTheDeviceAtTheirOffset() {
        BusTest.Probe port = new BusTest.Probe(AccessSizes.UP_TO_DWORD);
        BusTest.Probe bar = new BusTest.Probe(AccessSizes.ANY);
        ports.register("pm", 0x600, 4, port);
        mmio.register("bar", 0xFEB0_0000L, 0x1000, bar);

        assertThat(ops.pioRead(0x602, 2)).isEqualTo(0x7788);
        assertThat(port.lastOffset).isEqualTo(2);
        ops.mmioWrite(0xFEB0_0010L, 8, 0xCAFE_F00D_1234_5678L);
        assertThat(bar.lastOffset).isEqualTo(0x10);
        assertThat(bar.lastValue).isEqualTo(0xCAFE_F00D_1234_5678L);
        assertThat(ops.mmioRead(0xFEB0_0FF8L, 8)).isEqualTo(0x1122_3344_5566_7788L);
        assertThat(ops.unclaimedMmioReads() + ops.unclaimedPioReads()).isZero();
        // A device that takes no 8-byte accesses sees none.
        assertThat(ops.pioRead(0x600, 8)).isEqualTo(-1L);
        assertThat(ports.find(0x600).rejectedAccesses()).isEqualTo(1);
    }

    @Test
    void portNumbersWrapToSixteenBits() {
        BusTest.Probe p = new BusTest.Probe(AccessSizes.BYTE);
        ports.register("p", 0x10, 1, p);
        assertThat(ops.pioRead(0x1_0010, 1)).isEqualTo(0x88);
    }

    @Test
    void rejectsSizesNoBackEndProduces() {
        assertThatThrownBy(() -> ops.pioRead(0x80, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1, 2, 4 or 8");
        assertThatThrownBy(() -> ops.mmioWrite(0, 16, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
