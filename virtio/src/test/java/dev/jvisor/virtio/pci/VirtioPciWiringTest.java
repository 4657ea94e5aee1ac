package dev.jvisor.virtio.pci;

import static dev.jvisor.virtio.pci.VirtioPciLayout.*;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.pci.PciConfigSpace;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.HostFile;
import dev.jvisor.io.disk.RawImage;
import dev.jvisor.virtio.DeviceStatus;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.RecordingInterrupts.Msi;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.VirtioPci;
import dev.jvisor.virtio.block.BlockOptions;
import dev.jvisor.virtio.queue.MockQueue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The wiring API and whole devices driven through PCI the way the Linux driver does. */
class VirtioPciWiringTest {
    @TempDir
    Path dir;
    private final PciBench bench = new PciBench();
    private final VirtioPci virtio = new VirtioPci(bench.bus, bench.memory, bench.interrupts);
    private DiskImage disk;

    @AfterEach
    void close() throws IOException {
        virtio.close();
        bench.close();
        if (disk != null) {
            disk.close();
        }
    }

    private DiskImage rawDisk(int sectors) throws IOException {
        Path file = dir.resolve("disk.raw");
        byte[] content = new byte[sectors * 512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i >>> 9);
        }
        Files.write(file, content);
        disk = new RawImage(HostFile.open(file, true));
        return disk;
    }

    @Test
    void attachesEachKindInTheNextFreeSlot() throws Exception {
        var blk = virtio.attachBlock(rawDisk(8), BlockOptions.defaults());
        var rng = virtio.attachRng();
        var console = virtio.attachConsole(new ByteArrayOutputStream(), null);

        assertThat(blk.slot()).isEqualTo(1);
        assertThat(rng.slot()).isEqualTo(2);
        assertThat(console.slot()).isEqualTo(3);
        assertThat(bench.bus.readConfig(0, 1, 0, PciConfigSpace.DEVICE_ID, 2)).isEqualTo(0x1042);
        assertThat(bench.bus.readConfig(0, 2, 0, PciConfigSpace.DEVICE_ID, 2)).isEqualTo(0x1044);
        assertThat(bench.bus.readConfig(0, 3, 0, PciConfigSpace.DEVICE_ID, 2)).isEqualTo(0x1043);
        assertThat(blk.transport().name()).isEqualTo("virtio-blk0");
        assertThat(virtio.attached()).hasSize(3);
    }

    @Test
    void blockReadThroughPciWithMsix() throws Exception {
        bench.select(virtio.attachBlock(rawDisk(16), BlockOptions.defaults()).slot());
        // Linux: enable MSI-X, program vectors, negotiate, set up the queue with vector 1, DRIVER_OK.
        bench.cfgWrite(bench.msixCapability + 2, 2, 0x8000);
        bench.write(MSIX_TABLE_OFFSET + 16, 8, 0xFEE0_0000L);
        bench.write(MSIX_TABLE_OFFSET + 24, 4, 0x41);
        bench.write(MSIX_TABLE_OFFSET + 28, 4, 0);
        assertThat(bench.negotiate(VirtioFeatures.VERSION_1 | VirtioFeatures.EVENT_IDX | VirtioFeatures.INDIRECT_DESC)).isTrue();
        long capacity = bench.read(bench.structure(CFG_DEVICE), 4) | bench.read(bench.structure(CFG_DEVICE) + 4, 4) << 32;
        assertThat(capacity).isEqualTo(16);
        MockQueue q = new MockQueue(bench.memory, 64, 0x10000, 0x100000);
        bench.setUpQueue(0, q);
        bench.common(CommonConfig.QUEUE_MSIX_VECTOR, 2, 1);
        bench.driverOk();

        byte[] header = new byte[16];
        LittleEndian.put(header, 8, 8, 5);
        long data = q.allocate(1024);
        long status = q.allocate(1);
        q.addIndirectChain(readable(q.allocate(header), 16), writable(data, 1024), writable(status, 1));
        bench.notifyQueue(0);

        for (int i = 0; i < 5000 && bench.interrupts.msis().isEmpty(); i++) {
            Thread.sleep(1);
        }
        assertThat(bench.interrupts.msis()).containsExactly(new Msi(0xFEE0_0000L, 0x41));
        assertThat(bench.memory.readU8(status)).isZero();
        assertThat(bench.memory.read(data, 512)).containsOnly(5);
        assertThat(bench.memory.read(data + 512, 512)).containsOnly(6);
    }

    /** An image whose reads wait for the test's go-ahead. */
    private static final class GatedDisk extends DelegatingDisk {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        GatedDisk(DiskImage image) {
            super(image);
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.read(offset, dst);
        }
    }

    @Test
    void resetWaitsForTheRequestInFlightAndStopsTheQueue() throws Exception {
        GatedDisk gated = new GatedDisk(rawDisk(16));
        bench.select(virtio.attachBlock(gated, BlockOptions.defaults()).slot());
        MockQueue q = new MockQueue(bench.memory, 64, 0x10000, 0x100000);
        bench.start(0, q);
        long status = q.allocate(1);
        q.addChain(readable(q.allocate(new byte[16]), 16), writable(q.allocate(512), 512), writable(status, 1));
        bench.notifyQueue(0);
        assertThat(gated.entered.await(10, TimeUnit.SECONDS)).isTrue();

        Thread resetter = Thread.ofPlatform().start(() -> bench.common(CommonConfig.DEVICE_STATUS, 1, 0));
        resetter.join(200);
        assertThat(resetter.isAlive()).as("reset waits while the request holds guest buffers").isTrue();
        gated.release.countDown();
        resetter.join(10_000);
        assertThat(resetter.isAlive()).isFalse();
        assertThat(q.usedIdx()).as("the request in flight completed before reset returned").isEqualTo(1);
        assertThat(bench.status()).isZero();

        // After reset the old queue is dead: new chains there are never touched.
        q.addChain(readable(q.allocate(new byte[16]), 16), writable(q.allocate(512), 512), writable(q.allocate(1), 1));
        bench.notifyQueue(0);
        Thread.sleep(50);
        assertThat(q.usedIdx()).isEqualTo(1);
    }

    @Test
    @Timeout(60) // a deadlock guard: the loop itself takes well under a second
    void resetsThroughThePciWindowRaceSafelyWithCompletions() throws Exception {
        bench.select(virtio.attachBlock(rawDisk(16), BlockOptions.defaults()).slot());
        int cap = bench.capabilities.get(CFG_PCI);
        for (int round = 0; round < 200; round++) {
            MockQueue q = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
            bench.start(0, q);
            for (int i = 0; i < 4; i++) {
                q.addChain(readable(q.allocate(new byte[16]), 16), writable(q.allocate(512), 512), writable(q.allocate(1), 1));
            }
            bench.notifyQueue(0);
            // Reset through the configuration window (holding the device's configuration lock) while
            // the I/O thread may be completing requests and raising INTx.
            bench.cfgWrite(cap + CAP_BAR, 1, 0);
            bench.cfgWrite(cap + CAP_OFFSET, 4, COMMON_OFFSET + CommonConfig.DEVICE_STATUS);
            bench.cfgWrite(cap + CAP_LENGTH, 4, 1);
            bench.cfgWrite(cap + CAP_PCI_CFG_DATA, 4, 0);
            assertThat(bench.status()).isZero();
            bench.readIsr();
        }
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
    }

    @Test
    void needsResetStatusComesBackThroughTheBar() throws Exception {
        bench.select(virtio.attachBlock(rawDisk(16), BlockOptions.defaults()).slot());
        MockQueue q = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q);
        q.addChain(writable(q.allocate(1), 1)); // no header: the driver broke the protocol
        bench.notifyQueue(0);
        for (int i = 0; i < 5000 && (bench.status() & DeviceStatus.DEVICE_NEEDS_RESET) == 0; i++) {
            Thread.sleep(1);
        }
        assertThat(bench.status() & DeviceStatus.DEVICE_NEEDS_RESET).isNotZero();
        assertThat(bench.readIsr() & 2).isNotZero();
    }

    /** Forwards everything to an image; tests override what they need to observe. */
    private static class DelegatingDisk implements DiskImage {
        private final DiskImage image;

        DelegatingDisk(DiskImage image) {
            this.image = image;
        }

        @Override
        public long size() {
            return image.size();
        }

        @Override
        public boolean readOnly() {
            return image.readOnly();
        }

        @Override
        public DiskFormat format() {
            return image.format();
        }

        @Override
        public String serial() {
            return image.serial();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            image.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            image.write(offset, src);
        }

        @Override
        public void flush() throws IOException {
            image.flush();
        }

        @Override
        public boolean supportsDiscard() {
            return image.supportsDiscard();
        }

        @Override
        public boolean supportsWriteZeroes() {
            return image.supportsWriteZeroes();
        }

        @Override
        public int discardGranularity() {
            return image.discardGranularity();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            image.discard(offset, length);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
            image.writeZeroes(offset, length, mayUnmap);
        }

        @Override
        public void close() throws IOException {
            image.close();
        }
    }

}
