package dev.jvisor.devices.pci;

import static dev.jvisor.devices.pci.PciConfigSpace.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusVmOps;
import dev.jvisor.devices.RecordingInterruptLines;
import org.junit.jupiter.api.Test;

/** BAR sizing and placement, capabilities, INTx and functions, as Linux's PCI core drives them. */
class PciBusTest {
    private final Bus ports = Bus.portSpace();
    private final Bus mmio = Bus.mmioSpace();
    private final BusVmOps ops = new BusVmOps(ports, mmio);
    private final RecordingInterruptLines lines = new RecordingInterruptLines();
    private final IntxRouting routing = IntxRouting.rotating(16, 8);
    private final PciBus bus = new PciBus(ports, mmio, lines, routing);
    private final TestPciDevice nic = new TestPciDevice();
    private final int slot = bus.attach(nic);

    private long read(int register, int size) {
        return bus.readConfig(0, slot, 0, register, size);
    }

    private void write(int register, int size, long value) {
        bus.writeConfig(0, slot, 0, register, size, value);
    }

    /** __pci_read_base: decoding off, write all ones, read the mask, restore. */
    private long sizeMask(int register) {
        long original = read(register, 4);
        write(register, 4, 0xFFFF_FFFFL);
        long mask = read(register, 4);
        write(register, 4, original);
        return mask;
    }

    @Test
    void attachTakesTheLowestFreeSlot() {
        assertThat(slot).isEqualTo(1);
        assertThat(bus.device(0, 0).name()).isEqualTo("host-bridge");
        assertThat(bus.device(1, 0)).isSameAs(nic);
        assertThat(bus.devices()).hasSize(2);
        assertThat(read(VENDOR_ID, 4)).isEqualTo(0x1041_1AF4L);
        assertThat(read(SUBSYSTEM_VENDOR_ID, 4)).isEqualTo(0x0001_1AF4L);
        assertThat(read(0x08, 4)).isEqualTo(0x0200_0001L);
    }

    @Test
    void barSizingReturnsTheSizeMask() {
        write(COMMAND, 2, read(COMMAND, 2) & ~(COMMAND_IO | COMMAND_MEMORY));
        assertThat(sizeMask(BAR0)).isEqualTo(0xFFFF_F000L);
        assertThat(sizeMask(BAR0 + 8)).as("64-bit prefetchable, low half").isEqualTo(0xFFFF_C00CL);
        assertThat(sizeMask(BAR0 + 12)).as("64-bit, high half").isEqualTo(0xFFFF_FFFFL);
        assertThat(sizeMask(BAR0 + 16)).as("I/O, 16-bit decode").isEqualTo(0x0000_FFE1L);
        assertThat(sizeMask(BAR0 + 4)).as("BAR 1 is unused").isZero();
        assertThat(sizeMask(EXPANSION_ROM)).as("no expansion ROM").isZero();
        assertThat(read(BAR0, 4)).isZero();
    }

    @Test
    void barsAreDecodedWhereProgrammedOnceDecodingIsOn() {
        write(BAR0, 4, 0xFEBF_0000L);
        write(BAR0 + 8, 4, 0x0000_0000L);
        write(BAR0 + 12, 4, 0x0000_0080L);
        write(BAR0 + 16, 4, 0xC000);
        assertThat(mmio.mappings()).as("decoding still off").isEmpty();
        assertThat(nic.barAddress(2)).isEqualTo(0x80_0000_0000L);

        write(COMMAND, 2, COMMAND_MEMORY | COMMAND_IO | COMMAND_BUS_MASTER);
        assertThat(nic.busMasterEnabled()).isTrue();
        assertThat(ops.mmioRead(0xFEBF_0010L, 4)).isEqualTo(0xAB);
        assertThat(nic.mmio32.lastOffset).isEqualTo(0x10);
        ops.mmioWrite(0x80_0000_3FF8L, 8, 0x1234);
        assertThat(nic.mmio64.lastOffset).isEqualTo(0x3FF8);
        assertThat(nic.mmio64.lastValue).isEqualTo(0x1234);
        ops.pioWrite(0xC01F, 1, 7);
        assertThat(nic.io.lastOffset).isEqualTo(0x1F);
        assertThat(bus.barMapping(slot, 0, 0).name()).isEqualTo("00:01.0 BAR0 (test-nic)");
    }

    @Test
    void movingABarMovesItsRegistration() {
        write(BAR0, 4, 0xFEBF_0000L);
        write(COMMAND, 2, COMMAND_MEMORY);
        write(BAR0, 4, 0xFEBE_0000L);
        assertThat(mmio.find(0xFEBF_0000L)).isNull();
        assertThat(mmio.find(0xFEBE_0FFFL).device()).isSameAs(nic.mmio32);
        assertThat(ops.mmioRead(0xFEBF_0000L, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(ops.unclaimedMmioReads()).isEqualTo(1);

        // Turning memory decoding off removes it; I/O BARs follow the I/O bit only.
        write(BAR0 + 16, 4, 0xC000);
        write(COMMAND, 2, COMMAND_IO);
        assertThat(mmio.mappings()).isEmpty();
        assertThat(ports.find(0xC000).device()).isSameAs(nic.io);
        write(COMMAND, 2, 0);
        assertThat(ports.find(0xC000)).isNull();
    }

    @Test
    void sizingWithDecodingOnDoesNotLeaveTheBarAtTheProbeAddress() {
        write(BAR0, 4, 0xFEBF_0000L);
        write(COMMAND, 2, COMMAND_MEMORY);
        assertThat(sizeMask(BAR0)).isEqualTo(0xFFFF_F000L);
        assertThat(mmio.mappings()).extracting(m -> m.base()).containsExactly(0xFEBF_0000L);
    }

    @Test
    void aBarOverAnotherDeviceStaysUndecoded() {
        mmio.register("ioapic", 0xFEC0_0000L, 0x1000, new TestPciDevice.Region());
        write(BAR0, 4, 0xFEC0_0000L);
        write(COMMAND, 2, COMMAND_MEMORY);
        assertThat(bus.barMapping(slot, 0, 0)).isNull();
        assertThat(mmio.find(0xFEC0_0000L).name()).isEqualTo("ioapic");
        write(BAR0, 4, 0xFEB0_0000L);
        assertThat(bus.barMapping(slot, 0, 0).base()).isEqualTo(0xFEB0_0000L);
    }

    @Test
    void commandAndStatusMasks() {
        write(COMMAND, 2, 0xFFFF);
        assertThat(read(COMMAND, 2)).isEqualTo(0x0547);
        nic.signalTargetAbort();
        int status = (int) read(STATUS, 2);
        assertThat(status & 0x0800).isNotZero();
        write(STATUS, 2, 0x0010); // writing 1 to a read-only bit changes nothing
        assertThat(read(STATUS, 2)).isEqualTo(status);
        write(STATUS, 2, 0x0800);
        assertThat(read(STATUS, 2) & 0x0800).isZero();
        assertThat(read(STATUS, 2) & STATUS_CAPABILITIES).isNotZero();
        write(VENDOR_ID, 4, 0);
        assertThat(read(VENDOR_ID, 2)).isEqualTo(0x1AF4);
        assertThat(nic.configWrites).isEqualTo(4);
    }

    @Test
    void capabilityListIsLinkedFromOffset34() {
        assertThat(read(CAPABILITIES_POINTER, 1)).isEqualTo(nic.vendorCapability).isEqualTo(0x40);
        assertThat(read(0x40, 1)).isEqualTo(0x09);
        int next = (int) read(0x41, 1);
        assertThat(next).isEqualTo(nic.msiCapability).isEqualTo(0x50);
        assertThat(read(next, 1)).isEqualTo(0x05);
        assertThat(read(next + 1, 1)).isZero();
        write(0x43, 1, 0x77);
        write(0x44, 1, 0x77);
        assertThat(read(0x43, 1)).isEqualTo(0x77);
        assertThat(read(0x44, 1)).as("read-only body").isZero();
    }

    @Test
    void intxReachesTheRoutedGsiUnlessDisabled() {
        int gsi = routing.gsi(slot, 1);
        assertThat(gsi).isEqualTo(17);
        assertThat(bus.interruptGsi(slot, 0)).isEqualTo(gsi);
        assertThat(read(INTERRUPT_PIN, 1)).isEqualTo(1);
        assertThat(read(INTERRUPT_LINE, 1)).isEqualTo(gsi);
        write(INTERRUPT_LINE, 1, 11); // firmware/OS bookkeeping only
        assertThat(read(INTERRUPT_LINE, 1)).isEqualTo(11);

        nic.raiseInterrupt(true);
        assertThat(lines.isHigh(gsi)).isTrue();
        assertThat(read(STATUS, 2) & STATUS_INTERRUPT).isNotZero();
        write(COMMAND, 2, COMMAND_INTX_DISABLE);
        assertThat(lines.isHigh(gsi)).isFalse();
        assertThat(read(STATUS, 2) & STATUS_INTERRUPT).as("status still shows the pin").isNotZero();
        write(COMMAND, 2, 0);
        assertThat(lines.isHigh(gsi)).isTrue();
        nic.raiseInterrupt(false);
        assertThat(lines.isHigh(gsi)).isFalse();
        assertThat(read(STATUS, 2) & STATUS_INTERRUPT).isZero();
    }

    @Test
    void devicesSharingAGsiFormAWiredOr() {
        TestPciDevice other = new TestPciDevice();
        bus.attach(9, 0, other); // (9 + 1 - 1) % 8 = 1 → GSI 17, like slot 1
        assertThat(bus.interruptGsi(9, 0)).isEqualTo(17);
        nic.raiseInterrupt(true);
        other.raiseInterrupt(true);
        nic.raiseInterrupt(false);
        assertThat(lines.isHigh(17)).as("the other device still asserts").isTrue();
        other.raiseInterrupt(false);
        assertThat(lines.isHigh(17)).isFalse();
        assertThat(lines.changes()).containsExactly("17+", "17-");
    }

    @Test
    void furtherFunctionsNeedAMultiFunctionFunctionZero() {
        TestPciDevice fn1 = new TestPciDevice();
        bus.attach(slot, 1, fn1);
        assertThat(bus.readConfig(0, slot, 1, 0, 4)).isEqualTo(0xFFFF_FFFFL);
        TestPciDevice multi = new TestPciDevice(true, false);
        TestPciDevice multiFn2 = new TestPciDevice();
        bus.attach(5, 0, multi);
        bus.attach(5, 2, multiFn2);
        assertThat(bus.readConfig(0, 5, 0, HEADER_TYPE, 1)).isEqualTo(0x80);
        assertThat(bus.readConfig(0, 5, 2, VENDOR_ID, 2)).isEqualTo(0x1AF4);
        assertThat(bus.readConfig(0, 5, 1, VENDOR_ID, 2)).isEqualTo(0xFFFF);
    }

    @Test
    void attachRefusesTakenAddressesAndDoubleAttachment() {
        assertThatThrownBy(() -> bus.attach(slot, 0, new TestPciDevice()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("00:01.0").hasMessageContaining("test-nic");
        assertThatThrownBy(() -> bus.attach(7, 0, nic)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> bus.attach(32, 0, new TestPciDevice())).hasMessageContaining("out of range");
        for (int s = 2; s < 32; s++) {
            if (bus.device(s, 0) == null) {
                bus.attach(s, 0, new TestPciDevice());
            }
        }
        assertThatThrownBy(() -> bus.attach(new TestPciDevice())).hasMessageContaining("no free slot");
    }

    @Test
    void malformedConfigAccessesAreIgnored() {
        assertThat(read(0x03, 2)).as("crosses a dword").isEqualTo(0xFFFF);
        assertThat(read(0xFE, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(bus.readConfig(0, slot, 0, 0x100, 4)).as("past a 256-byte space").isEqualTo(0xFFFF_FFFFL);
        assertThat(bus.readConfig(0, slot, 0, -4, 4)).isEqualTo(0xFFFF_FFFFL);
        assertThat(bus.readConfig(0, slot, 0, 0, 8)).isEqualTo(-1L);
        write(0x3E, 4, 0); // dropped
        assertThat(nic.configWrites).isZero();
    }
}
