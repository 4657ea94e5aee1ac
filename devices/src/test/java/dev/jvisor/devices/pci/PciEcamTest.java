package dev.jvisor.devices.pci;

import static dev.jvisor.devices.pci.PciConfigSpace.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusVmOps;
import dev.jvisor.devices.RecordingInterruptLines;
import org.junit.jupiter.api.Test;

class PciEcamTest {
    private static final long ECAM = 0xE000_0000L;

    private final Bus ports = Bus.portSpace();
    private final Bus mmio = Bus.mmioSpace();
    private final BusVmOps ops = new BusVmOps(ports, mmio);
    private final PciBus bus = new PciBus(ports, mmio, new RecordingInterruptLines(), IntxRouting.rotating(16, 8));
    private final PciEcam ecam = new PciEcam(bus, 256);

    PciEcamTest() {
        mmio.register("ecam", ECAM, ecam.length(), ecam);
    }

    private static long at(int busNumber, int slot, int function, int register) {
        return ECAM + ((long) busNumber << 20 | slot << 15 | function << 12 | register);
    }

    @Test
    void reachesTheSameConfigSpacesAsMechanismOne() {
        assertThat(ecam.length()).isEqualTo(256L << 20);
        assertThat(ops.mmioRead(at(0, 0, 0, 0), 4)).isEqualTo(0x0D57_8086L);
        assertThat(ops.mmioRead(at(0, 0, 0, 0x0B), 1)).isEqualTo(0x06);
        assertThat(ops.mmioRead(at(0, 2, 0, 0), 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(ops.mmioRead(at(1, 0, 0, 0), 4)).as("only bus 0 exists").isEqualTo(0xFFFF_FFFFL);
        assertThat(ops.mmioRead(at(0, 0, 0, 0x100), 4)).as("conventional function").isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void barWritesThroughEcamMoveTheBarToo() {
        TestPciDevice nic = new TestPciDevice();
        int slot = bus.attach(nic);
        ops.mmioWrite(at(0, slot, 0, BAR0), 4, 0xFEA0_0000L);
        ops.mmioWrite(at(0, slot, 0, COMMAND), 2, COMMAND_MEMORY);
        assertThat(mmio.find(0xFEA0_0000L).device()).isSameAs(nic.mmio32);
    }

    @Test
    void extendedCapabilitiesOfAPciExpressFunction() {
        TestPciDevice express = new TestPciDevice(false, true);
        int first = express.addExtended(0x000B, 12);
        int second = express.addExtended(0x0001, 8);
        int slot = bus.attach(express);
        assertThat(first).isEqualTo(0x100);
        long header = ops.mmioRead(at(0, slot, 0, 0x100), 4);
        assertThat(header & 0xFFFF).isEqualTo(0x000B);
        assertThat((header >>> 16) & 0xF).isEqualTo(1);
        assertThat(header >>> 20).isEqualTo(second).isEqualTo(0x10C);
        assertThat(ops.mmioRead(at(0, slot, 0, second), 4) >>> 20).isZero();
        assertThat(ops.mmioRead(at(0, slot, 0, 0xFFC), 4)).isZero();
    }

    @Test
    void rejectsImpossibleBusCounts() {
        assertThatThrownBy(() -> new PciEcam(bus, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PciEcam(bus, 257)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new PciEcam(bus, 1).length()).isEqualTo(1L << 20);
    }
}
