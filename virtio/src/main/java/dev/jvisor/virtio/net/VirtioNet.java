package dev.jvisor.virtio.net;

import dev.jvisor.devices.DeviceTimer;
import dev.jvisor.io.net.NetBackend;
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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * virtio-net (virtio 1.2 section 5.1) without offloads: a receive queue and a transmit queue, the
 * MAC address (VIRTIO_NET_F_MAC) and link status (VIRTIO_NET_F_STATUS) in configuration space, and
 * optionally mergeable receive buffers (VIRTIO_NET_F_MRG_RXBUF). Every frame carries the 12-byte
 * {@code struct virtio_net_hdr} (section 5.1.6; with VERSION_1 it always includes num_buffers).
 *
 * <p><b>Transmit</b> runs inline on the notifying vCPU: each frame is copied out of guest memory
 * (so the guest cannot change it under the back end) and handed to {@link NetBackend#send}. Frames
 * shorter than an Ethernet header or longer than {@link NetBackend#MAX_FRAME} are dropped and
 * counted; the chain is still returned.
 *
 * <p><b>Receive</b> runs on the device's rx thread, woken by the back end's frame listener and by
 * the driver adding receive buffers. A frame is taken from the back end only once buffers for it
 * are in hand, so a guest that posts no buffers leaves frames queued in the back end (which drops
 * new ones when its queue fills): that is the back-pressure. A frame larger than a whole
 * (non-mergeable) buffer is dropped and counted.
 *
 * <p>Both directions consult their {@link RateLimiter} per frame and pause on a timer when told
 * to wait. The device does not own the back end: whoever created it closes it, after {@link #close}.
 */
public final class VirtioNet extends AbstractVirtioDevice {
    // Feature bits (section 5.1.3).
    public static final long F_MAC = 1L << 5;
    public static final long F_MRG_RXBUF = 1L << 15;
    public static final long F_STATUS = 1L << 16;

    public static final int RX = 0;
    public static final int TX = 1;
    /** {@code struct virtio_net_hdr} with num_buffers (section 5.1.6). */
    public static final int HEADER = 12;
    static final int HDR_NUM_BUFFERS = 10;

    // Configuration layout (section 5.1.4).
    static final int CFG_MAC = 0;
    static final int CFG_STATUS = 6;
    static final int CFG_MAX_VIRTQUEUE_PAIRS = 8;
    static final int CFG_MTU = 10;
    static final int CONFIG_SIZE = 12;
    static final int STATUS_LINK_UP = 1;

    /** Frames handled per round before the lock is released and the driver interrupted. */
    static final int BATCH = 64;

    private final NetBackend backend;
    private final NetOptions options;
    private final long features;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final DeviceWorker rxWorker;
    private final DeviceTimer rxTimer;
    private final DeviceTimer txTimer;
    private final AtomicLong rxDropped = new AtomicLong();
    private final AtomicLong txDropped = new AtomicLong();

    // Transmit state (queue lock).
    private final DescriptorChain txChain = new DescriptorChain();
    private final byte[] txBytes = new byte[NetBackend.MAX_FRAME];
    private final ByteBuffer txBuffer = ByteBuffer.wrap(txBytes);
    private final QueueWork transmit = this::transmit;

    // Receive state (queue lock).
    private final DescriptorChain[] rxChains;
    private final byte[] rxBytes = new byte[HEADER + NetBackend.MAX_FRAME];
    private final ByteBuffer rxBuffer = ByteBuffer.wrap(rxBytes);
    private final QueueWork receive = this::receive;
    private boolean mergeable;
    private boolean rxMore;

    public VirtioNet(String name, NetBackend backend, NetOptions options) {
        super(name);
        this.backend = Objects.requireNonNull(backend, "backend");
        this.options = Objects.requireNonNull(options, "options");
        this.features = F_MAC | F_STATUS | (options.mergeableRx() ? F_MRG_RXBUF : 0)
                | VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX;
        this.rxChains = new DescriptorChain[options.queueSize()];
        for (int i = 0; i < rxChains.length; i++) {
            rxChains[i] = new DescriptorChain();
        }
        System.arraycopy(backend.mac().toBytes(), 0, config, CFG_MAC, 6);
        LittleEndian.put(config, CFG_STATUS, 2, STATUS_LINK_UP);
        LittleEndian.put(config, CFG_MAX_VIRTQUEUE_PAIRS, 2, 1);
        LittleEndian.put(config, CFG_MTU, 2, 1500);
        this.rxWorker = new DeviceWorker(name + "-rx", this::drainRx);
        this.rxTimer = new DeviceTimer(name + "-rx-throttle", System::nanoTime, rxWorker::wake);
        this.txTimer = new DeviceTimer(name + "-tx-throttle", System::nanoTime, () -> withQueues(transmit));
        backend.setFrameListener(rxWorker::wake);
    }

    @Override
    public DeviceType type() {
        return DeviceType.NET;
    }

    @Override
    public long offeredFeatures() {
        return features;
    }

    @Override
    public int queueCount() {
        return 2;
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
    public synchronized long readConfig(int offset, int size) {
        return LittleEndian.readConfig(config, offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        // Section 5.1.4.2: without legacy support the driver MUST NOT write the MAC; all else is read-only.
    }

    /** Sets the link state the driver sees (section 5.1.4: VIRTIO_NET_S_LINK_UP) and tells it. */
    public void setLinkUp(boolean up) {
        synchronized (this) {
            LittleEndian.put(config, CFG_STATUS, 2, up ? STATUS_LINK_UP : 0);
        }
        transport().signalConfigChange();
    }

    /** Frames dropped on the way to the guest because they did not fit its buffers. */
    public long rxDropped() {
        return rxDropped.get();
    }

    /** Frames from the guest dropped for a bad length or by the back end. */
    public long txDropped() {
        return txDropped.get();
    }

    @Override
    protected void onActivate(Activation activation) {
        mergeable = activation.has(F_MRG_RXBUF);
    }

    @Override
    protected void afterActivate() {
        rxWorker.wake(); // frames may be waiting in the back end already
    }

    @Override
    protected void onReset() {
        rxTimer.disarm();
        txTimer.disarm();
        rxMore = false;
    }

    @Override
    public void queueNotified(int index) {
        switch (index) {
            case RX -> rxWorker.wake();
            case TX -> withQueues(transmit);
            default -> {
            }
        }
    }

    // ---- transmit ----

    private void transmit() throws VirtqueueException {
        SplitQueue queue = queue(TX);
        if (queue == null) {
            return;
        }
        queue.disableNotifications();
        while (true) {
            if (!queue.pop(txChain)) {
                if (queue.enableNotifications()) {
                    continue;
                }
                return;
            }
            long frameLength = txChain.readableLength() - HEADER;
            long wait = options.txRateLimiter().consume(1, Math.max(0, frameLength));
            if (wait != RateLimiter.PROCEED) {
                queue.undoPop();
                txTimer.armAt(System.nanoTime() + wait);
                return;
            }
            if (frameLength < NetBackend.MIN_FRAME || frameLength > NetBackend.MAX_FRAME) {
                txDropped.incrementAndGet();
                log.debug("{}: dropping a transmitted frame of {} bytes", name(), frameLength);
            } else {
                txChain.read(HEADER, txBytes, 0, (int) frameLength);
                txBuffer.clear().limit((int) frameLength);
                send();
            }
            putUsed(TX, queue, txChain.head(), 0);
        }
    }

    private void send() {
        try {
            if (!backend.send(txBuffer)) {
                txDropped.incrementAndGet();
            }
        } catch (IOException e) {
            // The back end is gone for good; the guest sees a link that loses every frame.
            txDropped.incrementAndGet();
            log.warn("{}: back end failed: {}", name(), e.getMessage());
        }
    }

    // ---- receive ----

    private void drainRx() {
        boolean again;
        do {
            rxMore = false;
            again = withQueues(receive) && rxMore;
        } while (again);
    }

    private void receive() throws VirtqueueException {
        SplitQueue queue = queue(RX);
        if (queue == null) {
            return;
        }
        for (int frames = 0; frames < BATCH; frames++) {
            int length = backend.nextFrameLength();
            if (length < 0) {
                return; // the back end's listener wakes us for the next frame
            }
            int needed = HEADER + length;
            int chains = takeBuffers(queue, needed);
            if (chains == 0) {
                return; // no buffers: the frame waits in the back end until the driver adds some
            }
            if (chains < 0) {
                dropFrame();
                continue;
            }
            long wait = options.rxRateLimiter().consume(1, length);
            if (wait != RateLimiter.PROCEED) {
                for (int i = 0; i < chains; i++) {
                    queue.undoPop();
                }
                rxTimer.armAt(System.nanoTime() + wait);
                return;
            }
            rxBuffer.clear().position(HEADER);
            int got = backend.receive(rxBuffer);
            if (got != length) {
                // The back end changed its mind (closed, or another consumer): give the buffers back.
                for (int i = 0; i < chains; i++) {
                    queue.undoPop();
                }
                return;
            }
            deliver(queue, chains, needed);
        }
        rxMore = true;
    }

    /**
     * Pops receive chains until they hold {@code needed} bytes: one chain without mergeable
     * buffers, as many as it takes with them (section 5.1.6.4).
     *
     * @return the number of chains taken; 0 if the driver has not posted enough yet (nothing is
     *     kept); -1 if the frame can never fit (nothing is kept, the frame should be dropped)
     */
    private int takeBuffers(SplitQueue queue, int needed) throws VirtqueueException {
        long room = 0;
        int taken = 0;
        while (room < needed) {
            if (taken == rxChains.length || (!mergeable && taken == 1)) {
                undo(queue, taken);
                return -1;
            }
            if (!queue.pop(rxChains[taken])) {
                // Ask for a notification when the driver adds buffers; it may have just done so.
                if (queue.enableNotifications()) {
                    continue;
                }
                undo(queue, taken);
                return 0;
            }
            room += rxChains[taken].writableLength();
            taken++;
        }
        return taken;
    }

    private static void undo(SplitQueue queue, int taken) {
        for (int i = 0; i < taken; i++) {
            queue.undoPop();
        }
    }

    private void dropFrame() {
        rxBuffer.clear().position(HEADER);
        if (backend.receive(rxBuffer) >= 0) {
            rxDropped.incrementAndGet();
            log.debug("{}: dropped a received frame that does not fit the guest's buffers", name());
        }
    }

    /** Writes header and frame across {@code chains} chains and returns them to the used ring. */
    private void deliver(SplitQueue queue, int chains, int total) {
        java.util.Arrays.fill(rxBytes, 0, HEADER, (byte) 0); // no checksum or GSO information
        LittleEndian.put(rxBytes, HDR_NUM_BUFFERS, 2, chains);
        int offset = 0;
        for (int i = 0; i < chains; i++) {
            DescriptorChain chain = rxChains[i];
            int n = (int) Math.min(chain.writableLength(), total - offset);
            chain.write(0, rxBytes, offset, n);
            offset += n;
            putUsed(RX, queue, chain.head(), n);
        }
    }

    /** Stops the device and its threads and detaches from the back end (which stays open). */
    @Override
    public void close() {
        backend.setFrameListener(null);
        reset();
        rxTimer.close();
        txTimer.close();
        rxWorker.close();
    }
}
