package dev.jvisor.virtio.block;

import dev.jvisor.devices.DeviceTimer;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.virtio.AbstractVirtioDevice;
import dev.jvisor.virtio.Activation;
import dev.jvisor.virtio.DeviceType;
import dev.jvisor.virtio.DeviceWorker;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.DescriptorChain;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.util.Objects;

/**
 * virtio-blk (virtio 1.2 section 5.2): one request queue over a {@link DiskImage}, with reads,
 * writes, flushes that reach stable storage ({@link DiskImage#flush}), GET_ID, and discard and
 * write-zeroes where the image supports them. A read-only image, or {@link BlockOptions#readOnly},
 * offers VIRTIO_BLK_F_RO and fails writes with VIRTIO_BLK_S_IOERR.
 *
 * <p><b>Threads.</b> A queue notification only wakes the device's I/O thread (a virtual thread), which
 * takes requests in batches of {@link #BATCH} under the queue lock and interrupts the driver after each
 * batch; the vCPU never waits for the disk. Reset waits for the request in progress to finish.
 *
 * <p><b>Rate limiting.</b> Each request asks the {@link RateLimiter} for one operation and its data bytes
 * before it starts. When the limiter says wait, the request goes back to the ring and the queue pauses
 * until a timer wakes the I/O thread again.
 *
 * <p>The device does not own the image: whoever opened it closes it, after {@link #close}.
 */
public final class VirtioBlock extends AbstractVirtioDevice {
    // Feature bits (section 5.2.3).
    public static final long F_SEG_MAX = 1L << 2;
    public static final long F_RO = 1L << 5;
    public static final long F_BLK_SIZE = 1L << 6;
    public static final long F_FLUSH = 1L << 9;
    public static final long F_DISCARD = 1L << 13;
    public static final long F_WRITE_ZEROES = 1L << 14;

    /** Requests taken per round before the driver is interrupted and the lock released. */
    static final int BATCH = 32;
    /** The largest discard or write-zeroes range per segment: just under 2 GiB, like common hosts. */
    static final int MAX_DISCARD_SECTORS = (1 << 22) - 1;
    static final int MAX_DISCARD_SEGMENTS = 32;

    // Configuration layout (section 5.2.4).
    static final int CFG_CAPACITY = 0;
    static final int CFG_SEG_MAX = 12;
    static final int CFG_BLK_SIZE = 20;
    static final int CFG_NUM_QUEUES = 34;
    static final int CFG_MAX_DISCARD_SECTORS = 36;
    static final int CFG_MAX_DISCARD_SEG = 40;
    static final int CFG_DISCARD_SECTOR_ALIGNMENT = 44;
    static final int CFG_MAX_WRITE_ZEROES_SECTORS = 48;
    static final int CFG_MAX_WRITE_ZEROES_SEG = 52;
    static final int CFG_WRITE_ZEROES_MAY_UNMAP = 56;
    static final int CONFIG_SIZE = 60;

    private final DiskImage disk;
    private final BlockOptions options;
    private final boolean readOnly;
    private final long features;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final BlockRequests requests;
    private final RateLimiter limiter;
    private final DeviceWorker worker;
    private final DeviceTimer throttleTimer;
    private final DescriptorChain chain = new DescriptorChain();
    private final QueueWork processBatch = this::processBatch;
    /** Set by a batch that stopped at {@link #BATCH} requests with more waiting. */
    private boolean moreWaiting;

    public VirtioBlock(String name, DiskImage disk, BlockOptions options) {
        super(name);
        this.disk = Objects.requireNonNull(disk, "disk");
        this.options = Objects.requireNonNull(options, "options");
        this.readOnly = disk.readOnly() || options.readOnly();
        this.limiter = options.rateLimiter();
        long f = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX;
        if (readOnly) {
            f |= F_RO;
        } else {
            f |= disk.supportsDiscard() ? F_DISCARD : 0;
            f |= disk.supportsWriteZeroes() ? F_WRITE_ZEROES : 0;
        }
        this.features = f;
        this.requests = new BlockRequests(name, disk, readOnly, MAX_DISCARD_SECTORS, MAX_DISCARD_SEGMENTS);
        fillConfig();
        this.worker = new DeviceWorker(name + "-io", this::drain);
        this.throttleTimer = new DeviceTimer(name + "-throttle", System::nanoTime, worker::wake);
    }

    private void fillConfig() {
        LittleEndian.put(config, CFG_CAPACITY, 8, requests.capacitySectors());
        // Linux builds chains of seg_max data buffers plus header and status (QEMU uses the same bound).
        LittleEndian.put(config, CFG_SEG_MAX, 4, options.queueSize() - 2);
        LittleEndian.put(config, CFG_BLK_SIZE, 4, BlockRequests.SECTOR);
        LittleEndian.put(config, CFG_NUM_QUEUES, 2, 1);
        int alignment = Math.max(1, disk.discardGranularity() / BlockRequests.SECTOR);
        LittleEndian.put(config, CFG_MAX_DISCARD_SECTORS, 4, MAX_DISCARD_SECTORS);
        LittleEndian.put(config, CFG_MAX_DISCARD_SEG, 4, MAX_DISCARD_SEGMENTS);
        LittleEndian.put(config, CFG_DISCARD_SECTOR_ALIGNMENT, 4, alignment);
        LittleEndian.put(config, CFG_MAX_WRITE_ZEROES_SECTORS, 4, MAX_DISCARD_SECTORS);
        LittleEndian.put(config, CFG_MAX_WRITE_ZEROES_SEG, 4, MAX_DISCARD_SEGMENTS);
        LittleEndian.put(config, CFG_WRITE_ZEROES_MAY_UNMAP, 1, disk.supportsDiscard() ? 1 : 0);
    }

    /** Whether the guest sees the disk read-only. */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public DeviceType type() {
        return DeviceType.BLOCK;
    }

    @Override
    public long offeredFeatures() {
        return features;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize(int index) {
        return options.queueSize();
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public long readConfig(int offset, int size) {
        return LittleEndian.readConfig(config, offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        // Every field is read-only without VIRTIO_BLK_F_CONFIG_WCE, which is not offered.
    }

    @Override
    protected void onActivate(Activation activation) {
        requests.setNegotiated(activation.has(F_DISCARD), activation.has(F_WRITE_ZEROES));
    }

    @Override
    protected void afterActivate() {
        worker.wake(); // requests the driver queued before DRIVER_OK
    }

    @Override
    protected void onReset() {
        throttleTimer.disarm();
        moreWaiting = false;
    }

    @Override
    public void queueNotified(int index) {
        if (index == 0) {
            worker.wake();
        }
    }

    /** The I/O thread's task: batches until the ring is empty, throttled or the device stops. */
    private void drain() {
        boolean again;
        do {
            again = withQueues(processBatch) && takeMoreWaiting();
        } while (again);
    }

    private boolean takeMoreWaiting() {
        // Read under no lock: only the I/O thread writes it, inside processBatch.
        boolean more = moreWaiting;
        moreWaiting = false;
        return more;
    }

    private void processBatch() throws VirtqueueException {
        SplitQueue queue = queue(0);
        if (queue == null) {
            return;
        }
        queue.disableNotifications();
        for (int done = 0; ; done++) {
            if (done == BATCH) {
                moreWaiting = true; // notifications stay off; drain() comes straight back
                return;
            }
            if (!queue.pop(chain)) {
                if (queue.enableNotifications()) {
                    continue;
                }
                return;
            }
            long bytes = requests.parse(chain);
            long wait = limiter.consume(1, bytes);
            if (wait != RateLimiter.PROCEED) {
                queue.undoPop(); // notifications stay off: the timer resumes the queue
                throttleTimer.armAt(System.nanoTime() + wait);
                return;
            }
            long written = requests.execute(chain);
            putUsed(0, queue, chain.head(), written);
        }
    }

    /** Stops the device and its threads. The image stays open. */
    @Override
    public void close() {
        reset();
        throttleTimer.close();
        worker.close();
    }
}
