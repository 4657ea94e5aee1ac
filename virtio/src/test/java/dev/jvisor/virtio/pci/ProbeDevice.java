package dev.jvisor.virtio.pci;

import dev.jvisor.virtio.AbstractVirtioDevice;
import dev.jvisor.virtio.Activation;
import dev.jvisor.virtio.DeviceType;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.DescriptorChain;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.util.ArrayList;
import java.util.List;

/**
 * A device for transport tests: two queues that return every chain with its writable part filled
 * with 0xAB, an 8-byte configuration space (a read-only word and a writable word), one
 * device-specific feature, and a log of lifecycle calls.
 */
final class ProbeDevice extends AbstractVirtioDevice {
    static final long FEATURE_PROBE = 1L << 3;

    final List<String> events = new ArrayList<>();
    volatile Activation lastActivation;
    private volatile int writableWord;
    private final DescriptorChain chain = new DescriptorChain();

    ProbeDevice() {
        super("probe");
    }

    @Override
    public DeviceType type() {
        return DeviceType.CONSOLE;
    }

    @Override
    public long offeredFeatures() {
        return FEATURE_PROBE | VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX | VirtioFeatures.RING_PACKED;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize(int index) {
        return 64;
    }

    @Override
    public int configSize() {
        return 8;
    }

    @Override
    public long readConfig(int offset, int size) {
        long raw = 0x1234_5678L | (writableWord & 0xFFFF_FFFFL) << 32;
        return (raw >>> (8 * offset)) & (size == 8 ? -1L : (1L << (8 * size)) - 1);
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        if (offset == 4 && size == 4) {
            writableWord = (int) value;
        }
    }

    @Override
    protected synchronized void onActivate(Activation activation) {
        lastActivation = activation;
        events.add("activate");
    }

    @Override
    protected synchronized void onReset() {
        events.add("reset");
    }

    @Override
    public void queueNotified(int index) {
        withQueues(() -> {
            SplitQueue queue = queue(index);
            if (queue == null) {
                return;
            }
            while (queue.pop(chain)) {
                byte[] fill = new byte[(int) chain.writableLength()];
                java.util.Arrays.fill(fill, (byte) 0xAB);
                chain.write(0, fill, 0, fill.length);
                putUsed(index, queue, chain.head(), fill.length);
            }
        });
    }

    /** Makes the device report a configuration change through its transport. */
    void changeConfig() {
        transport().signalConfigChange();
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
        reset();
    }
}
