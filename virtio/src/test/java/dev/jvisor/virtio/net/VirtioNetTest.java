package dev.jvisor.virtio.net;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.virtio.DeviceHarness;
import dev.jvisor.virtio.queue.MockQueue;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** virtio-net through mock queues and a loopback back end. */
class VirtioNetTest {
    private LoopbackBackend backend;
    private VirtioNet net;
    private DeviceHarness harness;
    private MockQueue rx;
    private MockQueue tx;

    private void open(boolean loopback, NetOptions options, long features) throws Exception {
        backend = new LoopbackBackend(loopback, 8);
        net = new VirtioNet("eth0", backend, options);
        harness = new DeviceHarness(net, 64, features);
        harness.activate();
        rx = harness.queue(VirtioNet.RX);
        tx = harness.queue(VirtioNet.TX);
    }

    @AfterEach
    void close() {
        if (harness != null) {
            harness.close();
        }
    }

    private static byte[] frame(int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (seed + i);
        }
        return f;
    }

    private void transmit(byte[] frame) throws Exception {
        int before = tx.usedIdx();
        long header = tx.allocate(VirtioNet.HEADER);
        tx.addChain(readable(header, VirtioNet.HEADER), readable(tx.allocate(frame), frame.length));
        harness.notifyQueue(VirtioNet.TX);
        assertThat(harness.awaitUsed(VirtioNet.TX, before + 1)).isTrue();
    }

    private long postRxBuffer(int length) {
        long buffer = rx.allocate(length);
        rx.addChain(writable(buffer, length));
        return buffer;
    }

    @Test
    void configurationCarriesMacAndLinkStatus() throws Exception {
        open(false, NetOptions.defaults(), 0);
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) net.readConfig(VirtioNet.CFG_MAC + i, 1);
        }
        assertThat(mac).isEqualTo(LoopbackBackend.MAC.toBytes());
        assertThat(net.readConfig(VirtioNet.CFG_STATUS, 2)).isEqualTo(VirtioNet.STATUS_LINK_UP);
        long f = VirtioNet.F_MAC | VirtioNet.F_STATUS | VirtioNet.F_MRG_RXBUF;
        assertThat(net.offeredFeatures() & f).isEqualTo(f);
        assertThat(net.offeredFeatures() & 0b111).as("no checksum or offload features").isZero();
    }

    @Test
    void linkDownIsReportedAsAConfigurationChange() throws Exception {
        open(false, NetOptions.defaults(), 0);
        net.setLinkUp(false);
        assertThat(net.readConfig(VirtioNet.CFG_STATUS, 2)).isZero();
        assertThat(harness.transport.configChanges()).isEqualTo(1);
    }

    @Test
    void transmittedFramesReachTheBackendWithoutTheHeader() throws Exception {
        open(false, NetOptions.defaults(), 0);
        byte[] frame = frame(60, 1);
        transmit(frame);
        assertThat(backend.sent()).singleElement().isEqualTo(frame);
        assertThat(harness.transport.queueSignals()).contains(VirtioNet.TX);
    }

    @Test
    void frameSplitAcrossBuffersWithTheHeaderSharingTheFirst() throws Exception {
        open(false, NetOptions.defaults(), 0);
        byte[] frame = frame(100, 7);
        byte[] first = new byte[VirtioNet.HEADER + 30];
        System.arraycopy(frame, 0, first, VirtioNet.HEADER, 30);
        tx.addChain(readable(tx.allocate(first), first.length),
                readable(tx.allocate(Arrays.copyOfRange(frame, 30, 100)), 70));
        harness.notifyQueue(VirtioNet.TX);
        assertThat(harness.awaitUsed(VirtioNet.TX, 1)).isTrue();
        assertThat(backend.sent()).singleElement().isEqualTo(frame);
    }

    @Test
    void runtFramesAreDroppedButTheirChainsReturned() throws Exception {
        open(false, NetOptions.defaults(), 0);
        transmit(frame(10, 0));
        assertThat(backend.sent()).isEmpty();
        assertThat(net.txDropped()).isEqualTo(1);
        assertThat(tx.used(0).length()).isZero();
    }

    @Test
    void receivedFrameLandsInOneBufferBehindItsHeader() throws Exception {
        open(false, NetOptions.defaults(), 0);
        long buffer = postRxBuffer(1526);
        harness.notifyQueue(VirtioNet.RX);
        byte[] frame = frame(200, 3);
        backend.inject(frame);

        assertThat(harness.awaitUsed(VirtioNet.RX, 1)).isTrue();
        assertThat(rx.used(0).length()).isEqualTo(VirtioNet.HEADER + 200);
        assertThat(harness.memory.read(buffer, 10)).containsOnly(0);
        assertThat(harness.memory.readU16(buffer + 10)).as("num_buffers").isEqualTo(1);
        assertThat(harness.memory.read(buffer + VirtioNet.HEADER, 200)).isEqualTo(frame);
        assertThat(harness.transport.queueSignals()).contains(VirtioNet.RX);
    }

    @Test
    void framesWaitInTheBackendUntilTheGuestPostsBuffers() throws Exception {
        open(false, NetOptions.defaults(), 0);
        backend.inject(frame(64, 0));
        backend.inject(frame(64, 1));
        Thread.sleep(50); // give the rx thread every chance to (wrongly) drop them
        assertThat(backend.waiting()).isEqualTo(2);
        assertThat(net.rxDropped()).isZero();

        postRxBuffer(1526);
        harness.notifyQueue(VirtioNet.RX);
        assertThat(harness.awaitUsed(VirtioNet.RX, 1)).isTrue();
        assertThat(backend.waiting()).isEqualTo(1);
        postRxBuffer(1526);
        harness.notifyQueue(VirtioNet.RX);
        assertThat(harness.awaitUsed(VirtioNet.RX, 2)).isTrue();
        assertThat(backend.waiting()).isZero();
    }

    @Test
    void mergeableBuffersCarryAFrameLargerThanOneBuffer() throws Exception {
        open(false, NetOptions.defaults(), VirtioNet.F_MRG_RXBUF);
        long[] buffers = {postRxBuffer(1500), postRxBuffer(1500), postRxBuffer(1500)};
        harness.notifyQueue(VirtioNet.RX);
        byte[] frame = frame(3000, 9);
        backend.inject(frame);

        assertThat(harness.awaitUsed(VirtioNet.RX, 3)).isTrue();
        assertThat(rx.used(0).length()).isEqualTo(1500);
        assertThat(rx.used(1).length()).isEqualTo(1500);
        assertThat(rx.used(2).length()).isEqualTo(12);
        assertThat(harness.memory.readU16(buffers[0] + 10)).as("num_buffers").isEqualTo(3);
        byte[] joined = new byte[3012];
        harness.memory.read(buffers[0], joined, 0, 1500);
        harness.memory.read(buffers[1], joined, 1500, 1500);
        harness.memory.read(buffers[2], joined, 3000, 12);
        assertThat(Arrays.copyOfRange(joined, 12, 3012)).isEqualTo(frame);
    }

    @Test
    void frameTooLargeForANonMergeableBufferIsDropped() throws Exception {
        open(false, NetOptions.defaults().withMergeableRx(false), 0);
        postRxBuffer(200);
        harness.notifyQueue(VirtioNet.RX);
        backend.inject(frame(1000, 0));
        byte[] small = frame(100, 5);
        backend.inject(small);

        assertThat(harness.awaitUsed(VirtioNet.RX, 1)).isTrue();
        assertThat(net.rxDropped()).isEqualTo(1);
        assertThat(rx.used(0).length()).isEqualTo(112);
    }

    @Test
    void loopbackCarriesTheGuestsFramesBackToIt() throws Exception {
        open(true, NetOptions.defaults(), VirtioNet.F_MRG_RXBUF);
        long buffer = postRxBuffer(2048);
        harness.notifyQueue(VirtioNet.RX);
        byte[] frame = frame(1514, 42);
        transmit(frame);

        assertThat(harness.awaitUsed(VirtioNet.RX, 1)).isTrue();
        assertThat(harness.memory.read(buffer + VirtioNet.HEADER, 1514)).isEqualTo(frame);
    }

    @Test
    void transmitRateLimiterDefersFramesUntilTokensArrive() throws Exception {
        AtomicLong clock = new AtomicLong();
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(1, 0, Duration.ofMillis(20)), clock::get);
        open(false, NetOptions.defaults().withRateLimiters(RateLimiter.unlimited(), limiter), 0);
        transmit(frame(60, 0));
        tx.addChain(readable(tx.allocate(VirtioNet.HEADER), VirtioNet.HEADER), readable(tx.allocate(frame(60, 1)), 60));
        harness.notifyQueue(VirtioNet.TX);
        Thread.sleep(100); // the limiter's clock stands still: the frame must wait however long
        assertThat(backend.sent()).hasSize(1);

        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(harness.awaitUsed(VirtioNet.TX, 2)).isTrue();
        assertThat(backend.sent()).hasSize(2);
    }

    @Test
    void receiveRateLimiterDefersFramesUntilTokensArrive() throws Exception {
        AtomicLong clock = new AtomicLong();
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(1, 0, Duration.ofMillis(20)), clock::get);
        open(false, NetOptions.defaults().withRateLimiters(limiter, RateLimiter.unlimited()), 0);
        postRxBuffer(1526);
        postRxBuffer(1526);
        harness.notifyQueue(VirtioNet.RX);
        backend.inject(frame(64, 0));
        backend.inject(frame(64, 1));
        assertThat(harness.awaitUsed(VirtioNet.RX, 1)).isTrue();
        Thread.sleep(100);
        assertThat(rx.usedIdx()).isEqualTo(1);
        assertThat(backend.waiting()).isEqualTo(1);

        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(harness.awaitUsed(VirtioNet.RX, 2)).isTrue();
    }
}
