package dev.jvisor.virtio;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.queue.SplitQueue;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the driver set up before DRIVER_OK: guest memory, the negotiated features and the queues.
 *
 * @param memory   guest RAM, the only way the device touches guest memory
 * @param features the negotiated feature bits (a subset of what the device offered)
 * @param queues   one entry per queue the device declared; null where the driver did not enable it
 */
public record Activation(GuestMemory memory, long features, SplitQueue[] queues) {
    public Activation {
        Objects.requireNonNull(memory, "memory");
        queues = queues.clone();
    }

    /** Queue {@code index}, or null if it is not enabled (or does not exist). */
    public SplitQueue queue(int index) {
        return index >= 0 && index < queues.length ? queues[index] : null;
    }

    /** Whether {@code feature} (a mask) was negotiated. */
    public boolean has(long feature) {
        return VirtioFeatures.has(features, feature);
    }

    @Override
    public SplitQueue[] queues() {
        return queues.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Activation a && a.memory == memory && a.features == features && Arrays.equals(a.queues, queues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(memory, features, Arrays.hashCode(queues));
    }
}
