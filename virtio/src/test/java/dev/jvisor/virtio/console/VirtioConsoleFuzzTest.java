package dev.jvisor.virtio.console;

import dev.jvisor.testkit.FuzzInput;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.DeviceFuzzHarness;
import dev.jvisor.virtio.queue.MockQueue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * virtio-console from guest memory at the device level: guest output in chains of any layout and
 * size (empty, split, larger than the device's copy chunk, with device-writable buffers it must
 * leave alone), emergency writes through configuration space, a host output stream that fails
 * part way, and host input (more than the input buffer holds, typed before DRIVER_OK) delivered
 * into receive buffers of any size, zero included.
 *
 * <p>Checked against virtio 1.2 section 5.3.6: guest output reaches the host stream in order (a
 * failed stream loses output, never the device); every transmit chain comes back with used length
 * 0; host input fills the receive chains in order, each with the next bytes, used length the bytes
 * written; input beyond the buffer is refused, not lost silently. Besides,
 * {@link DeviceFuzzHarness#checkContract} holds.
 *
 * <p>{@link #console} is the Jazzer target (it replays its corpus in normal runs;
 * {@code JAZZER_FUZZ=1} fuzzes); {@link #seededConsole} runs the same generator and checks over a
 * fixed seeded series in every build.
 */
class VirtioConsoleFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.flat(DeviceFuzzHarness.MEMORY_SIZE);
    private static final int SERIES = 1500;
    private static final int CHUNK = 4096;

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "60s")
    void console(FuzzedDataProvider data) throws Exception {
        exercise(FuzzInput.of(data));
    }

    @Test
    @Timeout(120) // a hang guard only: the series takes a few seconds
    void seededConsole() throws Exception {
        SplittableRandom random = new SplittableRandom(0xC0_5EEDL);
        for (int i = 0; i < SERIES; i++) {
            exercise(FuzzInput.of(random));
        }
    }

    /** An output stream that fails every write after the first {@code limit} ones. */
    static final class FailingStream extends OutputStream {
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private int writesLeft;

        FailingStream(int limit) {
            this.writesLeft = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (writesLeft-- <= 0) {
                throw new IOException("the host end went away");
            }
            kept.write(b, off, len);
        }
    }

    record Chain(int head, List<long[]> writable, boolean ok) {
        long room() {
            return writable.stream().mapToLong(p -> p[1]).sum();
        }
    }

    static void exercise(FuzzInput in) throws Exception {
        FailingStream out = new FailingStream(in.oneIn(6) ? in.intIn(0, 6) : Integer.MAX_VALUE);
        VirtioConsole console = new VirtioConsole("hvc0", out);
        int queueSize = (int) in.pick(16, 64, 128);
        long features = console.offeredFeatures() & (in.bool() ? -1 : in.anyLong());
        try (DeviceFuzzHarness h = new DeviceFuzzHarness(MEMORY, console, queueSize, features)) {
            int brokenOneIn = in.oneIn(4) ? 8 : 500;
            ByteArrayOutputStream expectedOutput = new ByteArrayOutputStream();
            for (int n = in.oneIn(3) ? in.intIn(1, 3) : 0; n > 0; n--) {
                int c = in.intIn(0, 255);
                console.writeConfig(VirtioConsole.CFG_EMERG_WR, (int) in.pick(1, 2, 4), c | 0x4100);
                expectedOutput.write(c);
                int elsewhere = in.intIn(0, VirtioConsole.CONFIG_SIZE - 2);
                console.writeConfig(elsewhere < VirtioConsole.CFG_EMERG_WR ? elsewhere : elsewhere + 1, 1, c); // ignored
            }
            assertThat(console.readConfig(VirtioConsole.CFG_MAX_NR_PORTS, 4)).isEqualTo(1);
            assertThat(console.readConfig(in.intIn(VirtioConsole.CONFIG_SIZE, 4096), (int) in.pick(1, 2, 4, 8))).isZero();

            List<Chain> tx = new ArrayList<>();
            for (int n = in.intIn(0, 8); n > 0; n--) {
                byte[] data = new byte[in.oneIn(8) ? in.intIn(CHUNK, 3 * CHUNK + 7) : in.intIn(0, 300)];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (i * 7 + n);
                }
                Chain c = publish(in, h, VirtioConsole.TRANSMIT, data, in.oneIn(8) ? in.intIn(1, 32) : 0,
                        in.oneIn(brokenOneIn));
                if (c == null) {
                    break;
                }
                tx.add(c);
                if (c.ok()) {
                    expectedOutput.writeBytes(data);
                }
            }
            List<Chain> rx = new ArrayList<>();
            for (int n = in.intIn(0, 10); n > 0; n--) {
                int room = in.oneIn(5) ? (int) in.pick(0, 1, CHUNK + 1, 3 * CHUNK) : (int) in.pick(1, 16, 64, 512, in.intIn(0, 2000));
                Chain c = publish(in, h, VirtioConsole.RECEIVE, new byte[0], room, in.oneIn(brokenOneIn));
                if (c == null) {
                    break;
                }
                rx.add(c);
            }
            List<byte[]> input = new ArrayList<>();
            for (int n = in.intIn(0, 4); n > 0; n--) {
                byte[] typed = new byte[in.oneIn(10) ? VirtioConsole.INPUT_BUFFER + in.intIn(-5, 100) : in.intIn(0, 3000)];
                for (int i = 0; i < typed.length; i++) {
                    typed[i] = (byte) (i * 11 + n);
                }
                input.add(typed);
            }
            boolean allOk = tx.stream().allMatch(Chain::ok) && rx.stream().allMatch(Chain::ok);
            boolean beforeDriverOk = in.oneIn(4);
            h.snapshot();

            // Host input: the model follows each delivery, which runs inline while the device is active.
            Input model = new Input(rx);
            if (!beforeDriverOk) {
                h.activate();
            }
            for (byte[] typed : input) {
                int taken = console.offerInput(typed, 0, typed.length);
                if (allOk) {
                    assertThat(taken).as("input taken").isEqualTo(Math.min(typed.length, VirtioConsole.INPUT_BUFFER - model.pending()));
                }
                model.offer(typed, taken);
                if (!beforeDriverOk && allOk) {
                    model.deliver();
                }
            }
            if (beforeDriverOk) {
                h.activate();
                model.deliver();
            }
            h.notifyQueue(VirtioConsole.TRANSMIT);
            h.notifyQueue(VirtioConsole.RECEIVE);
            h.checkContract();
            if (!allOk) {
                // Transmit chains are all taken on the notification; receive chains only when input needs them.
                if (!tx.stream().allMatch(Chain::ok)) {
                    assertThat(h.broken()).as("a broken transmit chain is reported").isTrue();
                }
                return;
            }
            assertThat(h.broken()).as("device gave up: %s", h.transport.needsResetReasons()).isFalse();

            byte[] expected = expectedOutput.toByteArray();
            byte[] got = out.kept.toByteArray();
            if (out.writesLeft >= 0) {
                assertThat(got).as("guest output").isEqualTo(expected);
            } else {
                assertThat(Arrays.copyOf(expected, got.length)).as("output before the stream failed").isEqualTo(got);
            }
            assertThat(h.queue(VirtioConsole.TRANSMIT).usedIdx()).as("transmit chains returned").isEqualTo(tx.size());
            for (int i = 0; i < tx.size(); i++) {
                assertThat(h.queue(VirtioConsole.TRANSMIT).used(i)).isEqualTo(new MockQueue.Used(tx.get(i).head(), 0));
            }
            assertThat(h.queue(VirtioConsole.RECEIVE).usedIdx()).as("receive chains used").isEqualTo(model.used.size());
            for (int i = 0; i < model.used.size(); i++) {
                Input.Delivery d = model.used.get(i);
                assertThat(h.queue(VirtioConsole.RECEIVE).used(i)).as("receive entry %d", i)
                        .isEqualTo(new MockQueue.Used(d.chain().head(), d.bytes().length));
                assertThat(written(d.chain(), d.bytes().length)).as("input in receive entry %d", i).isEqualTo(d.bytes());
            }
            assertThat(console.pendingInput()).as("input still waiting").isEqualTo(model.pending());
        }
    }

    /** Host input as section 5.3.6 delivers it: in order into the receive chains, a chunk per chain. */
    static final class Input {
        record Delivery(Chain chain, byte[] bytes) {
        }

        private final List<Chain> chains;
        private final ByteArrayOutputStream waiting = new ByteArrayOutputStream();
        final List<Delivery> used = new ArrayList<>();

        Input(List<Chain> chains) {
            this.chains = chains;
        }

        int pending() {
            return waiting.size();
        }

        void offer(byte[] typed, int taken) {
            waiting.write(typed, 0, taken);
        }

        void deliver() {
            byte[] all = waiting.toByteArray();
            int at = 0;
            while (at < all.length && used.size() < chains.size()) {
                Chain c = chains.get(used.size());
                int n = (int) Math.min(Math.min(all.length - at, c.room()), CHUNK);
                used.add(new Delivery(c, Arrays.copyOfRange(all, at, at + n)));
                at += n;
            }
            waiting.reset();
            waiting.write(all, at, all.length - at);
        }
    }

    private static byte[] written(Chain c, int length) {
        byte[] out = new byte[length];
        int at = 0;
        for (long[] p : c.writable()) {
            int n = (int) Math.min(p[1], length - at);
            MEMORY.read(p[0], out, at, n);
            at += n;
        }
        return out;
    }

    /** Publishes a chain of {@code data} (device-readable, in pieces) then {@code room} device-writable bytes. */
    private static Chain publish(FuzzInput in, DeviceFuzzHarness h, int q, byte[] data, int room, boolean broken) {
        List<int[]> readPieces = pieces(in, data.length);
        List<int[]> writePieces = pieces(in, room);
        boolean indirect = in.bool();
        int descriptors = readPieces.size() + writePieces.size() + (broken ? 1 : 0);
        if (descriptors == 0 || !h.fits(q, descriptors, indirect) || data.length + room + 64L * descriptors > h.room(q)) {
            return null;
        }
        List<MockQueue.Buffer> buffers = new ArrayList<>();
        for (int[] p : readPieces) {
            buffers.add(MockQueue.Buffer.readable(h.allocate(q, Arrays.copyOfRange(data, p[0], p[0] + p[1])), p[1]));
        }
        List<long[]> writable = new ArrayList<>();
        for (int[] p : writePieces) {
            long at = h.allocate(q, p[1]);
            buffers.add(MockQueue.Buffer.writable(at, p[1]));
            writable.add(new long[]{at, p[1]});
        }
        if (broken) {
            // Outside guest RAM, somewhere in the chain.
            buffers.add(in.intIn(0, buffers.size()), new MockQueue.Buffer(DeviceFuzzHarness.MEMORY_SIZE - 2, 8, in.bool()));
        }
        return new Chain(h.publish(q, buffers, indirect), writable, !broken);
    }

    /** Splits {@code length} bytes into 1-3 pieces; sometimes an empty piece. */
    private static List<int[]> pieces(FuzzInput in, int length) {
        List<int[]> out = new ArrayList<>();
        if (length == 0) {
            if (in.oneIn(3)) {
                out.add(new int[]{0, 0});
            }
            return out;
        }
        List<Integer> cuts = new ArrayList<>();
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
}
