package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class GuestPlacementTest {
    @Test
    void placeHighSkipsClaimedRangesAndStaysBelowTheLimit() throws Exception {
        MemoryMap map = MemoryMap.forRam(32 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            GuestPlacement p = new GuestPlacement(memory, map);
            p.claim("top", 31 * MIB, MIB);
            LoadedRegion a = p.placeHigh("a", 3 * MIB, 4096, 32 * MIB);
            assertThat(a.end()).isEqualTo(31 * MIB);
            LoadedRegion b = p.placeHigh("b", 100, 4096, 20 * MIB + 50);
            assertThat(b.address()).isEqualTo(20 * MIB - 4096);
        }
    }

    @Test
    void placeLowFillsGapsAboveTheFloorAndNeverTheBootArea() throws Exception {
        MemoryMap map = MemoryMap.forRam(16 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            GuestPlacement p = new GuestPlacement(memory, map);
            p.claim("kernel", 0x10_0000, 0x1000);
            LoadedRegion first = p.placeLow("first", 10, 4096, 0, HIGH_RAM_START);
            assertThat(first.address()).isEqualTo(BOOT_AREA_END);
            LoadedRegion second = p.placeLow("second", 0x2000, 4096, 0x10_0000, HIGH_RAM_START);
            assertThat(second.address()).isEqualTo(0x10_1000);
            assertThatThrownBy(() -> p.placeLow("big", 20 * MIB, 4096, 0, HIGH_RAM_START))
                    .hasMessage("big of 20 MiB does not fit between 0x0 and 0x100000000 in 16 MiB of RAM");
        }
    }

    @Test
    void claimsOutsideUsableRamOrOverlappingAreRefused() throws Exception {
        MemoryMap map = MemoryMap.forRam(16 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            GuestPlacement p = new GuestPlacement(memory, map);
            p.claim("a", 0x20_0000, 0x1000);
            assertThatThrownBy(() -> p.claim("b", 0x20_0800, 0x1000)).hasMessage("b [0x200800-0x201800) overlaps the a [0x200000-0x201000)");
            assertThatThrownBy(() -> p.claim("bios", 0xF0000, 16)).hasMessageContaining("does not fit in usable RAM");
            assertThatThrownBy(() -> p.claim("wrap", Long.MAX_VALUE, 16)).hasMessageContaining("does not fit");
            assertThatThrownBy(() -> p.claim("empty", 0x30_0000, 0)).hasMessage("empty is empty");
            assertThatThrownBy(() -> p.claim("past end", 16 * MIB - 8, 16)).hasMessageContaining("does not fit");
        }
    }
}
