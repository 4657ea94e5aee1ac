package dev.jvisor.virtio.block;

import dev.jvisor.testkit.FuzzInput;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.DeviceFuzzHarness;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.MockQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * virtio-blk requests from guest memory, at the device level: headers with any type, sector and
 * ioprio; data and status descriptors in every layout (separate, merged, split, indirect, zero
 * length, out of order, outside RAM, missing); reads and writes past the end of the disk and of
 * partial last sectors; discard and write-zeroes segment lists; GET_ID with short buffers; read-only
 * drives; requests queued before DRIVER_OK.
 *
 * <p>Each request's outcome is checked against virtio 1.2 section 5.2.6: the status byte
 * (OK, IOERR or UNSUPP as the request deserves), the used length, the data read (the disk's bytes)
 * and written (the disk changes exactly there), and the disk image is never asked for I/O outside
 * the disk or for a write when read-only. A request whose chain breaks the queue rules makes the
 * device ask for a reset and stop there. Besides, {@link DeviceFuzzHarness#checkContract} holds:
 * guest memory changes only in device-writable buffers, and no internal error.
 *
 * <p>{@link #requests} is the Jazzer target (it replays its corpus in normal runs;
 * {@code JAZZER_FUZZ=1} fuzzes); {@link #seededRequests} runs the same generator and checks over a
 * fixed seeded series in every build.
 */
class VirtioBlockFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.flat(DeviceFuzzHarness.MEMORY_SIZE);
    private static final int QUEUE_SIZE = 64;
    private static final int SERIES = 1500;
    private static final int SECTOR = BlockRequests.SECTOR;

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "60s")
    void requests(FuzzedDataProvider data) throws Exception {
        exercise(FuzzInput.of(data));
    }

    @Test
    @Timeout(120) // a hang guard only: the series takes a few seconds
    void seededRequests() throws Exception {
        SplittableRandom random = new SplittableRandom(0xB10C_5EEDL);
        Model.seen.clear();
        for (int i = 0; i < SERIES; i++) {
            exercise(FuzzInput.of(random));
        }
        // The generator reaches every outcome, not just the early refusals.
        assertThat(Model.seen).as("type/status pairs completed").contains("0/0", "1/0", "4/0", "8/0", "11/0", "13/0",
                "0/1", "1/1", "11/2", "13/1", "3/2");
    }

    static void exercise(FuzzInput in) throws Exception {
        int sectors = (int) in.pick(64, 64, 8, 1, 0, 200);
        byte[] content = new byte[sectors * SECTOR + (in.oneIn(6) ? in.intIn(1, SECTOR - 1) : 0)];
        int seed = in.intIn(0, 255);
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i / SECTOR * 7 + i + seed);
        }
        boolean imageReadOnly = in.oneIn(6);
        boolean optionReadOnly = in.oneIn(8);
        String serial = in.pickOf("", "vda-serial", "12345678901234567890", "x");
        FuzzDisk disk = new FuzzDisk(content.clone(), imageReadOnly, in.bool(), in.bool(), serial);
        // Sometimes throttled, so that requests go back to the ring and resume on the timer.
        RateLimiter limiter = in.oneIn(12) ? new RateLimiter(
                in.bool() ? new TokenBucketConfig(in.intIn(512, 8192), 0, Duration.ofMillis(1)) : null,
                new TokenBucketConfig(in.intIn(1, 3), 0, Duration.ofMillis(1))) : RateLimiter.unlimited();
        VirtioBlock block = new VirtioBlock("vda", disk, new BlockOptions(QUEUE_SIZE, optionReadOnly, limiter));
        long features = block.offeredFeatures();
        if (in.bool()) {
            features &= in.anyLong(); // the driver takes some of what is offered
        }
        try (DeviceFuzzHarness h = new DeviceFuzzHarness(MEMORY, block, QUEUE_SIZE, features)) {
            Model model = new Model(content, imageReadOnly || optionReadOnly,
                    h.has(VirtioBlock.F_DISCARD), h.has(VirtioBlock.F_WRITE_ZEROES), serial);
            boolean beforeDriverOk = in.oneIn(5);
            if (!beforeDriverOk) {
                h.activate();
            }
            List<Request> requests = new ArrayList<>();
            // Most cases keep to the queue rules, so that the requests after a broken one run too.
            int brokenOneIn = in.oneIn(3) ? 6 : 200;
            // A hostile driver aims reads at its own rings: the device overwrites indices and
            // descriptors it is about to read. Only the contract can be checked then.
            boolean hostile = in.oneIn(15);
            // Sometimes more than a batch (VirtioBlock.BATCH), so that processing continues in rounds.
            for (int n = in.oneIn(6) ? in.intIn(VirtioBlock.BATCH, 60) : in.intIn(1, 12); n > 0; n--) {
                Request r = Request.generate(in, h, content.length / SECTOR, brokenOneIn, hostile);
                if (r == null) {
                    break;
                }
                requests.add(r);
            }
            h.snapshot();
            if (beforeDriverOk) {
                h.activate();
            }
            for (int k = in.intIn(1, 2); k > 0; k--) {
                h.notifyQueue(0);
            }
            if (hostile) {
                h.awaitQuiet();
                h.checkNoInternalError();
                assertThat(disk.misuse).as("calls the device must not make").isEmpty();
                return;
            }
            if (in.oneIn(10)) {
                // The driver resets the device while its I/O thread works through the ring.
                h.resetAndCheckQuiet(in.intIn(0, 300));
                h.checkContract();
                assertThat(disk.misuse).as("calls the device must not make").isEmpty();
                return;
            }
            h.awaitUsed(0, requests.size());
            h.checkContract();
            assertThat(disk.misuse).as("calls the device must not make").isEmpty();
            model.check(h, requests);
            assertThat(disk.content).as("disk content").isEqualTo(model.disk);
        }
    }

    // ---- requests as a driver lays them out ----

    /**
     * One request: its device-readable bytes (header and payload, as the device sees them in
     * order), its device-writable pieces, and whether the chain obeys the queue rules.
     */
    record Request(int head, byte[] readable, List<long[]> writable, boolean chainOk) {
        long writableLength() {
            return writable.stream().mapToLong(p -> p[1]).sum();
        }

        /** The address of writable byte {@code offset}. */
        long writableAddress(long offset) {
            for (long[] p : writable) {
                if (offset < p[1]) {
                    return p[0] + offset;
                }
                offset -= p[1];
            }
            throw new IndexOutOfBoundsException();
        }

        byte[] written(GuestMemory memory, int length) {
            byte[] out = new byte[length];
            for (int i = 0; i < length; i++) {
                out[i] = (byte) memory.readU8(writableAddress(i));
            }
            return out;
        }

        static Request generate(FuzzInput in, DeviceFuzzHarness h, long capacity, int brokenOneIn, boolean hostile) {
            int type = in.oneIn(10) ? (int) in.pick(2, 3, 10, 14, 16, 0xFFFF_FFFFL, in.intIn(0, 20))
                    : (int) in.pick(BlockRequests.T_IN, BlockRequests.T_IN, BlockRequests.T_OUT, BlockRequests.T_OUT,
                            BlockRequests.T_FLUSH, BlockRequests.T_GET_ID, BlockRequests.T_DISCARD,
                            BlockRequests.T_WRITE_ZEROES);
            long sector = sector(in, capacity);
            byte[] header = new byte[BlockRequests.HEADER];
            LittleEndian.put(header, 0, 4, type);
            LittleEndian.put(header, 4, 4, in.oneIn(4) ? in.anyLong() : 0); // reserved / ioprio
            LittleEndian.put(header, 8, 8, sector);
            byte[] payload = new byte[0];
            int writable = 1;
            switch (type) {
                case BlockRequests.T_IN -> writable = dataLength(in) + 1;
                case BlockRequests.T_OUT -> payload = pattern(dataLength(in), in.intIn(0, 255));
                case BlockRequests.T_GET_ID -> writable = (int) in.pick(BlockRequests.ID_BYTES + 1, BlockRequests.ID_BYTES + 1, 1, 6, 64);
                case BlockRequests.T_DISCARD, BlockRequests.T_WRITE_ZEROES -> payload = segments(in, capacity);
                default -> {
                    if (in.oneIn(3)) {
                        payload = in.bytes(64);
                        writable = in.intIn(1, 64);
                    }
                }
            }
            byte[] readable = concat(header, payload);
            boolean chainOk = true;
            if (in.oneIn(brokenOneIn)) {
                readable = Arrays.copyOf(readable, in.intIn(0, Math.min(readable.length, BlockRequests.HEADER - 1)));
            }
            if (in.oneIn(brokenOneIn)) {
                writable = 0; // no room for the status byte
            }
            // Lay the readable and writable bytes out in pieces.
            List<int[]> readPieces = pieces(in, readable.length, in.bool() ? BlockRequests.HEADER : -1);
            List<int[]> writePieces = pieces(in, writable, in.bool() ? writable - 1 : -1);
            boolean indirect = in.bool();
            int anomaly = in.oneIn(brokenOneIn) ? in.intIn(1, 3) : 0;
            int descriptors = readPieces.size() + writePieces.size() + (anomaly > 0 ? 1 : 0);
            if (!h.fits(0, descriptors, indirect) || readable.length + writable + 64L * descriptors > h.room(0)) {
                return null;
            }
            List<MockQueue.Buffer> buffers = new ArrayList<>();
            for (int[] p : readPieces) {
                long at = h.allocate(0, Arrays.copyOfRange(readable, p[0], p[0] + p[1]));
                buffers.add(MockQueue.Buffer.readable(at, p[1]));
            }
            List<long[]> writableList = new ArrayList<>();
            for (int[] p : writePieces) {
                long at = h.allocate(0, p[1]);
                if (hostile && in.bool()) {
                    MockQueue q = h.queue(0);
                    at = in.pickOf(q.layout().descTable(), q.layout().availRing(), q.layout().usedRing())
                            + in.intIn(0, 64) & ~1L;
                } else {
                    h.memory.fill(at, p[1], (byte) 0xEE);
                }
                buffers.add(MockQueue.Buffer.writable(at, p[1]));
                writableList.add(new long[]{at, p[1]});
            }
            switch (anomaly) {
                case 1 -> { // device-readable after device-writable (section 2.7.4.2)
                    buffers.add(MockQueue.Buffer.readable(h.allocate(0, 16), 16));
                    chainOk = writePieces.isEmpty();
                }
                case 2 -> { // a buffer outside guest RAM
                    buffers.add(in.intIn(0, buffers.size()), new MockQueue.Buffer(
                            DeviceFuzzHarness.MEMORY_SIZE - in.intIn(0, 8), 16, in.bool()));
                    chainOk = false;
                }
                case 3 -> { // a buffer longer than guest RAM
                    buffers.add(new MockQueue.Buffer(h.allocate(0, 16), (int) 0x8000_0000L, true)); // 2 GiB as le32
                    chainOk = false;
                }
                default -> {
                }
            }
            if (buffers.isEmpty()) {
                buffers.add(MockQueue.Buffer.readable(h.allocate(0, 1), 0)); // a chain of one empty buffer
            }
            int head = h.publish(0, buffers, indirect);
            return new Request(head, chainOk ? readable : null, writableList, chainOk);
        }

        private static long sector(FuzzInput in, long capacity) {
            return switch (in.intIn(0, 11)) {
                case 0 -> capacity;
                case 1 -> capacity - 1;
                case 2 -> capacity + 1;
                case 3 -> 1L << 55; // sector * 512 overflows
                case 4 -> -1;
                case 5 -> in.anyLong();
                default -> in.intIn(0, (int) Math.max(0, capacity - 1));
            };
        }

        private static int dataLength(FuzzInput in) {
            return switch (in.intIn(0, 9)) {
                case 0 -> in.intIn(0, 5000); // mostly not whole sectors
                case 1 -> in.intIn(9, 64) * SECTOR;
                default -> in.intIn(0, 8) * SECTOR;
            };
        }

        private static byte[] segments(FuzzInput in, long capacity) {
            int count = in.oneIn(10) ? (int) in.pick(0, VirtioBlock.MAX_DISCARD_SEGMENTS + 1) : in.intIn(1, 4);
            byte[] list = new byte[count * BlockRequests.SEGMENT];
            for (int s = 0; s < count; s++) {
                long start = sector(in, capacity);
                long sectors = in.oneIn(8) ? in.pick(0, VirtioBlock.MAX_DISCARD_SECTORS + 1L, 0xFFFF_FFFFL)
                        : in.intIn(0, (int) Math.max(0, Math.min(16, capacity - Math.max(0, Math.min(start, capacity)))));
                int flags = in.oneIn(6) ? (int) in.pick(2, 0x8000_0000L, in.intIn(0, 7)) : in.bool() ? 0 : BlockRequests.FLAG_UNMAP;
                LittleEndian.put(list, s * BlockRequests.SEGMENT, 8, start);
                LittleEndian.put(list, s * BlockRequests.SEGMENT + 8, 4, sectors);
                LittleEndian.put(list, s * BlockRequests.SEGMENT + 12, 4, flags);
            }
            if (in.oneIn(10) && list.length > 0) {
                list = Arrays.copyOf(list, list.length - in.intIn(1, Math.min(15, list.length))); // a partial segment
            }
            return list;
        }

        /**
         * Splits {@code length} bytes into 1-3 pieces (sometimes with an empty one), cutting at
         * {@code cut} when it is inside (the header, or the status byte, in a buffer of its own).
         */
        private static List<int[]> pieces(FuzzInput in, int length, int cut) {
            List<int[]> out = new ArrayList<>();
            if (length == 0) {
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
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 13 + seed);
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---- what section 5.2.6 says must happen ----

    /** The disk as the driver expects it after the requests that completed, and the expected outcomes. */
    static final class Model {
        /** "type/status" of every completed request in this JVM, for the series' coverage check. */
        static final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final byte[] disk;
        private final long capacity;
        private final boolean readOnly;
        private final boolean discard;
        private final boolean writeZeroes;
        private final byte[] id = new byte[BlockRequests.ID_BYTES];

        Model(byte[] disk, boolean readOnly, boolean discard, boolean writeZeroes, String serial) {
            this.disk = disk;
            this.capacity = disk.length / SECTOR;
            this.readOnly = readOnly;
            this.discard = discard;
            this.writeZeroes = writeZeroes;
            byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(s, 0, id, 0, Math.min(s.length, id.length));
        }

        private boolean inRange(long sector, long bytes) {
            return bytes % SECTOR == 0 && Long.compareUnsigned(sector, capacity) <= 0
                    && bytes / SECTOR <= capacity - sector;
        }

        void check(DeviceFuzzHarness h, List<Request> requests) {
            int used = h.queue(0).usedIdx();
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                boolean answerable = r.chainOk() && r.readable().length >= BlockRequests.HEADER && r.writableLength() >= 1;
                if (i >= used) {
                    assertThat(h.broken()).as("request %d was not completed, so the device must have given up", i).isTrue();
                    assertThat(answerable).as("request %d is well formed, yet the device gave up on it", i).isFalse();
                    return;
                }
                String as = "request " + i + " (" + HexDump.of(r.readable(), 16) + ", " + r.writableLength() + " writable)";
                assertThat(answerable || r.chainOk() && r.writableLength() >= 1)
                        .as("%s breaks the queue rules, yet the device completed it", as).isTrue();
                MockQueue.Used u = h.queue(0).used(i);
                assertThat(u.head()).as("requests complete in order").isEqualTo(r.head());
                int status = h.memory.readU8(r.writableAddress(r.writableLength() - 1));
                if (!answerable) {
                    assertThat(status).as("status of %s (header too short)", as).isEqualTo(BlockRequests.S_IOERR);
                    continue;
                }
                checkAnswered(h, r, status, u.length(), as);
            }
            assertThat(h.broken()).as("every request completed, yet the device gave up").isFalse();
        }

        private void checkAnswered(DeviceFuzzHarness h, Request r, int status, long usedLength, String as) {
            byte[] rd = r.readable();
            int type = (int) LittleEndian.get(rd, 0, 4);
            seen.add(type + "/" + status);
            long sector = LittleEndian.get(rd, 8, 8);
            long statusAt = r.writableLength() - 1;
            switch (type) {
                case BlockRequests.T_IN -> {
                    if (inRange(sector, statusAt)) {
                        assertThat(status).as("status of %s", as).isEqualTo(BlockRequests.S_OK);
                        assertThat(usedLength).as("used length of %s", as).isEqualTo(statusAt + 1);
                        assertThat(r.written(h.memory, (int) statusAt)).as("data of %s", as)
                                .isEqualTo(Arrays.copyOfRange(disk, (int) (sector * SECTOR), (int) (sector * SECTOR + statusAt)));
                    } else {
                        assertThat(status).as("status of %s", as).isEqualTo(BlockRequests.S_IOERR);
                        assertThat(usedLength).as("used length of %s", as).isEqualTo(1);
                    }
                }
                case BlockRequests.T_OUT -> {
                    long length = rd.length - BlockRequests.HEADER;
                    if (!readOnly && inRange(sector, length)) {
                        assertThat(status).as("status of %s", as).isEqualTo(BlockRequests.S_OK);
                        System.arraycopy(rd, BlockRequests.HEADER, disk, (int) (sector * SECTOR), (int) length);
                    } else {
                        assertThat(status).as("status of %s (read-only %s)", as, readOnly).isEqualTo(BlockRequests.S_IOERR);
                    }
                    assertThat(usedLength).as("used length of %s", as).isEqualTo(1);
                }
                case BlockRequests.T_FLUSH -> {
                    assertThat(status).as("status of %s", as).isEqualTo(BlockRequests.S_OK);
                    assertThat(usedLength).isEqualTo(1);
                }
                case BlockRequests.T_GET_ID -> {
                    int n = (int) Math.min(BlockRequests.ID_BYTES, statusAt);
                    assertThat(status).as("status of %s", as).isEqualTo(BlockRequests.S_OK);
                    assertThat(usedLength).as("used length of %s", as).isEqualTo(n + 1);
                    assertThat(r.written(h.memory, n)).as("id of %s", as).isEqualTo(Arrays.copyOf(id, n));
                }
                case BlockRequests.T_DISCARD, BlockRequests.T_WRITE_ZEROES -> {
                    boolean isDiscard = type == BlockRequests.T_DISCARD;
                    int expected = zeroOrDiscard(rd, isDiscard);
                    if (expected == -1) {
                        assertThat(status).as("status of %s", as).isIn(BlockRequests.S_IOERR, BlockRequests.S_UNSUPP);
                    } else {
                        assertThat(status).as("status of %s", as).isEqualTo(expected);
                    }
                    assertThat(usedLength).as("used length of %s", as).isEqualTo(1);
                }
                default -> {
                    assertThat(status).as("status of %s (unknown type)", as).isEqualTo(BlockRequests.S_UNSUPP);
                    assertThat(usedLength).isEqualTo(1);
                }
            }
        }

        /**
         * The status a discard or write-zeroes list must get: UNSUPP when the command was not
         * negotiated, a flag is unknown, or a discard asks to unmap; -1 for other invalid lists
         * (IOERR or UNSUPP); OK when every segment is valid, in which case the model applies it.
         */
        private int zeroOrDiscard(byte[] rd, boolean isDiscard) {
            if (!(isDiscard ? discard : writeZeroes)) {
                return BlockRequests.S_UNSUPP;
            }
            long length = rd.length - BlockRequests.HEADER;
            int count = (int) (length / BlockRequests.SEGMENT);
            if (readOnly || length == 0 || length % BlockRequests.SEGMENT != 0 || count > VirtioBlock.MAX_DISCARD_SEGMENTS) {
                return -1;
            }
            boolean valid = true;
            for (int s = 0; s < count; s++) {
                int at = BlockRequests.HEADER + s * BlockRequests.SEGMENT;
                long start = LittleEndian.get(rd, at, 8);
                long sectors = LittleEndian.get(rd, at + 8, 4);
                int flags = (int) LittleEndian.get(rd, at + 12, 4);
                if ((flags & ~BlockRequests.FLAG_UNMAP) != 0 || isDiscard && flags != 0) {
                    valid = false; // UNSUPP by section 5.2.6.2, unless another segment is out of range first
                } else if (sectors > VirtioBlock.MAX_DISCARD_SECTORS || !inRange(start, sectors * SECTOR)) {
                    valid = false;
                }
            }
            if (!valid) {
                return -1;
            }
            for (int s = 0; s < count; s++) {
                int at = BlockRequests.HEADER + s * BlockRequests.SEGMENT;
                long start = LittleEndian.get(rd, at, 8);
                long sectors = LittleEndian.get(rd, at + 8, 4);
                Arrays.fill(disk, (int) (start * SECTOR), (int) ((start + sectors) * SECTOR), (byte) 0);
            }
            return BlockRequests.S_OK;
        }
    }

    /** A short hex rendering of a request header for messages. */
    static final class HexDump {
        private HexDump() {
        }

        static String of(byte[] b, int max) {
            if (b == null) {
                return "broken chain";
            }
            return java.util.HexFormat.of().formatHex(b, 0, Math.min(max, b.length)) + (b.length > max ? "..." : "");
        }
    }
}
