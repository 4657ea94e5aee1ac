package dev.jvisor.machine;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.machine.E820Entry.Type;
import dev.jvisor.memory.GuestMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryMapTest {
    @Test
    void smallRamIsOneLowRegionWithTheLegacyHolesReserved() {
        MemoryMap map = MemoryMap.forRam(256 * MIB);

        assertThat(map.ramLayouts()).containsExactly(new GuestMemory.Layout(0, 256 * MIB));
        assertThat(map.e820()).containsExactly(
                new E820Entry(0, 0x9FC00, Type.USABLE),
                new E820Entry(0x9FC00, 0xE0000 - 0x9FC00, Type.RESERVED),
                new E820Entry(0xE0000, 0x10000, Type.ACPI),
                new E820Entry(0xF0000, 0x10000, Type.RESERVED),
                new E820Entry(0x100000, 256 * MIB - 0x100000, Type.USABLE),
                new E820Entry(0xE000_0000L, 256 * MIB, Type.RESERVED));
        assertThat(map.lowRamEnd()).isEqualTo(256 * MIB);
        assertThat(map.ramEnd()).isEqualTo(256 * MIB);
        assertThat(map.pciMmio64Base()).isEqualTo(4 * GIB);
    }

    @Test
    void ramAboveThreeGibMovesToFourGib() {
        MemoryMap map = MemoryMap.forRam(5 * GIB);

        assertThat(map.ramLayouts()).containsExactly(
                new GuestMemory.Layout(0, 3 * GIB), new GuestMemory.Layout(4 * GIB, 2 * GIB));
        assertThat(map.usable()).extracting(E820Entry::address, E820Entry::end).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0L, 0x9FC00L),
                org.assertj.core.groups.Tuple.tuple(0x100000L, 3 * GIB),
                org.assertj.core.groups.Tuple.tuple(4 * GIB, 6 * GIB));
        assertThat(map.ramEnd()).isEqualTo(6 * GIB);
        assertThat(map.pciMmio64Base()).isEqualTo(6 * GIB);
        long usableBytes = map.usable().stream().mapToLong(E820Entry::size).sum();
        assertThat(usableBytes).isEqualTo(5 * GIB - (0x100000 - 0x9FC00));
    }

    @Test
    void exactlyThreeGibHasNoHighRegion() {
        MemoryMap map = MemoryMap.forRam(3 * GIB);

        assertThat(map.ramLayouts()).hasSize(1);
        assertThat(map.e820()).noneMatch(e -> e.address() >= HIGH_RAM_START);
    }

    @Test
    void mapIsSortedAndNonOverlapping() {
        for (long ram : List.of(16 * MIB, 1 * GIB, 3 * GIB + 4096, 64 * GIB)) {
            List<E820Entry> e820 = MemoryMap.forRam(ram).e820();
            for (int i = 1; i < e820.size(); i++) {
                assertThat(e820.get(i).address()).as("entry %d of %d bytes", i, ram)
                        .isGreaterThanOrEqualTo(e820.get(i - 1).end());
            }
        }
    }

    @Test
    void ramOutsideTheLimitsIsRejectedWithTheLimitInTheMessage() {
        assertThatThrownBy(() -> MemoryMap.forRam(8 * MIB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("guest RAM of 8 MiB is below the minimum of 16 MiB");
        assertThatThrownBy(() -> MemoryMap.forRam(600 * GIB))
                .hasMessage("guest RAM of 600 GiB is above the maximum of 512 GiB");
        assertThatThrownBy(() -> MemoryMap.forRam(32 * MIB + 1))
                .hasMessageContaining("not a multiple of 4 KiB");
    }

    @Test
    void guestMemoryCanBeCreatedFromTheLayouts() {
        MemoryMap map = MemoryMap.forRam(3 * GIB + 64 * MIB);
        try (GuestMemory memory = GuestMemory.create(map.ramLayouts())) {
            assertThat(memory.totalSize()).isEqualTo(map.ramBytes());
            for (E820Entry usable : map.usable()) {
                assertThat(memory.isRam(usable.address(), usable.size())).as(usable.toString()).isTrue();
            }
            assertThat(memory.isRam(PCI_MMIO32_BASE, 1)).isFalse();
        }
    }

    @Test
    void pciIntxRoutingRotatesOverGsis16To23() {
        assertThat(pciIntxGsi(1, 0)).isEqualTo(17);
        assertThat(pciIntxGsi(1, 3)).isEqualTo(20);
        assertThat(pciIntxGsi(7, 1)).isEqualTo(16);
        assertThat(pciIntxGsi(31, 3)).isEqualTo(18);
        assertThatThrownBy(() -> pciIntxGsi(32, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pciIntxGsi(3, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bootStructuresLieInUsableLowRamAndDoNotOverlap() {
        MemoryMap map = MemoryMap.forRam(MemoryMap.MIN_RAM);
        long[][] areas = {
                {BOOT_GDT, 0x1000}, {BOOT_PML4, 0x1000}, {BOOT_PDPT, 0x1000}, {BOOT_PD, BOOT_PD_COUNT * 0x1000L},
                {BOOT_STACK_TOP - 0x1000, 0x1000}, {ZERO_PAGE, 0x1000}, {BOOT_INFO, BOOT_INFO_SIZE},
                {CMDLINE, CMDLINE_MAX}};
        for (int i = 0; i < areas.length; i++) {
            assertThat(map.isUsable(areas[i][0], areas[i][1])).as("area %d", i).isTrue();
            for (int j = i + 1; j < areas.length; j++) {
                boolean overlap = areas[i][0] < areas[j][0] + areas[j][1] && areas[j][0] < areas[i][0] + areas[i][1];
                assertThat(overlap).as("areas %d and %d", i, j).isFalse();
            }
        }
        assertThat(CMDLINE + CMDLINE_MAX).isEqualTo(BOOT_AREA_END);
    }
}
