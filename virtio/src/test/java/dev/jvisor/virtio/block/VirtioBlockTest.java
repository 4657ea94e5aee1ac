package dev.jvisor.virtio.block;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.disk.HostFile;
import dev.jvisor.io.disk.RawImage;
import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.virtio.DeviceHarness;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.MockQueue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** virtio-blk against a real raw image in a temporary file, through mock queues. */
class VirtioBlockTest {
    private static final int SECTORS = 64;

    @TempDir
    Path dir;
    private Path file;
    private CountingDisk disk;
    private DeviceHarness harness;
    private MockQueue q;

    private VirtioBlock open(BlockOptions options, boolean writableFile, long features) throws Exception {
        file = dir.resolve("disk.raw");
        byte[] content = new byte[SECTORS * 512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i / 512 + 1); // each sector filled with its number + 1
        }
        Files.write(file, content);
        disk = new CountingDisk(new RawImage(HostFile.open(file, writableFile)));
        VirtioBlock block = new VirtioBlock("vda", disk, options);
        harness = new DeviceHarness(block, 64, features);
        harness.activate();
        q = harness.queue(0);
        return block;
    }

    private VirtioBlock open() throws Exception {
        return open(BlockOptions.defaults(), true, VirtioBlock.F_DISCARD | VirtioBlock.F_WRITE_ZEROES);
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    private long header(int type, long sector) {
        byte[] h = new byte[16];
        LittleEndian.put(h, 0, 4, type);
        LittleEndian.put(h, 8, 8, sector);
        return q.allocate(h);
    }

    private int statusOf(long statusAddress) {
        return harness.memory.readU8(statusAddress);
    }

    private void submit(MockQueue.Buffer... buffers) throws Exception {
        int before = q.usedIdx();
        q.addChain(buffers);
        harness.notifyQueue(0);
        assertThat(harness.awaitUsed(0, before + 1)).as("request completed").isTrue();
    }

    @Test
    void configurationDescribesTheDisk() throws Exception {
        VirtioBlock block = open();
        assertThat(block.readConfig(VirtioBlock.CFG_CAPACITY, 8)).isEqualTo(SECTORS);
        assertThat(block.readConfig(VirtioBlock.CFG_CAPACITY, 4)).isEqualTo(SECTORS);
        assertThat(block.readConfig(VirtioBlock.CFG_SEG_MAX, 4)).isEqualTo(254);
        assertThat(block.readConfig(VirtioBlock.CFG_BLK_SIZE, 4)).isEqualTo(512);
        assertThat(block.readConfig(VirtioBlock.CFG_DISCARD_SECTOR_ALIGNMENT, 4)).isEqualTo(8);
        assertThat(block.offeredFeatures() & VirtioBlock.F_RO).isZero();
        long all = VirtioBlock.F_FLUSH | VirtioBlock.F_DISCARD | VirtioBlock.F_WRITE_ZEROES;
        assertThat(block.offeredFeatures() & all).isEqualTo(all);
    }

    @Test
    void readsSectorsIntoScatteredBuffers() throws Exception {
        open();
        long first = q.allocate(512);
        long second = q.allocate(1024);
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_IN, 3), 16), writable(first, 512), writable(second, 1024), writable(status, 1));

        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_OK);
        assertThat(harness.memory.read(first, 512)).containsOnly(4);
        assertThat(harness.memory.read(second, 512)).containsOnly(5);
        assertThat(harness.memory.read(second + 512, 512)).containsOnly(6);
        assertThat(q.used(0).length()).isEqualTo(1536 + 1);
        assertThat(harness.transport.queueSignals()).contains(0);
    }

    @Test
    void writesReachTheFileAndFlushReachesTheImage() throws Exception {
        open();
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0x77);
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_OUT, 10), 16), readable(q.allocate(data), 1024), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_OK);
        assertThat(q.used(0).length()).isEqualTo(1);

        long flushStatus = q.allocate(1);
        submit(readable(header(BlockRequests.T_FLUSH, 0), 16), writable(flushStatus, 1));
        assertThat(statusOf(flushStatus)).isEqualTo(BlockRequests.S_OK);
        assertThat(disk.flushes.get()).isEqualTo(1);

        byte[] onDisk = Files.readAllBytes(file);
        assertThat(Arrays.copyOfRange(onDisk, 10 * 512, 12 * 512)).containsOnly(0x77);
        assertThat(onDisk[12 * 512]).isEqualTo((byte) 13);
    }

    @Test
    void headerMayShareItsBufferWithTheData() throws Exception {
        open();
        byte[] request = new byte[16 + 512];
        LittleEndian.put(request, 0, 4, BlockRequests.T_OUT);
        LittleEndian.put(request, 8, 8, 1);
        Arrays.fill(request, 16, request.length, (byte) 0x5A);
        long status = q.allocate(1);
        submit(readable(q.allocate(request), request.length), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_OK);
        assertThat(Arrays.copyOfRange(Files.readAllBytes(file), 512, 1024)).containsOnly(0x5A);
    }

    @Test
    void getIdReturnsTheImageSerial() throws Exception {
        open();
        long id = q.allocate(20);
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_GET_ID, 0), 16), writable(id, 20), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_OK);
        byte[] expected = Arrays.copyOf(disk.serial().getBytes(StandardCharsets.US_ASCII), 20);
        assertThat(harness.memory.read(id, 20)).isEqualTo(expected);
        assertThat(disk.serial()).isNotEmpty();
    }

    @Test
    void requestsPastTheEndOrInPartialSectorsFail() throws Exception {
        open();
        long s1 = q.allocate(1);
        submit(readable(header(BlockRequests.T_IN, SECTORS - 1), 16), writable(q.allocate(1024), 1024), writable(s1, 1));
        long s2 = q.allocate(1);
        submit(readable(header(BlockRequests.T_IN, 0), 16), writable(q.allocate(100), 100), writable(s2, 1));
        long s3 = q.allocate(1);
        submit(readable(header(BlockRequests.T_OUT, -1L), 16), readable(q.allocate(512), 512), writable(s3, 1));
        assertThat(statusOf(s1)).isEqualTo(BlockRequests.S_IOERR);
        assertThat(statusOf(s2)).isEqualTo(BlockRequests.S_IOERR);
        assertThat(statusOf(s3)).isEqualTo(BlockRequests.S_IOERR);
        assertThat(q.used(0).length()).as("nothing but the status was written").isEqualTo(1);
    }

    @Test
    void unknownRequestTypesAreUnsupported() throws Exception {
        open();
        long status = q.allocate(1);
        submit(readable(header(99, 0), 16), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_UNSUPP);
    }

    @Test
    void readOnlyDiskOffersRoAndRejectsWrites() throws Exception {
        VirtioBlock block = open(BlockOptions.defaults(), false, 0);
        assertThat(block.readOnly()).isTrue();
        assertThat(block.offeredFeatures() & VirtioBlock.F_RO).isNotZero();
        assertThat(block.offeredFeatures() & (VirtioBlock.F_DISCARD | VirtioBlock.F_WRITE_ZEROES)).isZero();
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_OUT, 0), 16), readable(q.allocate(new byte[512]), 512), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_IOERR);
        assertThat(Files.readAllBytes(file)[0]).isEqualTo((byte) 1);
    }

    @Test
    void readOnlyOptionOverridesAWritableImage() throws Exception {
        VirtioBlock block = open(BlockOptions.defaults().withReadOnly(true), true, 0);
        assertThat(block.offeredFeatures() & VirtioBlock.F_RO).isNotZero();
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_OUT, 0), 16), readable(q.allocate(new byte[512]), 512), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_IOERR);
    }

    private long segment(long sector, int count, int flags) {
        byte[] s = new byte[16];
        LittleEndian.put(s, 0, 8, sector);
        LittleEndian.put(s, 8, 4, count);
        LittleEndian.put(s, 12, 4, flags);
        return q.allocate(s);
    }

    @Test
    void writeZeroesAndDiscardClearRanges() throws Exception {
        open();
        long s1 = q.allocate(1);
        submit(readable(header(BlockRequests.T_WRITE_ZEROES, 0), 16), readable(segment(2, 2, 0), 16), writable(s1, 1));
        long s2 = q.allocate(1);
        submit(readable(header(BlockRequests.T_DISCARD, 0), 16), readable(segment(8, 8, 0), 16), writable(s2, 1));
        assertThat(statusOf(s1)).isEqualTo(BlockRequests.S_OK);
        assertThat(statusOf(s2)).isEqualTo(BlockRequests.S_OK);
        byte[] onDisk = Files.readAllBytes(file);
        assertThat(Arrays.copyOfRange(onDisk, 2 * 512, 4 * 512)).containsOnly(0);
        assertThat(Arrays.copyOfRange(onDisk, 8 * 512, 16 * 512)).containsOnly(0);
        assertThat(onDisk[4 * 512]).isEqualTo((byte) 5);
    }

    @Test
    void discardWithUnmapFlagOrOutOfRangeIsRefused() throws Exception {
        open();
        long s1 = q.allocate(1);
        submit(readable(header(BlockRequests.T_DISCARD, 0), 16), readable(segment(0, 1, 1), 16), writable(s1, 1));
        long s2 = q.allocate(1);
        submit(readable(header(BlockRequests.T_WRITE_ZEROES, 0), 16), readable(segment(SECTORS - 1, 2, 0), 16), writable(s2, 1));
        assertThat(statusOf(s1)).isEqualTo(BlockRequests.S_UNSUPP);
        assertThat(statusOf(s2)).isEqualTo(BlockRequests.S_IOERR);
        assertThat(Files.readAllBytes(file)[0]).isEqualTo((byte) 1);
    }

    @Test
    void discardIsUnsupportedUnlessNegotiated() throws Exception {
        open(BlockOptions.defaults(), true, 0);
        long status = q.allocate(1);
        submit(readable(header(BlockRequests.T_DISCARD, 0), 16), readable(segment(0, 1, 0), 16), writable(status, 1));
        assertThat(statusOf(status)).isEqualTo(BlockRequests.S_UNSUPP);
    }

    @Test
    void requestWithoutStatusByteMeansNeedsReset() throws Exception {
        open();
        q.addChain(readable(header(BlockRequests.T_IN, 0), 16));
        harness.notifyQueue(0);
        for (int i = 0; i < 5000 && harness.transport.needsResetReasons().isEmpty(); i++) {
            Thread.sleep(1);
        }
        assertThat(harness.transport.needsResetReasons()).singleElement().asString().contains("status byte");
        assertThat(q.usedIdx()).isZero();
    }

    @Test
    void manyRequestsAreAllServed() throws Exception {
        open();
        int count = 150; // several batches, more than the ring holds at once; 3 descriptors each
        long[] statuses = new long[count];
        for (int i = 0; i < count; i++) {
            statuses[i] = q.allocate(1);
            q.addChain(readable(header(BlockRequests.T_IN, i % SECTORS), 16), writable(q.allocate(512), 512),
                    writable(statuses[i], 1));
            if (i % 16 == 15) { // 48 of the 64 descriptors in flight at most
                harness.notifyQueue(0);
                assertThat(harness.awaitUsed(0, i + 1)).isTrue();
            }
        }
        harness.notifyQueue(0);
        assertThat(harness.awaitUsed(0, count)).isTrue();
        for (long s : statuses) {
            assertThat(statusOf(s)).isEqualTo(BlockRequests.S_OK);
        }
    }

    @Test
    void rateLimiterDefersRequestsUntilTokensArrive() throws Exception {
        AtomicLong clock = new AtomicLong();
        RateLimiter limiter = new RateLimiter(null, new TokenBucketConfig(1, 0, Duration.ofMillis(20)), clock::get);
        open(BlockOptions.defaults().withRateLimiter(limiter), true, 0);
        long s1 = q.allocate(1);
        long s2 = q.allocate(1);
        q.addChain(readable(header(BlockRequests.T_FLUSH, 0), 16), writable(s1, 1));
        q.addChain(readable(header(BlockRequests.T_FLUSH, 0), 16), writable(s2, 1));
        harness.notifyQueue(0);
        assertThat(harness.awaitUsed(0, 1)).isTrue();
        // The limiter's clock stands still, so however often the timer retries, the second waits.
        Thread.sleep(100);
        assertThat(q.usedIdx()).isEqualTo(1);
        assertThat(disk.flushes.get()).isEqualTo(1);

        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(harness.awaitUsed(0, 2)).as("the throttle timer resumed the queue").isTrue();
        assertThat(disk.flushes.get()).isEqualTo(2);
    }
}
