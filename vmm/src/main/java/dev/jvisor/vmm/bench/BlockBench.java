package dev.jvisor.vmm.bench;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.ImageException;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.ImageTool;
import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The block benchmark: the default image boots with one fresh scratch disk per format asked for
 * (vda, vdb, ...) and the guest writes, then reads, {@code mib} MiB on each with busybox {@code dd}
 * and {@code O_DIRECT} (so the guest's page cache is bypassed and every byte crosses virtio-blk).
 * The host times each transfer between marker lines the guest prints and samples its own CPU time
 * at the same moments.
 */
public final class BlockBench {
    /**
     * @param formats       one scratch disk per entry
     * @param mib           MiB written and read per disk
     * @param workDir       where the scratch images and the initrd go
     * @param memoryBytes   guest RAM
     * @param timeoutSeconds limit for the whole run
     * @param echo          receives the guest console, or null
     */
    public record Options(List<DiskFormat> formats, int mib, Path workDir, long memoryBytes, long timeoutSeconds,
                          OutputStream echo) {
        public Options {
            formats = List.copyOf(formats);
            if (formats.isEmpty()) {
                throw new IllegalArgumentException("at least one disk format is needed");
            }
            if (mib < 1 || mib > 4096) {
                throw new IllegalArgumentException("the transfer size must be 1 to 4096 MiB, got " + mib);
            }
        }
    }

    /** One disk's figures; the spans run from the guest's start line to its done line. */
    public record Result(DiskFormat format, long bytes, HostSample.Span write, HostSample.Span read,
                         String guestWriteReport, String guestReadReport) {
    }

    private BlockBench() {
    }

    /** The guest script: for each disk, a timed direct write then a timed direct read. */
    static String script(int disks, int mib) {
        StringBuilder s = new StringBuilder("set -e\n");
        for (int i = 0; i < disks; i++) {
            String dev = "/dev/vd" + (char) ('a' + i);
            s.append("""
                    echo "bench: write-start %1$s"
                    dd if=/dev/zero of=%1$s bs=1M count=%2$d oflag=direct 2> /tmp/dd.log
                    echo "bench: write-done %1$s $(tail -n 1 /tmp/dd.log)"
                    echo "bench: read-start %1$s"
                    dd if=%1$s of=/dev/null bs=1M count=%2$d iflag=direct 2> /tmp/dd.log
                    echo "bench: read-done %1$s $(tail -n 1 /tmp/dd.log)"
                    """.formatted(dev, mib));
        }
        return s.toString();
    }

    public static List<Result> run(DefaultImage image, Hypervisor hypervisor, Options o)
            throws VmException, ImageException, IOException, InterruptedException {
        List<DriveConfig> drives = new ArrayList<>();
        long diskBytes = ((long) o.mib() + 1) << 20;
        for (int i = 0; i < o.formats().size(); i++) {
            DiskFormat f = o.formats().get(i);
            Path p = o.workDir().resolve("scratch" + i + "." + f.id());
            ImageTool.create(p, f, diskBytes);
            drives.add(DriveConfig.writable(p, f));
        }
        var config = ScriptedGuest.config(image, o.workDir(), script(drives.size(), o.mib()), Map.of(), o.memoryBytes(),
                VmConfig.Accel.parse(hypervisor.name())).withDrives(drives);
        List<Result> results = new ArrayList<>();
        long bytes = (long) o.mib() << 20;
        try (BenchGuest guest = new BenchGuest(config, hypervisor, o.echo())) {
            guest.start();
            for (int i = 0; i < drives.size(); i++) {
                String dev = "/dev/vd" + (char) ('a' + i);
                var ws = guest.await("bench: write-start " + dev, o.timeoutSeconds());
                var wd = guest.await("bench: write-done " + dev, o.timeoutSeconds());
                var rs = guest.await("bench: read-start " + dev, o.timeoutSeconds());
                var rd = guest.await("bench: read-done " + dev, o.timeoutSeconds());
                results.add(new Result(o.formats().get(i), bytes, ws.sample().until(wd.sample()), rs.sample().until(rd.sample()),
                        report(wd.line(), "bench: write-done " + dev), report(rd.line(), "bench: read-done " + dev)));
            }
            int status = guest.awaitPowerOff(o.timeoutSeconds());
            if (status != 0) {
                throw new IOException("the benchmark script failed with status " + status);
            }
        }
        return results;
    }

    private static String report(String line, String prefix) {
        return line.substring(prefix.length()).trim();
    }
}
