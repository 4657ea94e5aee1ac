package dev.jvisor.virtio.rng;

import dev.jvisor.virtio.AbstractVirtioDevice;
import dev.jvisor.virtio.DeviceType;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.DescriptorChain;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Random;

/**
 * virtio-rng, the entropy device (virtio 1.2 section 5.4): one request queue whose device-writable
 * buffers the device fills with random bytes from the host's {@link SecureRandom}.
 *
 * <p>Requests are served inline on the notifying vCPU: filling a few bytes costs less than handing
 * them to another thread. Section 5.4.6.2 lets the device write fewer bytes than the buffer holds,
 * so each request gets at most {@link #MAX_BYTES_PER_REQUEST} bytes, which bounds the time a
 * guest can keep the vCPU thread busy per request; the used length tells the driver how many.
 * Chains without writable buffers (section 5.4.6.1 forbids them) are returned with length 0.
 */
public final class VirtioRng extends AbstractVirtioDevice {
    /** The most bytes one request receives. */
    public static final int MAX_BYTES_PER_REQUEST = 4096;
    private static final int QUEUE_SIZE = 256;

    private final Random random;
    /** Random bytes drawn ahead in one call; small requests (Linux asks for 64 bytes) take slices of it. */
    private final byte[] pool = new byte[MAX_BYTES_PER_REQUEST];
    private int poolUsed = MAX_BYTES_PER_REQUEST;
    private final DescriptorChain chain = new DescriptorChain();
    private final QueueWork fill = this::fillRequests;

    /** An entropy device fed by a new {@link SecureRandom}. */
    public VirtioRng(String name) {
        this(name, new SecureRandom());
    }

    /** An entropy device fed by {@code random} (tests pass a seeded generator). */
    public VirtioRng(String name, Random random) {
        super(name);
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public DeviceType type() {
        return DeviceType.ENTROPY;
    }

    @Override
    public long offeredFeatures() {
        return VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize(int index) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return 0;
    }

    @Override
    public long readConfig(int offset, int size) {
        return 0;
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        // The entropy device has no configuration space (section 5.4.4).
    }

    @Override
    public void queueNotified(int index) {
        if (index == 0) {
            withQueues(fill);
        }
    }

    private void fillRequests() throws VirtqueueException {
        SplitQueue queue = queue(0);
        if (queue == null) {
            return;
        }
        do {
            queue.disableNotifications();
            while (queue.pop(chain)) {
                int n = (int) Math.min(chain.writableLength(), MAX_BYTES_PER_REQUEST);
                if (MAX_BYTES_PER_REQUEST - poolUsed < n) {
                    random.nextBytes(pool);
                    poolUsed = 0;
                }
                chain.write(0, pool, poolUsed, n);
                poolUsed += n; // every byte goes to the guest once only
                putUsed(0, queue, chain.head(), n);
            }
        } while (queue.enableNotifications());
    }

    @Override
    public void close() {
        reset();
    }
}
