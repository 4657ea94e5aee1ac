package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskImages;
import dev.jvisor.io.disk.ImageTool;
import dev.jvisor.io.ratelimit.RateLimiter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hooks a service uses on a VM's I/O: counters on drives and rate limiters changeable while it runs. */
class IoAccountingTest {
    @TempDir
    Path dir;

    @Test
    void countingImageCountsCompletedRequestsAndLeavesTheImageOpen() throws Exception {
        Path p = dir.resolve("d.raw");
        ImageTool.create(p, DiskFormat.RAW, 1 << 20);
        try (DiskImage image = DiskImages.open(p, DiskFormat.RAW, false)) {
            CountingDiskImage counted = new CountingDiskImage(image);
            counted.write(0, ByteBuffer.wrap(new byte[4096]));
            counted.read(512, ByteBuffer.allocate(1024));
            counted.read(0, ByteBuffer.allocate(512));
            counted.flush();
            counted.close();
            assertThat(counted.counts()).isEqualTo(new CountingDiskImage.Counts(2, 1536, 1, 4096, 1));
            image.read(0, ByteBuffer.allocate(512)); // still open
        }
    }

    @Test
    void drivesAndInterfacesExposeLiveLimiters() throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernels.multibootReporter());
        Path disk = dir.resolve("d.raw");
        ImageTool.create(disk, DiskFormat.RAW, 1 << 20);
        VmConfig config = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1, VmConfig.Accel.EMU)
                .withDrives(List.of(DriveConfig.parse("file=" + disk + ",format=raw,rate=1M/s")))
                .withNets(List.of(NetConfig.parse("switch=lan0")));
        try (VirtualMachine vm = MachineBuilder.build(config, new EmuHypervisor(), new ByteArrayOutputStream())) {
            RateLimiter drive = vm.virtio().driveLimiter(0);
            assertThat(drive.isLimited()).isTrue();
            drive.update(null, null);
            assertThat(drive.isLimited()).isFalse();
            RateLimiter[] nic = vm.virtio().nicLimiters(0);
            assertThat(nic).hasSize(2);
            assertThat(nic[0].isLimited()).isFalse();
            nic[1].update(RateLimitConfig.parse("1M/s", null).bytes(), null);
            assertThat(vm.virtio().nicLimiters(0)[1].isLimited()).isTrue();
            assertThat(vm.virtio().driveCounts(0)).isEqualTo(new CountingDiskImage.Counts(0, 0, 0, 0, 0));
        }
    }
}
