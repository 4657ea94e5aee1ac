package dev.jvisor.virtio.queue;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every rule of section 2.7 that a chain can break is reported as a {@link VirtqueueException}. */
class MalformedChainTest {
    private static final int NEXT = SplitQueue.DESC_F_NEXT;
    private static final int WRITE = SplitQueue.DESC_F_WRITE;
    private static final int INDIRECT = SplitQueue.DESC_F_INDIRECT;

    private final GuestMemory memory = GuestMemory.flat(4 << 20);
    private final MockQueue driver = new MockQueue(memory, 8);
    private final DescriptorChain chain = new DescriptorChain();

    @AfterEach
    void close() {
        memory.close();
    }

    private void assertBad(boolean indirect, String message) {
        assertThatThrownBy(() -> driver.deviceQueue(indirect, false).pop(chain))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining(message);
    }

    @Test
    void loopInTheDescriptorTable() {
        long buffer = driver.allocate(8);
        driver.writeDescriptor(0, buffer, 8, NEXT, 1);
        driver.writeDescriptor(1, buffer, 8, NEXT, 0);
        driver.publish(0);
        assertBad(false, "a loop");
    }

    @Test
    void loopInAnIndirectTable() {
        long table = driver.allocate(32);
        long buffer = driver.allocate(8);
        driver.writeDescriptorAt(table, buffer, 8, NEXT, 1);
        driver.writeDescriptorAt(table + 16, buffer, 8, NEXT, 0);
        driver.writeDescriptor(0, table, 32, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "loops");
    }

    @Test
    void bufferOutsideGuestRam() {
        driver.addChain(readable(4 << 20, 16));
        assertBad(false, "not in guest RAM");
    }

    @Test
    void bufferStraddlingTheEndOfRam() {
        driver.addChain(writable((4 << 20) - 8, 16));
        assertBad(false, "not in guest RAM");
    }

    @Test
    void bufferWrappingTheAddressSpace() {
        driver.writeDescriptor(0, 0xFFFF_FFFF_FFFF_FFF0L, 0x20, 0, 0);
        driver.publish(0);
        assertBad(false, "wraps");
    }

    @Test
    void nextIndexBeyondTheQueue() {
        driver.writeDescriptor(0, driver.allocate(4), 4, NEXT, 8);
        driver.publish(0);
        assertBad(false, "beyond the queue");
    }

    @Test
    void headIndexBeyondTheQueue() {
        driver.publish(9);
        assertBad(false, "names descriptor 9");
    }

    @Test
    void availableIndexRunningAhead() {
        driver.setAvailIdx(9);
        assertBad(false, "ahead");
    }

    @Test
    void readableAfterWritable() {
        driver.addChain(writable(driver.allocate(4), 4), readable(driver.allocate(4), 4));
        assertBad(false, "device-readable after a device-writable");
    }

    @Test
    void readableAfterWritableAcrossTheIndirectBoundary() {
        long table = driver.allocate(16);
        driver.writeDescriptorAt(table, driver.allocate(4), 4, 0, 0);
        driver.writeDescriptor(0, driver.allocate(4), 4, WRITE | NEXT, 1);
        driver.writeDescriptor(1, table, 16, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "device-readable after a device-writable");
    }

    @Test
    void indirectWithoutTheFeature() {
        driver.addIndirectChain(readable(driver.allocate(4), 4));
        assertBad(false, "VIRTIO_F_INDIRECT_DESC was not negotiated");
    }

    @Test
    void indirectInsideIndirect() {
        long inner = driver.allocate(16);
        driver.writeDescriptorAt(inner, driver.allocate(4), 4, 0, 0);
        long outer = driver.allocate(16);
        driver.writeDescriptorAt(outer, inner, 16, INDIRECT, 0);
        driver.writeDescriptor(0, outer, 16, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "itself INDIRECT");
    }

    @Test
    void indirectTogetherWithNext() {
        long table = driver.allocate(16);
        driver.writeDescriptorAt(table, driver.allocate(4), 4, 0, 0);
        driver.writeDescriptor(0, table, 16, INDIRECT | NEXT, 1);
        driver.writeDescriptor(1, driver.allocate(4), 4, 0, 0);
        driver.publish(0);
        assertBad(true, "both INDIRECT and NEXT");
    }

    @Test
    void indirectTableWithARaggedLength() {
        driver.writeDescriptor(0, driver.allocate(24), 24, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "multiple of 16");
    }

    @Test
    void indirectTableOfLengthZero() {
        driver.writeDescriptor(0, driver.allocate(16), 0, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "multiple of 16");
    }

    @Test
    void indirectTableOutsideRam() {
        driver.writeDescriptor(0, (4 << 20) - 16, 32, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "not in guest RAM");
    }

    @Test
    void indirectNextBeyondItsTable() {
        long table = driver.allocate(16);
        driver.writeDescriptorAt(table, driver.allocate(4), 4, NEXT, 1);
        driver.writeDescriptor(0, table, 16, INDIRECT, 0);
        driver.publish(0);
        assertBad(true, "beyond its table");
    }

    @Test
    void bufferLongerThanTwoGigabytes() {
        driver.writeDescriptor(0, 0, 0x8000_0000L, 0, 0);
        driver.publish(0);
        assertBad(false, "over 2 GiB");
    }

    @Test
    void totalLengthOverflowingTheUsedRingField() throws Exception {
        // Three 2 GiB - 1 buffers over the same RAM add up to more than 2^32 - 1 bytes.
        try (GuestMemory big = GuestMemory.flat(1L << 31)) {
            MockQueue bigDriver = new MockQueue(big, 8);
            int len = Integer.MAX_VALUE;
            bigDriver.addChain(writable(0, len), writable(0, len), writable(0, len));
            assertThatThrownBy(() -> bigDriver.deviceQueue(false, false).pop(chain))
                    .isInstanceOf(VirtqueueException.class).hasMessageContaining("more than 4 GiB");
        }
    }
}
