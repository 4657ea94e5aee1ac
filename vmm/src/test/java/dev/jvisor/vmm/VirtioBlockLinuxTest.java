package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.ImageTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linux mounts ext4 file systems on virtio-blk disks of every kind jvisor supports, in one boot of
 * the default image on the emulator, and the host checks the result with its own tools:
 * <ul>
 *   <li>vda, a raw image the host formatted with {@code mkfs.ext4}: the guest writes files, syncs
 *       and unmounts; {@code debugfs} reads them back and {@code e2fsck -fn} finds nothing wrong;
 *   <li>vdb, a qcow2 overlay made by Debian's {@code qemu-img} over a qcow2 base holding a file the
 *       host put there: the guest reads that file through the backing chain and writes another;
 *       {@code qemu-img check} accepts the overlay, its contents read back through
 *       {@code qemu-img convert}, and the base is untouched;
 *   <li>vdc, a qcow2 image made by jvisor: the guest's writes allocate clusters; jvisor's and
 *       qemu-img's checks accept it and {@code qemu-img convert} reads the files back;
 *   <li>vdd, a raw image attached with {@code readonly=on}: Linux sees a read-only disk, reads it,
 *       cannot write it, and the file is unchanged.
 * </ul>
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VirtioBlockLinuxTest {
    private static final String SCRIPT = """
            set -e
            echo "RO vdd $(cat /sys/block/vdd/ro)"
            if dd if=/dev/zero of=/dev/vdd bs=4096 count=1 oflag=direct 2> /dev/null; then echo "RO-WRITE accepted"; else echo "RO-WRITE refused"; fi
            mkdir -p /m/a /m/b /m/c /m/d
            mount -t ext4 /dev/vda /m/a
            mkdir /m/a/dir
            echo "hello from the guest" > /m/a/dir/hello.txt
            dd if=/dev/urandom of=/m/a/random.bin bs=64k count=24 2> /dev/null
            echo "SHA vda random.bin $(sha256sum /m/a/random.bin | cut -d ' ' -f 1)"
            mount -t ext4 /dev/vdb /m/b
            echo "SHA vdb from-host.bin $(sha256sum /m/b/from-host.bin | cut -d ' ' -f 1)"
            dd if=/dev/urandom of=/m/b/from-guest.bin bs=64k count=24 2> /dev/null
            echo "SHA vdb from-guest.bin $(sha256sum /m/b/from-guest.bin | cut -d ' ' -f 1)"
            mount -t ext4 /dev/vdc /m/c
            dd if=/dev/urandom of=/m/c/from-guest.bin bs=64k count=24 2> /dev/null
            echo "SHA vdc from-guest.bin $(sha256sum /m/c/from-guest.bin | cut -d ' ' -f 1)"
            mount -t ext4 -o ro /dev/vdd /m/d
            echo "SHA vdd from-host.bin $(sha256sum /m/d/from-host.bin | cut -d ' ' -f 1)"
            sync
            umount /m/a /m/b /m/c /m/d
            """;

    private Path dir;
    private Path fresh, base, baseQcow2, overlay, jvisorQcow2;
    private byte[] hostFile;
    private String baseQcow2Sha, baseSha;
    private ScriptedLinux.Console console;

    @BeforeAll
    void bootWithFourDisks(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        HostTools.require("mkfs.ext4", "debugfs", "e2fsck", "qemu-img");
        fresh = HostTools.ext4Raw(dir.resolve("fresh.raw"), 48);

        hostFile = new byte[700_000];
        new Random(42).nextBytes(hostFile);
        Path hostFilePath = dir.resolve("from-host.bin");
        Files.write(hostFilePath, hostFile);
        base = HostTools.ext4Raw(dir.resolve("base.raw"), 32);
        HostTools.ok("debugfs", "-w", "-R", "write " + hostFilePath + " from-host.bin", base.toString());
        baseQcow2 = dir.resolve("base.qcow2");
        HostTools.ok("qemu-img", "convert", "-f", "raw", "-O", "qcow2", base.toString(), baseQcow2.toString());
        overlay = dir.resolve("overlay.qcow2");
        HostTools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay.toString());
        baseQcow2Sha = HostTools.sha256(baseQcow2);
        baseSha = HostTools.sha256(base);

        jvisorQcow2 = HostTools.toJvisorQcow2(HostTools.ext4Raw(dir.resolve("for-jvisor.raw"), 32),
                dir.resolve("jvisor.qcow2"));

        VmConfig config = ScriptedLinux.config(dir, SCRIPT, Map.of()).withDrives(List.of(
                DriveConfig.writable(fresh, DiskFormat.RAW),
                new DriveConfig(overlay, Optional.empty(), false, RateLimitConfig.NONE), // .qcow2 + magic: probed
                DriveConfig.writable(jvisorQcow2, DiskFormat.QCOW2),
                DriveConfig.readOnly(base, Optional.empty())));
        console = ScriptedLinux.run(config, 300, null);
    }

    @Test
    void rawDiskFormattedByTheHostHoldsTheGuestsFiles() throws Exception {
        assertThat(HostTools.run("e2fsck", "-fn", fresh.toString()).status()).isZero();
        assertThat(new String(HostTools.ext4File(fresh, "/dir/hello.txt", dir))).isEqualTo("hello from the guest\n");
        assertThat(HostTools.sha256(HostTools.ext4File(fresh, "/random.bin", dir)))
                .isEqualTo(console.find("^SHA vda random.bin ([0-9a-f]{64})"));
    }

    @Test
    void qemuImgOverlayReadsThroughItsBackingFileAndStaysValidForQemuImg() throws Exception {
        assertThat(console.find("^SHA vdb from-host.bin ([0-9a-f]{64})")).isEqualTo(HostTools.sha256(hostFile));
        HostTools.ok("qemu-img", "check", overlay.toString());
        Path flat = dir.resolve("overlay-converted.raw");
        HostTools.ok("qemu-img", "convert", "-O", "raw", overlay.toString(), flat.toString());
        assertThat(HostTools.run("e2fsck", "-fn", flat.toString()).status()).isZero();
        assertThat(HostTools.sha256(HostTools.ext4File(flat, "/from-guest.bin", dir)))
                .isEqualTo(console.find("^SHA vdb from-guest.bin ([0-9a-f]{64})"));
        assertThat(HostTools.ext4File(flat, "/from-host.bin", dir)).isEqualTo(hostFile);
        assertThat(HostTools.sha256(baseQcow2)).as("the backing file is never written").isEqualTo(baseQcow2Sha);
    }

    @Test
    void jvisorQcow2WrittenByTheGuestPassesBothChecksAndConvertsBack() throws Exception {
        assertThat(ImageTool.check(jvisorQcow2).clean()).isTrue();
        HostTools.ok("qemu-img", "check", jvisorQcow2.toString());
        Path flat = dir.resolve("jvisor-converted.raw");
        HostTools.ok("qemu-img", "convert", "-O", "raw", jvisorQcow2.toString(), flat.toString());
        assertThat(HostTools.run("e2fsck", "-fn", flat.toString()).status()).isZero();
        assertThat(HostTools.sha256(HostTools.ext4File(flat, "/from-guest.bin", dir)))
                .isEqualTo(console.find("^SHA vdc from-guest.bin ([0-9a-f]{64})"));
    }

    @Test
    void readOnlyDriveIsReadOnlyForTheGuestAndUnchanged() throws Exception {
        assertThat(console.find("^RO vdd (\\d)")).isEqualTo("1");
        assertThat(console.find("^RO-WRITE (\\w+)")).isEqualTo("refused");
        assertThat(console.find("^SHA vdd from-host.bin ([0-9a-f]{64})")).isEqualTo(HostTools.sha256(hostFile));
        assertThat(HostTools.sha256(base)).isEqualTo(baseSha);
    }
}
