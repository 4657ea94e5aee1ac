package dev.jvisor.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.queue.MockQueue;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A device under a fuzz target: bound to a {@link RecordingTransport}, activated over mock queues
 * in a small guest memory shared by every case, with the driver's side kept by the test. Besides
 * publishing chains it checks what every device must get right whatever a request says:
 * <ul>
 * <li>guest memory changes only inside device-writable buffers of published chains (followed as
 * the device must follow them, indirect tables included) and the used rings;</li>
 * <li>a device that gives up reports a queue-rule violation ({@link VirtqueueException}), never an
 * internal error or a failed guest memory access;</li>
 * <li>nothing leaves the notify path: {@link #notifyQueue} would throw.</li>
 * </ul>
 *
 * <p>Layout: queue {@code q}'s rings at {@code 0x1000 + 0x8000 q}, its indirect tables in the 20 KiB
 * after them, and its data buffers in a region of {@link #DATA_PER_QUEUE} bytes from
 * {@link #DATA_BASE}.
 */
public final class DeviceFuzzHarness implements AutoCloseable {
    public static final int MEMORY_SIZE = 1 << 20;
    static final long DATA_BASE = 0x20000;
    public static final int DATA_PER_QUEUE = 0x70000;

    public final GuestMemory memory;
    public final RecordingTransport transport = new RecordingTransport();
    public final VirtioDevice device;
    private final long features;
    private final MockQueue[] queues;
    private final long[] nextData;
    private final int[] descriptorsUsed;
    private final List<List<Integer>> published = new ArrayList<>();
    private byte[] before;

    /** Binds {@code device} with {@code queueSize}-entry queues; clears guest memory first. */
    public DeviceFuzzHarness(GuestMemory memory, VirtioDevice device, int queueSize, long features) {
        if (memory.totalSize() < MEMORY_SIZE) {
            throw new IllegalArgumentException("the harness lays out " + MEMORY_SIZE + " bytes");
        }
        this.memory = memory;
        this.device = device;
        this.features = features | VirtioFeatures.VERSION_1;
        memory.fill(0, MEMORY_SIZE, (byte) 0);
        device.bind(transport);
        int count = device.queueCount();
        queues = new MockQueue[count];
        nextData = new long[count];
        descriptorsUsed = new int[count];
        for (int q = 0; q < count; q++) {
            long rings = 0x1000 + 0x8000L * q;
            queues[q] = new MockQueue(memory, queueSize, rings, rings + 0x3000);
            nextData[q] = DATA_BASE + (long) DATA_PER_QUEUE * q;
            published.add(new ArrayList<>());
        }
    }

    public boolean has(long feature) {
        return VirtioFeatures.has(features, feature);
    }

    /** Activates the device with every queue enabled (DRIVER_OK). */
    public void activate() throws VirtqueueException {
        SplitQueue[] split = new SplitQueue[queues.length];
        for (int q = 0; q < queues.length; q++) {
            split[q] = queues[q].deviceQueue(has(VirtioFeatures.INDIRECT_DESC), has(VirtioFeatures.EVENT_IDX));
        }
        device.activate(new Activation(memory, features, split));
    }

    public MockQueue queue(int q) {
        return queues[q];
    }

    /** Bytes of data area queue {@code q} has left. */
    public long room(int q) {
        return DATA_BASE + (long) DATA_PER_QUEUE * (q + 1) - nextData[q];
    }

    /** Reserves {@code length} bytes of queue {@code q}'s data area (which must have room). */
    public long allocate(int q, int length) {
        if (length > room(q)) {
            throw new IllegalStateException("data area of queue " + q + " is full");
        }
        long at = nextData[q];
        nextData[q] = (at + length + 15) & ~15L;
        return at;
    }

    /** Reserves a buffer holding {@code bytes}. */
    public long allocate(int q, byte[] bytes) {
        long at = allocate(q, bytes.length);
        memory.write(at, bytes);
        return at;
    }

    /** Whether a chain of {@code buffers} descriptors (1 if indirect) still fits in queue {@code q}'s table. */
    public boolean fits(int q, int buffers, boolean indirect) {
        boolean useIndirect = indirect && has(VirtioFeatures.INDIRECT_DESC);
        return descriptorsUsed[q] + (useIndirect ? 1 : buffers) <= queues[q].size() && buffers > 0;
    }

    /**
     * Writes and publishes a chain (through an indirect table if asked and negotiated).
     *
     * @return its head
     */
    public int publish(int q, List<MockQueue.Buffer> buffers, boolean indirect) {
        if (!fits(q, buffers.size(), indirect)) {
            throw new IllegalStateException("no room for the chain");
        }
        MockQueue.Buffer[] b = buffers.toArray(MockQueue.Buffer[]::new);
        int head;
        if (indirect && has(VirtioFeatures.INDIRECT_DESC)) {
            head = queues[q].addIndirectChain(b);
            descriptorsUsed[q]++;
        } else {
            head = queues[q].addChain(b);
            descriptorsUsed[q] += b.length;
        }
        published.get(q).add(head);
        return head;
    }

    /** Chains published on queue {@code q}, in order. */
    public int publishedCount(int q) {
        return published.get(q).size();
    }

    /** Remembers guest memory, to check later that only device-writable buffers changed. */
    public void snapshot() {
        before = memory.read(0, MEMORY_SIZE);
    }

    /** Tells the device about queue {@code q}, as a vCPU's notification write does. */
    public void notifyQueue(int q) {
        device.queueNotified(q);
    }

    /** Waits (bounded) until queue {@code q} has {@code count} used entries or the device asked for a reset. */
    public boolean awaitUsed(int q, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (((queues[q].usedIdx() - count) & 0x8000) == 0 || broken()) {
                return ((queues[q].usedIdx() - count) & 0x8000) == 0;
            }
            LockSupport.parkNanos(20_000);
        }
        throw new AssertionError("queue " + q + " did not reach " + count + " used entries (at " + queues[q].usedIdx()
                + ") and the device reported nothing");
    }

    /**
     * Waits until the device stops adding used entries (none for a few milliseconds) or gives up:
     * for cases where the number of chains it will see cannot be known in advance.
     */
    public void awaitQuiet() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long quietSince = System.nanoTime();
        int[] last = new int[queues.length];
        while (!broken()) {
            boolean changed = false;
            for (int q = 0; q < queues.length; q++) {
                int now = queues[q].usedIdx();
                changed |= now != last[q];
                last[q] = now;
            }
            long t = System.nanoTime();
            if (changed) {
                quietSince = t;
            } else if (t - quietSince > TimeUnit.MILLISECONDS.toNanos(3)) {
                return;
            }
            if (t > deadline) {
                return; // still busy: a driver can keep a device busy; close() must still stop it
            }
            LockSupport.parkNanos(50_000);
        }
    }

    /** Whether the device has marked itself as needing a reset. */
    public boolean broken() {
        return !transport.needsResetReasons().isEmpty();
    }

    /**
     * Resets the device while its threads may be working, then checks that no work for the old
     * setup touches guest memory once {@link VirtioDevice#reset} has returned.
     */
    public void resetAndCheckQuiet(int delayMicros) {
        LockSupport.parkNanos(delayMicros * 1000L);
        device.reset();
        byte[] afterReset = memory.read(0, MEMORY_SIZE);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        device.queueNotified(0); // a late notification for the old setup does nothing either
        assertThat(Arrays.mismatch(afterReset, memory.read(0, MEMORY_SIZE)))
                .as("guest memory written after the reset returned").isEqualTo(-1);
    }

    /** A device that gave up did so over a queue-rule violation, not an internal failure. */
    public void checkNoInternalError() {
        for (String reason : transport.needsResetReasons()) {
            assertThat(reason).as("a needs-reset reason names a driver error, not a device failure")
                    .doesNotStartWith("internal error").doesNotStartWith("guest memory access failed")
                    .doesNotStartWith("activation failed");
        }
    }

    /** The properties every case must keep (see the class comment). */
    public void checkContract() {
        checkNoInternalError();
        if (before != null) {
            checkWritesConfined();
        }
        for (int q = 0; q < queues.length; q++) {
            int used = queues[q].usedIdx();
            assertThat(used).as("used entries of queue %d", q).isLessThanOrEqualTo(publishedCount(q));
            for (int i = 0; i < used; i++) {
                assertThat(published.get(q)).as("used head of queue %d", q).contains(queues[q].used(i).head());
            }
        }
    }

    private void checkWritesConfined() {
        byte[] after = memory.read(0, MEMORY_SIZE);
        List<long[]> allowed = new ArrayList<>();
        for (int q = 0; q < queues.length; q++) {
            long used = queues[q].layout().usedRing();
            allowed.add(new long[]{used, 6 + 8L * queues[q].size()});
            for (int head : published.get(q)) {
                writableBuffers(queues[q], head, allowed);
            }
        }
        // Arrays.mismatch skips equal stretches quickly (and uninstrumented under Jazzer).
        for (int at = Arrays.mismatch(before, after); at >= 0; ) {
            final long address = at;
            assertThat(allowed.stream().anyMatch(r -> Long.compareUnsigned(address - r[0], r[1]) < 0))
                    .as("guest byte 0x%x changed outside every device-writable buffer", address).isTrue();
            int next = at + 1;
            int rest = next < MEMORY_SIZE ? Arrays.mismatch(before, next, MEMORY_SIZE, after, next, MEMORY_SIZE) : -1;
            at = rest < 0 ? -1 : next + rest;
        }
    }

    /** The device-writable buffers of chain {@code head}, followed as the device must follow it. */
    private void writableBuffers(MockQueue queue, int head, List<long[]> out) {
        long table = queue.layout().descTable();
        int index = head;
        for (int steps = 0; steps < queue.size(); steps++) {
            long at = table + 16L * index;
            int flags = memory.readU16(at + 12);
            if ((flags & SplitQueue.DESC_F_INDIRECT) != 0) {
                long base = memory.readU64(at);
                long entries = memory.readU32(at + 8) / 16;
                int i = 0;
                for (int s = 0; s < entries && memory.isRam(base + 16L * i, 16); s++) {
                    long e = base + 16L * i;
                    int f = memory.readU16(e + 12);
                    if ((f & SplitQueue.DESC_F_WRITE) != 0) {
                        out.add(new long[]{memory.readU64(e), memory.readU32(e + 8)});
                    }
                    if ((f & SplitQueue.DESC_F_NEXT) == 0) {
                        break;
                    }
                    i = memory.readU16(e + 14);
                }
                return;
            }
            if ((flags & SplitQueue.DESC_F_WRITE) != 0) {
                out.add(new long[]{memory.readU64(at), memory.readU32(at + 8)});
            }
            if ((flags & SplitQueue.DESC_F_NEXT) == 0) {
                return;
            }
            index = memory.readU16(at + 14) % queue.size();
        }
    }

    @Override
    public void close() {
        device.close();
    }
}
