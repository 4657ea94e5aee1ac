package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.net.MacAddress;
import org.junit.jupiter.api.Test;

class StableMacTest {
    @Test
    void sameSeedAndIndexGiveTheSameAddressOthersDiffer() {
        MacAddress a = StableMac.derive("drive:/vm/disk.qcow2", 0);
        assertThat(StableMac.derive("drive:/vm/disk.qcow2", 0)).isEqualTo(a);
        assertThat(StableMac.derive("drive:/vm/disk.qcow2", 1)).isNotEqualTo(a);
        assertThat(StableMac.derive("drive:/vm/other.qcow2", 0)).isNotEqualTo(a);
    }

    @Test
    void addressesAreLocallyAdministeredUnicast() {
        for (int i = 0; i < 256; i++) {
            MacAddress m = StableMac.derive("seed", i);
            assertThat(m.isMulticast()).isFalse();
            assertThat(m.bits() >>> 40 & 0x02).as("locally administered bit of %s", m).isEqualTo(2);
        }
    }
}
