package dev.jvisor.virtio;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.queue.MockQueue;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;

/**
 * A device bound to a {@link RecordingTransport} and activated over mock queues: device tests with
 * no transport and no guest.
 */
public final class DeviceHarness implements AutoCloseable {
    public final GuestMemory memory = GuestMemory.flat(16 << 20);
    public final RecordingTransport transport = new RecordingTransport();
    public final VirtioDevice device;
    private final MockQueue[] queues;
    private final long features;

    /** Binds {@code device} and gives each of its queues a {@code queueSize} mock queue, 1 MiB apart. */
    public DeviceHarness(VirtioDevice device, int queueSize, long features) {
        this.device = device;
        this.features = features | VirtioFeatures.VERSION_1;
        device.bind(transport);
        queues = new MockQueue[device.queueCount()];
        for (int q = 0; q < queues.length; q++) {
            queues[q] = new MockQueue(memory, queueSize, 0x10000 + 0x10000L * q, (1L + q) << 20);
        }
    }

    /** Activates the device with every queue enabled. */
    public DeviceHarness activate() throws VirtqueueException {
        SplitQueue[] split = new SplitQueue[queues.length];
        for (int q = 0; q < queues.length; q++) {
            split[q] = queues[q].deviceQueue(VirtioFeatures.has(features, VirtioFeatures.INDIRECT_DESC),
                    VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX));
        }
        device.activate(new Activation(memory, features, split));
        return this;
    }

    public MockQueue queue(int q) {
        return queues[q];
    }

    public void notifyQueue(int q) {
        device.queueNotified(q);
    }

    /**
     * Waits until queue {@code q}'s used index reaches {@code count} (work may run on device
     * threads); a bounded wait so that a broken device fails the test instead of hanging it.
     */
    public boolean awaitUsed(int q, int count) throws InterruptedException {
        for (int i = 0; i < 10_000; i++) {
            if (((queues[q].usedIdx() - count) & 0x8000) == 0) {
                return true;
            }
            if (!transport.needsResetReasons().isEmpty()) {
                return false;
            }
            Thread.sleep(1);
        }
        return false;
    }

    @Override
    public void close() {
        device.close();
        memory.close();
    }
}
