package dev.jvisor.virtio.queue;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SplitQueueTest {
    private final GuestMemory memory = GuestMemory.flat(4 << 20);
    private final MockQueue driver = new MockQueue(memory, 16);
    private final DescriptorChain chain = new DescriptorChain();

    @AfterEach
    void close() {
        memory.close();
    }

    @Test
    void popsAChainWithReadableThenWritableBuffers() throws Exception {
        long header = driver.allocate("request".getBytes(StandardCharsets.US_ASCII));
        long data = driver.allocate(100);
        long status = driver.allocate(1);
        int head = driver.addChain(readable(header, 7), writable(data, 100), writable(status, 1));
        SplitQueue queue = driver.deviceQueue(false, false);

        assertThat(queue.availableCount()).isEqualTo(1);
        assertThat(queue.pop(chain)).isTrue();

        assertThat(chain.head()).isEqualTo(head);
        assertThat(chain.segmentCount()).isEqualTo(3);
        assertThat(chain.readableSegments()).isEqualTo(1);
        assertThat(chain.readableLength()).isEqualTo(7);
        assertThat(chain.writableLength()).isEqualTo(101);
        assertThat(chain.address(1)).isEqualTo(data);
        assertThat(chain.isWritable(0)).isFalse();
        assertThat(chain.isWritable(2)).isTrue();
        byte[] text = new byte[7];
        chain.read(0, text, 0, 7);
        assertThat(new String(text, StandardCharsets.US_ASCII)).isEqualTo("request");
        assertThat(queue.pop(chain)).isFalse();
    }

    @Test
    void copiesAcrossSegmentBoundaries() throws Exception {
        long a = driver.allocate(new byte[] {1, 2, 3});
        long b = driver.allocate(new byte[] {4, 5});
        long w1 = driver.allocate(2);
        long w2 = driver.allocate(4);
        driver.addChain(readable(a, 3), readable(b, 2), writable(w1, 2), writable(w2, 4));
        SplitQueue queue = driver.deviceQueue(false, false);
        queue.pop(chain);

        byte[] middle = new byte[3];
        chain.read(2, middle, 0, 3);
        assertThat(middle).containsExactly(3, 4, 5);
        chain.write(1, new byte[] {9, 8, 7}, 0, 3);
        chain.writeByte(5, 0x55);
        assertThat(memory.read(w1, 2)).containsExactly(0, 9);
        assertThat(memory.read(w2, 4)).containsExactly(8, 7, 0, 0x55);
        assertThatThrownBy(() -> chain.read(3, new byte[3], 0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> chain.writeByte(6, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void followsIndirectTables() throws Exception {
        long in = driver.allocate(new byte[] {42});
        long out = driver.allocate(8);
        int head = driver.addIndirectChain(readable(in, 1), writable(out, 8));
        SplitQueue queue = driver.deviceQueue(true, false);

        assertThat(queue.pop(chain)).isTrue();
        assertThat(chain.head()).isEqualTo(head);
        assertThat(chain.segmentCount()).isEqualTo(2);
        assertThat(chain.readableLength()).isEqualTo(1);
        assertThat(chain.writableLength()).isEqualTo(8);
    }

    @Test
    void acceptsDirectDescriptorsFollowedByAnIndirectOne() throws Exception {
        long header = driver.allocate(16);
        long table = driver.allocate(32);
        long data = driver.allocate(64);
        long status = driver.allocate(1);
        driver.writeDescriptorAt(table, data, 64, SplitQueue.DESC_F_WRITE | SplitQueue.DESC_F_NEXT, 1);
        driver.writeDescriptorAt(table + 16, status, 1, SplitQueue.DESC_F_WRITE, 0);
        driver.writeDescriptor(0, header, 16, SplitQueue.DESC_F_NEXT, 1);
        driver.writeDescriptor(1, table, 32, SplitQueue.DESC_F_INDIRECT, 0);
        driver.publish(0);
        SplitQueue queue = driver.deviceQueue(true, false);

        queue.pop(chain);
        assertThat(chain.segmentCount()).isEqualTo(3);
        assertThat(chain.readableLength()).isEqualTo(16);
        assertThat(chain.writableLength()).isEqualTo(65);
    }

    @Test
    void addUsedPublishesElementsAndIndex() throws Exception {
        driver.addChain(writable(driver.allocate(4), 4));
        int second = driver.addChain(writable(driver.allocate(4), 4));
        SplitQueue queue = driver.deviceQueue(false, false);
        queue.pop(chain);
        queue.addUsed(chain.head(), 4);
        queue.pop(chain);
        queue.addUsed(chain.head(), 3);

        assertThat(driver.usedIdx()).isEqualTo(2);
        assertThat(driver.used(1)).isEqualTo(new MockQueue.Used(second, 3));
        assertThatThrownBy(() -> queue.addUsed(16, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wrapsTheRingIndicesPast65535() throws Exception {
        SplitQueue queue = driver.deviceQueue(false, false);
        long buffer = driver.allocate(1);
        for (int i = 0; i < 70_000; i++) {
            driver.addChain(writable(buffer, 1));
            assertThat(queue.pop(chain)).isTrue();
            queue.addUsed(chain.head(), 1);
        }
        assertThat(queue.nextAvail()).isEqualTo(70_000 & 0xFFFF);
        assertThat(queue.nextUsed()).isEqualTo(70_000 & 0xFFFF);
        assertThat(driver.usedIdx()).isEqualTo(70_000 & 0xFFFF);
    }

    @Test
    void undoPopHandsTheSameChainOutAgain() throws Exception {
        int head = driver.addChain(writable(driver.allocate(1), 1));
        SplitQueue queue = driver.deviceQueue(false, false);
        queue.pop(chain);
        queue.undoPop();
        assertThat(queue.pop(chain)).isTrue();
        assertThat(chain.head()).isEqualTo(head);
    }

    @Test
    void interruptSuppressionWithoutEventIdxFollowsTheNoInterruptFlag() throws Exception {
        driver.addChain(writable(driver.allocate(1), 1));
        SplitQueue queue = driver.deviceQueue(false, false);
        queue.pop(chain);
        queue.addUsed(chain.head(), 1);
        assertThat(queue.needsInterrupt()).isTrue();
        driver.setAvailFlags(SplitQueue.AVAIL_F_NO_INTERRUPT);
        assertThat(queue.needsInterrupt()).isFalse();
    }

    @Test
    void interruptSuppressionWithEventIdxFollowsUsedEvent() throws Exception {
        long buffer = driver.allocate(1);
        SplitQueue queue = driver.deviceQueue(false, true);
        for (int i = 0; i < 4; i++) {
            driver.addChain(writable(buffer, 1));
        }
        // First decision always signals (nothing was signalled yet).
        queue.pop(chain);
        queue.addUsed(chain.head(), 1);
        assertThat(queue.needsInterrupt()).isTrue();
        // The driver wants an interrupt once used index passes 2 (i.e. when entry 2 is used).
        driver.setUsedEvent(2);
        queue.pop(chain);
        queue.addUsed(chain.head(), 1);
        assertThat(queue.needsInterrupt()).as("used idx 2 does not pass used_event 2").isFalse();
        queue.pop(chain);
        queue.addUsed(chain.head(), 1);
        assertThat(queue.needsInterrupt()).as("used idx 3 passes used_event 2").isTrue();
        queue.pop(chain);
        queue.addUsed(chain.head(), 1);
        assertThat(queue.needsInterrupt()).as("already signalled past used_event").isFalse();
    }

    @Test
    void needEventMatchesTheSpecificationFormulaAcrossWrapAround() {
        assertThat(SplitQueue.needEvent(5, 6, 5)).isTrue();
        assertThat(SplitQueue.needEvent(5, 5, 4)).isFalse();
        assertThat(SplitQueue.needEvent(0xFFFF, 1, 0xFFFE)).isTrue();
        assertThat(SplitQueue.needEvent(3, 10, 5)).isFalse();
    }

    @Test
    void notificationSuppressionWithoutEventIdxUsesTheNoNotifyFlag() throws Exception {
        SplitQueue queue = driver.deviceQueue(false, false);
        queue.disableNotifications();
        assertThat(driver.usedFlags()).isEqualTo(SplitQueue.USED_F_NO_NOTIFY);
        assertThat(queue.enableNotifications()).isFalse();
        assertThat(driver.usedFlags()).isZero();
    }

    @Test
    void notificationSuppressionWithEventIdxPublishesAvailEvent() throws Exception {
        long buffer = driver.allocate(1);
        SplitQueue queue = driver.deviceQueue(false, true);
        driver.addChain(writable(buffer, 1));
        driver.addChain(writable(buffer, 1));
        queue.pop(chain);
        queue.pop(chain);
        assertThat(queue.enableNotifications()).isFalse();
        assertThat(driver.availEvent()).isEqualTo(2);
        driver.addChain(writable(buffer, 1));
        assertThat(queue.enableNotifications()).as("a chain added meanwhile is seen").isTrue();
    }

    @Test
    void rejectsBadLayouts() {
        assertThatThrownBy(() -> new SplitQueue(memory, new QueueLayout(12, 0, 0x1000, 0x2000), false, false))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new SplitQueue(memory, new QueueLayout(16, 8, 0x1000, 0x2000), false, false))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("descriptor table").hasMessageContaining("aligned");
        assertThatThrownBy(() -> new SplitQueue(memory, new QueueLayout(16, 0, 0x1001, 0x2000), false, false))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("available ring");
        assertThatThrownBy(() -> new SplitQueue(memory, new QueueLayout(16, 0, 0x1000, 4 << 20), false, false))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("used ring").hasMessageContaining("RAM");
        assertThatThrownBy(() -> new SplitQueue(memory, new QueueLayout(16, 0, 0x1000, -4096), false, false))
                .isInstanceOf(VirtqueueException.class);
    }
}
