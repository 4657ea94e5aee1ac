package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real Debian archive (deb.debian.org, or {@code JVISOR_DEBIAN_MIRROR}): verifies live
 * InRelease files and builds the real default image once for all tests of this class.
 */
@Tag("network")
class DebianNetworkTest {
    @TempDir
    static Path cache;
    static DefaultImage image;
    static final List<String> PROGRESS = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildTheDefaultImage() throws ImageException {
        image = DefaultImage.ensure(cache, PROGRESS::add);
    }

    @Test
    void liveInReleaseFilesVerifyAndATamperedCopyDoesNot(@TempDir Path work) throws IOException {
        try (DebianArchive archive = DebianArchive.fromEnvironment()) {
            ReleaseIndex release = archive.release("bookworm", work);
            assertThat(release.codename()).isEqualTo("bookworm");
            assertThat(release.file("main/binary-amd64/Packages.xz")).isPresent();
        }
        URI inRelease = URI.create(DebianMirrors.fromEnvironment().main() + "/dists/bookworm-updates/InRelease");
        byte[] bytes;
        try (HttpFetcher http = new HttpFetcher(Duration.ofSeconds(20), Duration.ofSeconds(60))) {
            bytes = Files.readAllBytes(http.download(inRelease, work.resolve("InRelease"), 16 << 20).path());
        }
        ArchiveKeyring keyring = ArchiveKeyring.debian();
        assertThat(keyring.verify(ClearSignedMessage.parse(bytes, "InRelease"), "InRelease")).isNotEmpty();

        String text = new String(bytes, StandardCharsets.UTF_8);
        int sha = text.indexOf("SHA256:\n ") + "SHA256:\n ".length();
        char flipped = text.charAt(sha) == '0' ? '1' : '0';
        byte[] tampered = (text.substring(0, sha) + flipped + text.substring(sha + 1)).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> keyring.verify(ClearSignedMessage.parse(tampered, "InRelease"), "InRelease"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("BAD signature");
    }

    @Test
    void theDefaultImageIsTheNewestBookwormCloudKernelWithBusybox() throws IOException {
        assertThat(image.kernelVersion()).matches("6\\.1\\.0-\\d+-cloud-amd64");
        assertThat(PROGRESS).anyMatch(line -> line.matches(
                "fetching linux-image-6\\.1\\.0-\\d+-cloud-amd64 \\S+ \\(\\d+ MB\\) from \\S+\\.\\.\\."));
        byte[] header = Files.readAllBytes(image.kernel());
        assertThat(new String(header, 0x202, 4, StandardCharsets.US_ASCII)).isEqualTo("HdrS");
        assertThat(Files.readString(image.kernelConfig())).contains("CONFIG_VIRTIO_BLK=m");

        List<TestCpio.Entry> entries = TestCpio.readGzip(Files.readAllBytes(image.initrd()));
        String modules = "lib/modules/" + image.kernelVersion() + "/kernel/";
        for (String module : List.of("drivers/virtio/virtio.ko", "drivers/virtio/virtio_ring.ko",
                "drivers/virtio/virtio_pci.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
                "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/block/virtio_blk.ko",
                "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko", "net/core/failover.ko",
                "drivers/char/hw_random/virtio-rng.ko", "drivers/char/virtio_console.ko")) {
            assertThat(ModuleInfo.parse(TestCpio.find(entries, modules + module).data(), module).name())
                    .isEqualTo(ModuleInfo.nameFromFile(module));
        }
        assertThat(TestCpio.find(entries, "init").text()).contains("load_module /lib/modules/"
                + image.kernelVersion() + "/kernel/net/core/failover.ko failover");

        List<String> again = new ArrayList<>();
        DefaultImage cached = DefaultImage.ensure(cache, () -> {
            throw new AssertionError("a cached image needs no archive");
        }, again::add);
        assertThat(cached).isEqualTo(image);
    }

    /** busybox's own cpio (from the image) lists the archive: an independent newc reader agrees. */
    @Test
    void busyboxCpioReadsTheInitramfs(@TempDir Path work) throws IOException, InterruptedException {
        assumeThat(System.getProperty("os.name")).isEqualTo("Linux");
        assumeThat(System.getProperty("os.arch")).isIn("amd64", "x86_64");
        List<TestCpio.Entry> entries = TestCpio.readGzip(Files.readAllBytes(image.initrd()));
        Path busybox = work.resolve("busybox");
        Files.write(busybox, TestCpio.find(entries, "bin/busybox").data());
        assertThat(busybox.toFile().setExecutable(true)).isTrue();
        byte[] cpio;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(image.initrd()))) {
            cpio = in.readAllBytes();
        }
        Process process = new ProcessBuilder(busybox.toString(), "cpio", "-t").redirectErrorStream(true).start();
        try (var stdin = process.getOutputStream()) {
            new ByteArrayInputStream(cpio).transferTo(stdin);
        }
        String listing = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(listing).isZero();
        List<String> names = listing.lines().filter(line -> !line.endsWith(" blocks")).toList();
        assertThat(names).isEqualTo(entries.stream().map(TestCpio.Entry::name).toList());
    }

    /** Boots the image under QEMU's software emulation (when installed): the reference the emulator is held to. */
    @Test
    @Tag("slow")
    void bootsToTheReadyLineAndRunsAnAddedScriptUnderQemu(@TempDir Path work) throws IOException, InterruptedException {
        File qemu = new File("/usr/bin/qemu-system-x86_64");
        assumeThat(qemu.canExecute()).as("qemu-system-x86_64 is installed").isTrue();
        DefaultImage withScript = image.withExtraFiles(new InitramfsBuilder().textFile("/tests/check.sh", """
                echo "modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' ')"
                echo "host: $(hostname)"
                ls /dev/vda /dev/hwrng
                exit 3
                """, 0755), work.resolve("initrd.gz")).withCmdline(image.cmdline() + " jvisor.run=/tests/check.sh");
        Path disk = work.resolve("disk.img");
        Files.write(disk, new byte[1 << 20]);
        Process qemuProcess = new ProcessBuilder(qemu.getPath(), "-accel", "tcg", "-m", "256", "-display", "none",
                "-nodefaults", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-kernel", withScript.kernel().toString(), "-initrd", withScript.initrd().toString(),
                "-append", withScript.cmdline(),
                "-device", "virtio-rng-pci", "-device", "virtio-net-pci,netdev=n0", "-netdev", "user,id=n0",
                "-drive", "file=" + disk + ",if=virtio,format=raw,file.locking=off")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String console;
        try (InputStream out = qemuProcess.getInputStream()) {
            if (!qemuProcess.waitFor(180, TimeUnit.SECONDS)) {
                qemuProcess.destroyForcibly();
            }
            console = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(console.lines().toList()).as(console).contains(InitScript.READY_LINE,
                "modules: failover net_failover virtio virtio_blk virtio_console virtio_mmio virtio_net virtio_pci"
                        + " virtio_pci_legacy_dev virtio_pci_modern_dev virtio_ring virtio_rng ",
                "host: jvisor",
                "jvisor-init: /tests/check.sh exited with status 3");
        assertThat(console).contains("/dev/vda").contains("/dev/hwrng").contains("reboot: Power down");
    }
}
