package dev.jvisor.virtio.rng;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.virtio.DeviceHarness;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.MockQueue;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VirtioRngTest {
    private DeviceHarness harness;

    @AfterEach
    void close() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void fillsWritableBuffersWithRandomBytes() throws Exception {
        harness = new DeviceHarness(new VirtioRng("rng", new Random(1)), 16, VirtioFeatures.EVENT_IDX).activate();
        MockQueue q = harness.queue(0);
        long a = q.allocate(64);
        long b = q.allocate(32);
        q.addChain(writable(a, 64));
        q.addChain(writable(b, 32));
        harness.notifyQueue(0);

        assertThat(q.usedIdx()).isEqualTo(2);
        assertThat(q.used(0).length()).isEqualTo(64);
        assertThat(q.used(1).length()).isEqualTo(32);
        byte[] first = harness.memory.read(a, 64);
        byte[] second = harness.memory.read(b, 32);
        assertThat(first).isNotEqualTo(new byte[64]);
        assertThat(second).isNotEqualTo(java.util.Arrays.copyOf(first, 32)).as("no byte handed out twice");
        assertThat(harness.transport.queueSignals()).containsExactly(0);
    }

    @Test
    void largeRequestsGetAtMostTheCapAndReadOnlyChainsNothing() throws Exception {
        harness = new DeviceHarness(new VirtioRng("rng"), 16, 0).activate();
        MockQueue q = harness.queue(0);
        q.addChain(writable(q.allocate(100_000), 100_000));
        q.addChain(readable(q.allocate(8), 8));
        harness.notifyQueue(0);
        assertThat(q.used(0).length()).isEqualTo(VirtioRng.MAX_BYTES_PER_REQUEST);
        assertThat(q.used(1).length()).isZero();
    }

    @Test
    void malformedChainMeansNeedsReset() throws Exception {
        harness = new DeviceHarness(new VirtioRng("rng"), 16, 0).activate();
        MockQueue q = harness.queue(0);
        q.writeDescriptor(0, 1L << 40, 16, 2, 0); // a buffer far outside RAM
        q.publish(0);
        harness.notifyQueue(0);
        assertThat(harness.transport.needsResetReasons()).singleElement().asString().contains("not in guest RAM");
        // Broken until reset: further notifications do nothing.
        q.addChain(writable(q.allocate(8), 8));
        harness.notifyQueue(0);
        assertThat(q.usedIdx()).isZero();
    }
}
