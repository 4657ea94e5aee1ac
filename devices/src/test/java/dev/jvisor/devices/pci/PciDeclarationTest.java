package dev.jvisor.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Declarations a device author can get wrong are refused with a message saying why. */
class PciDeclarationTest {
    private final TestPciDevice.Region region = new TestPciDevice.Region();

    @Test
    void barLimits() {
        assertThatThrownBy(() -> PciBar.io(0, 512, region)).hasMessageContaining("between 4 and 256");
        assertThatThrownBy(() -> PciBar.memory32(0, 0x1800, region)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> PciBar.memory32(0, 8, region)).hasMessageContaining("between 16");
        assertThatThrownBy(() -> PciBar.memory64(5, 0x1000, false, region)).hasMessageContaining("0-4");
        assertThatThrownBy(() -> new PciBar(0, PciBarType.IO, 16, true, region)).hasMessageContaining("prefetchable");
        assertThat(PciBar.memory64(4, 1L << 32, true, region).registers()).isEqualTo(2);
    }

    @Test
    void identityLimits() {
        assertThatThrownBy(() -> PciIdentity.of(0xFFFF, 1, 0)).hasMessageContaining("no device");
        assertThatThrownBy(() -> PciIdentity.of(0x10000, 1, 0)).hasMessageContaining("16 bits");
        assertThatThrownBy(() -> new PciIdentity(1, 1, 0, 0, 0, 0, 5, false)).hasMessageContaining("INTA-INTD");
    }

    @Test
    void barRegistersCannotBeSharedAndCapabilitiesMustFit() {
        class Clash extends PciDevice {
            Clash() {
                super(PciIdentity.of(0x1234, 1, 0xFF0000), false);
                addBar(PciBar.memory64(0, 0x1000, false, region));
            }

            void addOverlapping() {
                addBar(PciBar.memory32(1, 0x1000, region));
            }

            void fillCapabilities() {
                addCapability(0x09, 0xC0);
                addCapability(0x09, 0x10);
            }

            void extended() {
                addExtendedCapability(1, 1, 8);
            }
        }
        Clash clash = new Clash();
        assertThatThrownBy(clash::addOverlapping).hasMessageContaining("already used");
        assertThatThrownBy(clash::fillCapabilities).hasMessageContaining("no room");
        assertThatThrownBy(clash::extended).hasMessageContaining("4 KiB");
        assertThatThrownBy(() -> clash.barAddress(1)).hasMessageContaining("no BAR 1");
    }

    @Test
    void configSpaceRefusesOutOfRangeDeviceAccess() {
        PciConfigSpace space = new PciConfigSpace(256);
        assertThatThrownBy(() -> space.read(255, 2)).hasMessageContaining("outside");
        assertThatThrownBy(() -> new PciConfigSpace(512)).hasMessageContaining("256 or 4096");
        space.setWritableMask(0x40, 2, 0x0F0F);
        space.guestWrite(0x40, 2, 0xFFFF);
        assertThat(space.readWord(0x40)).isEqualTo(0x0F0F);
        assertThat(space.writableMask(0x40, 2)).isEqualTo(0x0F0F);
    }
}
