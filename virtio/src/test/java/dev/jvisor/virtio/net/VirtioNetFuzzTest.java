package dev.jvisor.virtio.net;

import dev.jvisor.testkit.FuzzInput;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.DeviceFuzzHarness;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.queue.MockQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * virtio-net from guest memory at the device level: transmit chains of a {@code virtio_net_hdr} and a
 * frame in any layout and length (shorter than the header, than an Ethernet header, longer than the
 * largest frame, with device-writable buffers the device must leave alone), and receive buffers of
 * every shape (too small, zero room, device-readable first, one frame over many with
 * VIRTIO_NET_F_MRG_RXBUF), against frames from the back end.
 *
 * <p>Checked against virtio 1.2 section 5.1.6: frames reach the back end exactly as the guest laid
 * them out after the 12-byte header, and bad lengths are dropped with the chain still returned;
 * each received frame lands in the chains the specification assigns it, header first (num_buffers
 * set, the rest zero), with the used lengths the bytes written; frames that cannot fit are dropped;
 * frames with no buffers posted wait. Besides, {@link DeviceFuzzHarness#checkContract} holds.
 *
 * <p>{@link #traffic} is the Jazzer target (it replays its corpus in normal runs;
 * {@code JAZZER_FUZZ=1} fuzzes); {@link #seededTraffic} runs the same generator and checks over a
 * fixed seeded series in every build.
 */
class VirtioNetFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.flat(DeviceFuzzHarness.MEMORY_SIZE);
    private static final int SERIES = 1200;
    private static final int HEADER = VirtioNet.HEADER;

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "60s")
    void traffic(FuzzedDataProvider data) throws Exception {
        exercise(FuzzInput.of(data));
    }

    @Test
    @Timeout(120) // a hang guard only: the series takes a few seconds
    void seededTraffic() throws Exception {
        SplittableRandom random = new SplittableRandom(0x2E7_5EEDL);
        int[] totals = new int[3];
        for (int i = 0; i < SERIES; i++) {
            int[] t = exercise(FuzzInput.of(random));
            for (int k = 0; k < 3; k++) {
                totals[k] += t[k];
            }
        }
        assertThat(totals[0]).as("frames sent").isGreaterThan(SERIES);
        assertThat(totals[1]).as("frames received").isGreaterThan(SERIES);
        assertThat(totals[2]).as("received frames dropped").isPositive();
    }

    /** A chain as the driver laid it out: device-readable bytes, device-writable pieces, rule-abiding or not. */
    record Chain(int head, byte[] readable, List<long[]> writable, boolean ok) {
        long room() {
            return writable.stream().mapToLong(p -> p[1]).sum();
        }

        byte[] written(GuestMemory memory, int length) {
            byte[] out = new byte[length];
            int at = 0;
            for (long[] p : writable) {
                int n = (int) Math.min(p[1], length - at);
                memory.read(p[0], out, at, n);
                at += n;
            }
            return out;
        }
    }

    /** Runs one case; returns {frames sent, frames received, received frames dropped}. */
    static int[] exercise(FuzzInput in) throws Exception {
        int queueSize = (int) in.pick(16, 32, 64);
        boolean offerMergeable = in.bool();
        LoopbackBackend backend = new LoopbackBackend(false, 64);
        // Sometimes throttled, so that frames and chains wait and resume on the timers.
        boolean throttled = in.oneIn(10);
        VirtioNet net = new VirtioNet("eth0", backend, new NetOptions(queueSize, offerMergeable,
                throttled ? limiter(in) : RateLimiter.unlimited(), throttled ? limiter(in) : RateLimiter.unlimited()));
        long features = net.offeredFeatures() & (in.bool() ? -1 : in.anyLong());
        try (DeviceFuzzHarness h = new DeviceFuzzHarness(MEMORY, net, queueSize, features)) {
            boolean mergeable = h.has(VirtioNet.F_MRG_RXBUF);
            int brokenOneIn = in.oneIn(4) ? 8 : 500;
            boolean beforeDriverOk = in.oneIn(5);
            if (!beforeDriverOk) {
                h.activate();
            }
            List<Chain> tx = new ArrayList<>();
            for (int n = in.intIn(0, 10); n > 0; n--) {
                Chain c = transmitChain(in, h, brokenOneIn);
                if (c == null) {
                    break;
                }
                tx.add(c);
            }
            List<Chain> rx = new ArrayList<>();
            for (int n = in.intIn(0, 12); n > 0; n--) {
                Chain c = receiveChain(in, h, brokenOneIn);
                if (c == null) {
                    break;
                }
                rx.add(c);
            }
            List<byte[]> frames = new ArrayList<>();
            for (int n = in.intIn(0, 10); n > 0; n--) {
                int length = in.oneIn(8) ? (int) in.pick(NetBackend.MAX_FRAME, NetBackend.MAX_FRAME - 1, 4096)
                        : in.oneIn(3) ? in.intIn(NetBackend.MIN_FRAME, 2000) : (int) in.pick(NetBackend.MIN_FRAME, 60, 1514);
                byte[] f = new byte[length];
                for (int i = 0; i < length; i++) {
                    f[i] = (byte) (i * 3 + n);
                }
                frames.add(f);
            }
            h.snapshot();
            if (beforeDriverOk) {
                h.activate();
            }
            for (byte[] f : frames) {
                backend.inject(f);
            }
            h.notifyQueue(VirtioNet.TX);
            h.notifyQueue(VirtioNet.RX);
            if (in.oneIn(10)) {
                // The driver resets the device while its receive thread or a throttle timer works.
                h.resetAndCheckQuiet(in.intIn(0, 300));
                h.checkContract();
                return new int[3];
            }

            boolean allOk = tx.stream().allMatch(Chain::ok) && rx.stream().allMatch(Chain::ok);
            List<byte[]> expectedSent = new ArrayList<>();
            for (Chain c : tx) {
                long length = c.ok() ? c.readable().length - HEADER : -1;
                if (length >= NetBackend.MIN_FRAME && length <= NetBackend.MAX_FRAME) {
                    expectedSent.add(Arrays.copyOfRange(c.readable(), HEADER, c.readable().length));
                }
            }
            if (!allOk) {
                // A broken chain stops the device; what came before it must still be right.
                await(() -> h.broken() || h.queue(VirtioNet.TX).usedIdx() == tx.size());
                h.checkContract();
                List<byte[]> sent = backend.sent();
                assertThat(sent.size()).isLessThanOrEqualTo(expectedSent.size());
                for (int i = 0; i < sent.size(); i++) {
                    assertThat(sent.get(i)).as("frame %d sent", i).isEqualTo(expectedSent.get(i));
                }
                return new int[]{sent.size(), 0, 0};
            }

            // Transmit: inline on the notification, unless throttled.
            await(() -> h.queue(VirtioNet.TX).usedIdx() == tx.size());
            for (int i = 0; i < tx.size(); i++) {
                assertThat(h.queue(VirtioNet.TX).used(i)).isEqualTo(new MockQueue.Used(tx.get(i).head(), 0));
            }
            List<byte[]> sent = backend.sent();
            assertThat(sent).as("frames sent").hasSameSizeAs(expectedSent);
            for (int i = 0; i < sent.size(); i++) {
                assertThat(sent.get(i)).as("frame %d sent", i).isEqualTo(expectedSent.get(i));
            }
            assertThat(net.txDropped()).isEqualTo(tx.size() - expectedSent.size());

            // Receive: on the device's thread; the model says where every frame goes.
            Receive model = Receive.of(rx, frames, mergeable);
            await(() -> h.broken() || h.queue(VirtioNet.RX).usedIdx() == model.used.size()
                    && backend.waiting() == model.waiting && net.rxDropped() == model.dropped);
            h.checkContract();
            assertThat(h.broken()).as("device gave up: %s", h.transport.needsResetReasons()).isFalse();
            for (int i = 0; i < model.used.size(); i++) {
                Receive.Delivery d = model.used.get(i);
                assertThat(h.queue(VirtioNet.RX).used(i)).as("used entry %d", i)
                        .isEqualTo(new MockQueue.Used(d.chain().head(), d.bytes().length));
                assertThat(d.chain().written(MEMORY, d.bytes().length)).as("bytes of used entry %d", i).isEqualTo(d.bytes());
            }
            return new int[]{sent.size(), frames.size() - model.waiting - model.dropped, model.dropped};
        }
    }

    private static RateLimiter limiter(FuzzInput in) {
        return new RateLimiter(in.bool() ? new TokenBucketConfig(in.intIn(64, 4096), 0, Duration.ofMillis(1)) : null,
                new TokenBucketConfig(in.intIn(1, 3), 0, Duration.ofMillis(1)));
    }

    /** Where section 5.1.6.4 puts each frame, given the chains in ring order. */
    record Receive(List<Delivery> used, int dropped, int waiting) {
        record Delivery(Chain chain, byte[] bytes) {
        }

        static Receive of(List<Chain> chains, List<byte[]> frames, boolean mergeable) {
            List<Delivery> used = new ArrayList<>();
            int next = 0;
            int dropped = 0;
            for (int f = 0; f < frames.size(); f++) {
                byte[] frame = frames.get(f);
                int needed = HEADER + frame.length;
                int taken = 0;
                long room = 0;
                while (room < needed && next + taken < chains.size() && (mergeable || taken == 0)) {
                    room += chains.get(next + taken).room();
                    taken++;
                }
                if (room < needed) {
                    if (!mergeable && taken == 1) {
                        dropped++; // does not fit a whole buffer: dropped, the buffer stays for the next frame
                        continue;
                    }
                    return new Receive(used, dropped, frames.size() - f); // waits for more buffers
                }
                byte[] all = new byte[needed];
                LittleEndian.put(all, 10, 2, taken); // num_buffers; flags, gso and checksum fields stay 0
                System.arraycopy(frame, 0, all, HEADER, frame.length);
                int offset = 0;
                for (int i = 0; i < taken; i++) {
                    Chain c = chains.get(next + i);
                    int n = (int) Math.min(c.room(), needed - offset);
                    used.add(new Delivery(c, Arrays.copyOfRange(all, offset, offset + n)));
                    offset += n;
                }
                next += taken;
            }
            return new Receive(used, dropped, 0);
        }
    }

    private static Chain transmitChain(FuzzInput in, DeviceFuzzHarness h, int brokenOneIn) {
        byte[] header = in.oneIn(3) ? Arrays.copyOf(in.bytes(HEADER), HEADER) : new byte[HEADER];
        int length = in.oneIn(6) ? (int) in.pick(0, 1, NetBackend.MIN_FRAME - 1, NetBackend.MAX_FRAME,
                NetBackend.MAX_FRAME + 1, 0x20000) : (int) in.pick(NetBackend.MIN_FRAME, 60, 1514, in.intIn(0, 3000));
        byte[] frame = new byte[length];
        for (int i = 0; i < length; i++) {
            frame[i] = (byte) (i + length);
        }
        byte[] readable = concat(header, frame);
        if (in.oneIn(12)) {
            readable = Arrays.copyOf(readable, in.intIn(0, HEADER)); // shorter than the header
        }
        List<int[]> pieces = pieces(in, readable.length, in.bool() ? HEADER : -1);
        int writable = in.oneIn(8) ? in.intIn(0, 64) : 0; // device-writable buffers the device must not touch
        boolean broken = in.oneIn(brokenOneIn);
        boolean indirect = in.bool();
        int descriptors = pieces.size() + (writable > 0 ? 1 : 0) + (broken ? 1 : 0);
        if (descriptors == 0 || !h.fits(VirtioNet.TX, descriptors, indirect)
                || readable.length + writable + 64L * descriptors > h.room(VirtioNet.TX)) {
            return null;
        }
        List<MockQueue.Buffer> buffers = new ArrayList<>();
        for (int[] p : pieces) {
            buffers.add(MockQueue.Buffer.readable(h.allocate(VirtioNet.TX, Arrays.copyOfRange(readable, p[0], p[0] + p[1])), p[1]));
        }
        List<long[]> writablePieces = new ArrayList<>();
        if (writable > 0) {
            long at = h.allocate(VirtioNet.TX, writable);
            buffers.add(MockQueue.Buffer.writable(at, writable));
            writablePieces.add(new long[]{at, writable});
        }
        if (broken) {
            buffers.add(in.intIn(0, buffers.size()), MockQueue.Buffer.readable(DeviceFuzzHarness.MEMORY_SIZE - 4, 16));
        }
        return new Chain(h.publish(VirtioNet.TX, buffers, indirect), readable, writablePieces, !broken);
    }

    private static Chain receiveChain(FuzzInput in, DeviceFuzzHarness h, int brokenOneIn) {
        int room = in.oneIn(5) ? (int) in.pick(0, 1, HEADER - 1, HEADER, HEADER + NetBackend.MIN_FRAME - 1, 65_562)
                : (int) in.pick(HEADER + 1514, 4096, 2048, 256, in.intIn(0, 3000));
        int readableFirst = in.oneIn(8) ? in.intIn(1, 32) : 0; // allowed: the device skips it
        List<int[]> pieces = pieces(in, room, -1);
        boolean broken = in.oneIn(brokenOneIn); // a device-readable buffer after the writable ones
        boolean indirect = in.bool();
        int descriptors = pieces.size() + (readableFirst > 0 ? 1 : 0) + (broken ? 1 : 0);
        if (descriptors == 0 || !h.fits(VirtioNet.RX, descriptors, indirect)
                || room + readableFirst + 64L * descriptors > h.room(VirtioNet.RX)) {
            return null;
        }
        List<MockQueue.Buffer> buffers = new ArrayList<>();
        if (readableFirst > 0) {
            buffers.add(MockQueue.Buffer.readable(h.allocate(VirtioNet.RX, readableFirst), readableFirst));
        }
        List<long[]> writable = new ArrayList<>();
        for (int[] p : pieces) {
            long at = h.allocate(VirtioNet.RX, p[1]);
            buffers.add(MockQueue.Buffer.writable(at, p[1]));
            writable.add(new long[]{at, p[1]});
        }
        if (broken) {
            buffers.add(MockQueue.Buffer.readable(h.allocate(VirtioNet.RX, 8), 8));
        }
        return new Chain(h.publish(VirtioNet.RX, buffers, indirect), new byte[0], writable, !broken || pieces.isEmpty());
    }

    /** Splits {@code length} bytes into 1-3 pieces, cutting at {@code cut} when inside; sometimes an empty piece. */
    private static List<int[]> pieces(FuzzInput in, int length, int cut) {
        List<int[]> out = new ArrayList<>();
        if (length == 0) {
            if (in.oneIn(3)) {
                out.add(new int[]{0, 0});
            }
            return out;
        }
        List<Integer> cuts = new ArrayList<>();
        if (cut > 0 && cut < length) {
            cuts.add(cut);
        }
        for (int n = in.intIn(0, 2); n > 0; n--) {
            cuts.add(in.intIn(1, length));
        }
        cuts.add(length);
        cuts.sort(null);
        int at = 0;
        for (int c : cuts) {
            if (c > at || in.oneIn(8)) {
                out.add(new int[]{at, c - at});
            }
            at = Math.max(at, c);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the device did not settle");
            }
            LockSupport.parkNanos(20_000);
        }
    }
}
