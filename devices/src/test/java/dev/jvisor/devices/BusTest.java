package dev.jvisor.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BusTest {
    /** Remembers the last access so tests can see the offset the device was given. */
    static final class Probe implements BusDevice {
        final int sizes;
        long lastOffset = -1;
        int lastSize;
        long lastValue;

        Probe(int sizes) {
            this.sizes = sizes;
        }

        @Override
        public long read(long offset, int size) {
            lastOffset = offset;
            lastSize = size;
            return 0x1122_3344_5566_7788L; // more bits than any size, to check masking
        }

        @Override
        public void write(long offset, int size, long value) {
            lastOffset = offset;
            lastSize = size;
            lastValue = value;
        }

        @Override
        public int accessSizes() {
            return sizes;
        }
    }

    @Test
    void findsTheMappingContainingAnAddressAndPassesOffsets() {
        Bus bus = Bus.portSpace();
        Probe uart = new Probe(AccessSizes.BYTE);
        Probe rtc = new Probe(AccessSizes.BYTE);
        bus.register("rtc", 0x70, 2, rtc);
        bus.register("com1", 0x3F8, 8, uart);

        assertThat(bus.find(0x3F8).device()).isSameAs(uart);
        assertThat(bus.find(0x3FF).device()).isSameAs(uart);
        assertThat(bus.find(0x400)).isNull();
        assertThat(bus.find(0x3F7)).isNull();
        assertThat(bus.find(0x71).device()).isSameAs(rtc);
        assertThat(bus.find(0)).isNull();

        BusMapping m = bus.find(0x3FD);
        assertThat(m.read(0x3FD, 1)).isEqualTo(0x88);
        assertThat(uart.lastOffset).isEqualTo(5);
        assertThat(bus.mappings()).extracting(BusMapping::name).containsExactly("rtc", "com1");
    }

    @Test
    void rejectsOverlapNamingBothDevices() {
        Bus bus = Bus.portSpace();
        bus.register("com1", 0x3F8, 8, new Probe(AccessSizes.BYTE));
        assertThatThrownBy(() -> bus.register("intruder", 0x3FC, 8, new Probe(AccessSizes.BYTE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("intruder").hasMessageContaining("com1");
        assertThatThrownBy(() -> bus.register("before", 0x3F0, 9, new Probe(AccessSizes.BYTE)))
                .hasMessageContaining("before").hasMessageContaining("com1");
        // Adjacent ranges are fine on both sides.
        bus.register("below", 0x3F0, 8, new Probe(AccessSizes.BYTE));
        bus.register("above", 0x400, 1, new Probe(AccessSizes.BYTE));
        assertThat(bus.mappings()).hasSize(3);
    }

    @Test
    void rejectsEmptyWrappingAndOutOfSpaceRanges() {
        Bus ports = Bus.portSpace();
        Bus mmio = Bus.mmioSpace();
        Probe p = new Probe(AccessSizes.ANY);
        assertThatThrownBy(() -> ports.register("empty", 0x10, 0, p)).hasMessageContaining("empty")
                .hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> ports.register("past-end", 0xFFFF, 2, p)).hasMessageContaining("bus ends");
        assertThatThrownBy(() -> mmio.register("wraps", 0xFFFF_FFFF_FFFF_F000L, 0x2000, p))
                .hasMessageContaining("wraps");
        // The very top page of the 64-bit space is a legal range.
        mmio.register("top", 0xFFFF_FFFF_FFFF_F000L, 0x1000, p);
        assertThat(mmio.find(-1L).name()).isEqualTo("top");
    }

    @Test
    void comparesAddressesAsUnsigned() {
        Bus mmio = Bus.mmioSpace();
        Probe low = new Probe(AccessSizes.ANY);
        Probe high = new Probe(AccessSizes.ANY);
        mmio.register("high", 0x8000_0000_0000_0000L, 0x1000, high);
        mmio.register("low", 0xFEC0_0000L, 0x1000, low);
        assertThat(mmio.find(0x8000_0000_0000_0FFFL).device()).isSameAs(high);
        assertThat(mmio.find(0xFEC0_0010L).device()).isSameAs(low);
        assertThat(mmio.find(0x7FFF_FFFF_FFFF_FFFFL)).isNull();
        assertThat(mmio.mappings()).extracting(BusMapping::name).containsExactly("low", "high");
    }

    @Test
    void unregisterFreesTheRange() {
        Bus bus = Bus.mmioSpace();
        BusMapping m = bus.register("bar", 0xC000_0000L, 0x1000, new Probe(AccessSizes.ANY));
        bus.unregister(m);
        assertThat(bus.find(0xC000_0000L)).isNull();
        assertThatThrownBy(() -> bus.unregister(m)).hasMessageContaining("not registered");
        bus.register("again", 0xC000_0000L, 0x1000, new Probe(AccessSizes.ANY));
        assertThat(bus.find(0xC000_0FFFL).name()).isEqualTo("again");
    }

    @Test
    void unsupportedSizesReadAllOnesAndAreCounted() {
        Bus bus = Bus.portSpace();
        Probe p = new Probe(AccessSizes.BYTE);
        BusMapping m = bus.register("byte-only", 0x80, 1, p);
        assertThat(m.read(0x80, 2)).isEqualTo(0xFFFF);
        assertThat(m.read(0x80, 4)).isEqualTo(0xFFFF_FFFFL);
        m.write(0x80, 4, 0x1234);
        assertThat(p.lastOffset).isEqualTo(-1); // never reached the device
        assertThat(m.rejectedAccesses()).isEqualTo(3);
        assertThat(m.read(0x80, 1)).isEqualTo(0x88);
        m.write(0x80, 1, 0x1FF); // masked to the access size before the device sees it
        assertThat(p.lastValue).isEqualTo(0xFF);
        assertThat(m.rejectedAccesses()).isEqualTo(3);
    }
}
