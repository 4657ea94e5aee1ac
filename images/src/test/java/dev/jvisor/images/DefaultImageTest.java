package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DefaultImage#ensure} end to end against a signed archive served from memory. */
class DefaultImageTest {
    static final String OLD_KERNEL = "6.1.0-99-cloud-amd64";
    static final String NEW_KERNEL = "6.1.0-100-cloud-amd64";

    @TempDir
    Path cache;

    FakeArchive archive;
    final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeEach
    void publish() throws IOException {
        archive = new FakeArchive();
        byte[] busybox = TestDebs.deb(Map.of("./bin/busybox", TestElf.executable()), "xz");
        archive.publish("bookworm", List.of(
                new FakeArchive.Deb("busybox-static", "1:1.35.0-4+deb12u1+b1", "", busybox),
                new FakeArchive.Deb("linux-image-" + OLD_KERNEL, "6.1.176-1", "kmod",
                        TestDebs.deb(KernelPackageTest.kernelPackageFiles(OLD_KERNEL), "xz")),
                new FakeArchive.Deb("linux-image-cloud-amd64", "6.1.176-1",
                        "linux-image-" + OLD_KERNEL + " (= 6.1.176-1)", new byte[] {1})), false, null);
        archive.publish("bookworm-updates", List.of(), false, null);
        archive.publish("bookworm-security", List.of(
                new FakeArchive.Deb("linux-image-" + NEW_KERNEL, "6.1.192-2", "kmod",
                        TestDebs.deb(KernelPackageTest.kernelPackageFiles(NEW_KERNEL), "xz")),
                new FakeArchive.Deb("linux-image-cloud-amd64", "6.1.192-2",
                        "linux-image-" + NEW_KERNEL + " (= 6.1.192-2)", new byte[] {2})), true,
                Instant.now().plus(Duration.ofDays(7)));
    }

    @AfterEach
    void stop() {
        archive.close();
    }

    private DefaultImage.ArchiveOpener opener() {
        return () -> new DebianArchive(archive.mirrors(), archive.key.keyring(), Clock.systemUTC());
    }

    private DefaultImage ensure() throws ImageException {
        return DefaultImage.ensure(cache, opener(), progress::add);
    }

    @Test
    void buildsTheNewestKernelWithABusyboxInitramfsAndThenServesItOffline() throws IOException {
        DefaultImage image = ensure();

        assertThat(image.kernelVersion()).isEqualTo(NEW_KERNEL);
        assertThat(image.cmdline()).isEqualTo("console=ttyS0 panic=-1 quiet");
        assertThat(Files.readAllBytes(image.kernel())).isEqualTo(TestElf.bzImage(8192));
        assertThat(Files.readString(image.kernelConfig())).contains("CONFIG_VIRTIO=m");
        assertThat(image.kernel().getParent()).isEqualTo(cache.resolve("default-image-v1"));
        List<TestCpio.Entry> initrd = TestCpio.readGzip(Files.readAllBytes(image.initrd()));
        assertThat(TestCpio.find(initrd, "bin/busybox").data()).isEqualTo(TestElf.executable());
        assertThat(TestCpio.find(initrd, "init").text())
                .contains("load_module /lib/modules/" + NEW_KERNEL + "/kernel/drivers/net/virtio_net.ko virtio_net");
        assertThat(TestCpio.find(initrd, "lib/modules/" + NEW_KERNEL + "/kernel/drivers/block/virtio_blk.ko").data())
                .isEqualTo(TestElf.module("virtio_blk", "virtio", "virtio_ring"));
        assertThat(progress).anyMatch(line -> line.startsWith(
                "fetching linux-image-" + NEW_KERNEL + " 6.1.192-2 (") && line.endsWith(") from 127.0.0.1..."));
        assertThat(progress).anyMatch(line -> line.startsWith("fetching busybox-static 1:1.35.0-4+deb12u1+b1"));
        assertThat(cache.resolve("default-image-v1/downloads")).doesNotExist();
        assertThat(Files.readString(cache.resolve("default-image-v1/manifest")))
                .contains("source=linux-image-" + NEW_KERNEL + " 6.1.192-2 (bookworm-security)");

        int requests = archive.requests.get();
        progress.clear();
        DefaultImage again = DefaultImage.ensure(cache, () -> {
            throw new AssertionError("the cached image must not open the archive");
        }, progress::add);
        assertThat(again).isEqualTo(image);
        assertThat(archive.requests.get()).isEqualTo(requests);
        assertThat(progress).isEmpty();
    }

    @Test
    void aDamagedCacheIsRebuilt() throws IOException {
        DefaultImage image = ensure();
        byte[] initrd = Files.readAllBytes(image.initrd());
        initrd[initrd.length / 2] ^= 1;
        Files.write(image.initrd(), initrd);
        progress.clear();

        DefaultImage rebuilt = ensure();
        assertThat(progress.getFirst()).contains("is damaged (initrd-" + NEW_KERNEL
                + ".cpio.gz does not match its recorded SHA-256); rebuilding it");
        assertThat(TestCpio.readGzip(Files.readAllBytes(rebuilt.initrd()))).isNotEmpty();

        Files.delete(rebuilt.kernel());
        progress.clear();
        ensure();
        assertThat(progress.getFirst()).contains("vmlinuz-" + NEW_KERNEL + " is missing");
    }

    @Test
    void aPackageThatDoesNotMatchItsIndexIsRefusedAndNothingIsCached() throws IOException {
        archive.replace("linux-image-" + NEW_KERNEL + "_6.1.192-2_amd64.deb",
                TestDebs.deb(KernelPackageTest.kernelPackageFiles("6.1.0-666-evil"), "xz"));
        assertThatThrownBy(this::ensure)
                .isInstanceOf(VerificationException.class)
                // The size check comes first, but a forged package can happen to have the right size.
                .hasMessageMatching("(?s).*linux-image-" + NEW_KERNEL.replace(".", "\\.")
                        + "(_| )6\\.1\\.192-2.*: (size|SHA256) mismatch.*");
        try (Stream<Path> files = Files.list(cache.resolve("default-image-v1"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(name -> name.startsWith("vmlinuz") || name.startsWith("initrd")
                            || name.equals("manifest") || name.endsWith(".deb"));
        }
    }

    @Test
    void aSameSizedSubstituteIsCaughtByItsSha256() throws IOException {
        byte[] genuine = archive.files.entrySet().stream().filter(e -> e.getKey().endsWith("busybox-static_"
                + "1.35.0-4+deb12u1+b1_amd64.deb")).findFirst().orElseThrow().getValue();
        byte[] forged = genuine.clone();
        forged[forged.length - 1] ^= 0x55;
        archive.replace("busybox-static_1.35.0-4+deb12u1+b1_amd64.deb", forged);
        assertThatThrownBy(this::ensure)
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("busybox-static 1:1.35.0-4+deb12u1+b1: SHA256 mismatch");
    }

    @Test
    void aTamperedIndexOrSignatureIsRefused() throws IOException {
        archive.replace("dists/bookworm/main/binary-amd64/Packages.xz", TestDebs.compress(
                "Package: busybox-static\n".getBytes(), "xz"));
        assertThatThrownBy(this::ensure)
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("main/binary-amd64/Packages.xz of bookworm: size mismatch");

        TestPgp impostor = TestPgp.create();
        archive.replace("dists/bookworm/InRelease", impostor.clearSign("Suite: bookworm\nCodename: bookworm\n"
                + "SHA256:\n"));
        assertThatThrownBy(this::ensure)
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("dists/bookworm/InRelease: no good signature by a key in the test keyring");
    }

    @Test
    void anExpiredSuiteIsRefused() throws IOException {
        archive.publish("bookworm-security", List.of(), true, Instant.now().minus(Duration.ofDays(1)));
        assertThatThrownBy(this::ensure)
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("the Release file of bookworm-security expired on");
    }

    @Test
    void anInterruptedBuildReusesTheVerifiedDownloadsNextTime() throws IOException {
        byte[] busybox = archive.files.entrySet().stream().filter(e -> e.getKey().contains("busybox-static_"))
                .findFirst().orElseThrow().getValue();
        archive.remove("busybox-static_1.35.0-4+deb12u1+b1_amd64.deb");
        assertThatThrownBy(this::ensure).hasMessageContaining("HTTP 404 from " + archive.root()
                + "/debian/pool/main/b/busybox-static/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb");
        assertThat(cache.resolve("default-image-v1/manifest")).doesNotExist();

        archive.files.put("/debian/pool/main/b/busybox-static/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb", busybox);
        progress.clear();
        DefaultImage image = ensure();
        assertThat(progress).contains("using the already downloaded linux-image-" + NEW_KERNEL + " 6.1.192-2");
        assertThat(image.kernelVersion()).isEqualTo(NEW_KERNEL);
    }

    @Test
    void unreachableMirrorsAndMissingSuitesGiveClearErrors() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        DebianMirrors nowhere = new DebianMirrors(URI.create("http://127.0.0.1:" + closedPort + "/debian"),
                URI.create("http://127.0.0.1:" + closedPort + "/debian-security"));
        assertThatThrownBy(() -> DefaultImage.ensure(cache, () -> new DebianArchive(nowhere, archive.key.keyring(),
                Clock.systemUTC()), progress::add))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("cannot reach 127.0.0.1: ");

        DebianMirrors unknownHost = new DebianMirrors(URI.create("http://mirror.nonexistent.invalid/debian"),
                URI.create("http://mirror.nonexistent.invalid/debian-security"));
        assertThatThrownBy(() -> DefaultImage.ensure(cache, () -> new DebianArchive(unknownHost,
                archive.key.keyring(), Clock.systemUTC()), progress::add))
                .hasMessageStartingWith("cannot reach mirror.nonexistent.invalid: cannot resolve the host name");

        archive.remove("dists/bookworm-updates/InRelease");
        assertThatThrownBy(this::ensure)
                .hasMessage("HTTP 404 from " + archive.root() + "/debian/dists/bookworm-updates/InRelease");
    }

    @Test
    void extraFilesGoInASecondArchiveAppendedToTheInitrd() throws IOException {
        DefaultImage image = ensure();
        DefaultImage extended = image.withExtraFiles(new InitramfsBuilder()
                .textFile("/tests/hello.sh", "echo hello\n", 0755), cache.resolve("test/initrd.gz"))
                .withCmdline(image.cmdline() + " jvisor.run=/tests/hello.sh");
        assertThat(extended.kernel()).isEqualTo(image.kernel());
        assertThat(extended.cmdline()).endsWith("quiet jvisor.run=/tests/hello.sh");
        byte[] combined = Files.readAllBytes(extended.initrd());
        byte[] base = Files.readAllBytes(image.initrd());
        assertThat(combined).startsWith(base);
        List<TestCpio.Entry> entries = TestCpio.readGzip(combined);
        assertThat(TestCpio.find(entries, "init").text()).contains("jvisor.run");
        assertThat(TestCpio.find(entries, "tests/hello.sh").text()).isEqualTo("echo hello\n");
        assertThat(entries.getLast().name()).isEqualTo("tests/hello.sh");
    }
}
