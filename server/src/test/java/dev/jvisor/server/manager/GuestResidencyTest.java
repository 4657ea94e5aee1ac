package dev.jvisor.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class GuestResidencyTest {
    @Test
    void countsOnlyTouchedPages() {
        try (GuestMemory a = GuestMemory.flat(16 << 20); GuestMemory b = GuestMemory.flat(16 << 20)) {
            var ma = a.hostMapping();
            assertThat(GuestResidency.residentBytes(ma.address(), ma.byteSize())).isZero();
            for (int i = 0; i < 10; i++) {
                a.writeU8(i * 8192L, 1);
            }
            b.fill(0, 1 << 20, (byte) 1); // a neighbour's pages do not count for a
            assertThat(GuestResidency.residentBytes(ma.address(), ma.byteSize())).isEqualTo(10 * 4096);
            var mb = b.hostMapping();
            assertThat(GuestResidency.residentBytes(mb.address(), mb.byteSize())).isEqualTo(1 << 20);
        }
    }
}
