package dev.jvisor.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusVmOps;
import dev.jvisor.devices.RecordingInterruptLines;
import dev.jvisor.devices.RecordingPowerControl;
import dev.jvisor.devices.legacy.ResetControlPort;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1 as Linux probes and scans it (arch/x86/pci/direct.c, drivers/pci/probe.c). */
class PciHostBridgeTest {
    private final Bus ports = Bus.portSpace();
    private final Bus mmio = Bus.mmioSpace();
    private final BusVmOps ops = new BusVmOps(ports, mmio);
    private final RecordingPowerControl power = new RecordingPowerControl();
    private final PciBus bus = new PciBus(ports, mmio, new RecordingInterruptLines(), IntxRouting.rotating(16, 8));

    PciHostBridgeTest() {
        new PciHostBridge(bus).registerOn(ports);
        ports.register("reset-control", ResetControlPort.PORT, 1, new ResetControlPort(power));
    }

    private long configRead(int slot, int function, int register, int size) {
        ops.pioWrite(0xCF8, 4, 0x8000_0000L | slot << 11 | function << 8 | (register & 0xFC));
        return ops.pioRead(0xCFC + (register & 3), size);
    }

    @Test
    void linuxDetectsMechanismOne() {
        // pci_check_type1
        ops.pioWrite(0xCFB, 1, 0x01);
        long saved = ops.pioRead(0xCF8, 4);
        ops.pioWrite(0xCF8, 4, 0x8000_0000L);
        assertThat(ops.pioRead(0xCF8, 4)).isEqualTo(0x8000_0000L);
        ops.pioWrite(0xCF8, 4, saved);
        // pci_sanity_check: a host bridge (class 0x0600) or Intel/Compaq vendor at bus 0.
        assertThat(configRead(0, 0, 0x0A, 2)).isEqualTo(0x0600);
        assertThat(configRead(0, 0, 0x00, 2)).isEqualTo(0x8086);
    }

    @Test
    void busScanFindsOnlyTheHostBridge() {
        for (int slot = 0; slot < 32; slot++) {
            long id = configRead(slot, 0, 0, 4);
            if (slot == 0) {
                assertThat(id).isEqualTo(0x0D57_8086L);
            } else {
                assertThat(id).as("slot %d", slot).isEqualTo(0xFFFF_FFFFL);
            }
        }
        assertThat(configRead(0, 0, 0x08, 4)).as("class 06/00/00, revision 0").isEqualTo(0x0600_0000L);
        assertThat(configRead(0, 0, 0x0E, 1)).as("single-function type 0 header").isZero();
        assertThat(configRead(0, 1, 0x00, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(configRead(0, 0, 0x3D, 1)).as("no interrupt pin").isZero();
    }

    @Test
    void dataPortByteLanesReachTheMatchingBytes() {
        assertThat(configRead(0, 0, 0x02, 1)).isEqualTo(0x57);
        assertThat(configRead(0, 0, 0x03, 1)).isEqualTo(0x0D);
        assertThat(configRead(0, 0, 0x02, 2)).isEqualTo(0x0D57);
        ops.pioWrite(0xCF8, 4, 0x8000_0000L | 0x0C);
        ops.pioWrite(0xCFC, 1, 0x10); // cache line size: writable
        ops.pioWrite(0xCFE, 1, 0x80); // header type: read-only
        assertThat(ops.pioRead(0xCFC, 4)).isEqualTo(0x10);
        // An access running past CONFIG_DATA's last port is not a configuration access.
        assertThat(ops.pioRead(0xCFE, 4)).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void withTheEnableBitClearDataReadsAllOnes() {
        ops.pioWrite(0xCF8, 4, 0x0000_0000L);
        assertThat(ops.pioRead(0xCFC, 4)).isEqualTo(0xFFFF_FFFFL);
        ops.pioWrite(0xCFC, 4, 0);
        assertThat(configRead(0, 0, 0, 4)).isEqualTo(0x0D57_8086L);
    }

    @Test
    void configAddressKeepsOnlyItsDefinedBits() {
        ops.pioWrite(0xCF8, 4, 0xFFFF_FFFFL);
        assertThat(ops.pioRead(0xCF8, 4)).isEqualTo(0x80FF_FFFCL);
        assertThat(ops.pioRead(0xCFC, 4)).as("bus 255 does not exist").isEqualTo(0xFFFF_FFFFL);
        // Byte accesses to 0xCF8 are not CONFIG_ADDRESS accesses (pci_check_type2 must fail).
        ops.pioWrite(0xCF8, 1, 0);
        assertThat(ops.pioRead(0xCF8, 1)).isEqualTo(0xFF);
    }

    @Test
    void resetControlSharesTheDwordAtCf9() {
        ops.pioWrite(0xCF8, 4, 0x8000_0000L);
        ops.pioWrite(0xCF9, 1, 0x06);
        assertThat(power.resets.get()).isEqualTo(1);
        assertThat(ops.pioRead(0xCF8, 4)).isEqualTo(0x8000_0000L);
    }
}
