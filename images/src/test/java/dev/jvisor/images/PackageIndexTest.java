package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PackageIndexTest {
    private static final URI MAIN = URI.create("http://deb.debian.org/debian");
    private static final URI SECURITY = URI.create("http://deb.debian.org/debian-security");
    private static final String SHA = "e7d02b943971edcb8790e256c02cfab3bca6c3d37c1bf25392a57c71300615ee";

    /** Excerpts shaped like bookworm's real indexes (November 2026). */
    private static final String BOOKWORM = """
            Package: busybox-static
            Source: busybox (1:1.35.0-4+deb12u1)
            Version: 1:1.35.0-4+deb12u1+b1
            Architecture: amd64
            Filename: pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb
            Size: 928188
            SHA256: %1$s

            Package: linux-image-6.1.0-50-cloud-amd64
            Version: 6.1.176-1
            Architecture: amd64
            Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
            Filename: pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb
            Size: 26484304
            SHA256: %1$s

            Package: linux-image-cloud-amd64
            Version: 6.1.176-1
            Architecture: amd64
            Depends: linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1)
            Filename: pool/main/l/linux-signed-amd64/linux-image-cloud-amd64_6.1.176-1_amd64.deb
            Size: 1500
            SHA256: %1$s
            """.formatted(SHA);
    private static final String SECURITY_INDEX = """
            Package: linux-image-6.12-cloud-amd64
            Version: 6.12.117-1~deb12u1
            Architecture: amd64
            Depends: linux-image-6.12.117+deb12-cloud-amd64 (= 6.12.117-1~deb12u1)
            Filename: pool/updates/main/l/linux-signed-6.12-amd64/linux-image-6.12-cloud-amd64_6.12.117-1~deb12u1_amd64.deb
            Size: 1512
            SHA256: %1$s

            Package: linux-image-6.1.0-55-cloud-amd64
            Version: 6.1.192-1
            Architecture: amd64
            Filename: pool/updates/main/l/linux-signed-amd64/linux-image-6.1.0-55-cloud-amd64_6.1.192-1_amd64.deb
            Size: 26714844
            SHA256: %1$s

            Package: linux-image-6.1.0-56-cloud-amd64
            Version: 6.1.192-2
            Architecture: amd64
            Filename: pool/updates/main/l/linux-signed-amd64/linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb
            Size: 26713492
            SHA256: %1$s

            Package: linux-image-cloud-amd64
            Version: 6.1.192-2
            Architecture: amd64
            Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
            Filename: pool/updates/main/l/linux-signed-amd64/linux-image-cloud-amd64_6.1.192-2_amd64.deb
            Size: 1504
            SHA256: %1$s
            """.formatted(SHA);

    private static PackageIndex index() throws ImageException {
        PackageIndex index = new PackageIndex();
        load(index, BOOKWORM, "bookworm", MAIN);
        load(index, "", "bookworm-updates", MAIN);
        load(index, SECURITY_INDEX, "bookworm-security", SECURITY);
        return index;
    }

    private static void load(PackageIndex index, String text, String suite, URI mirror) throws ImageException {
        List<Map<String, String>> paragraphs = new ArrayList<>();
        ControlParagraphs.read(new StringReader(text), suite, paragraphs::add);
        for (Map<String, String> paragraph : paragraphs) {
            index.add(PackageEntry.fromParagraph(paragraph, suite, mirror));
        }
        index.noteSuite(suite);
    }

    @Test
    void resolvesTheCloudMetapackageToTheNewestKernelAcrossSuites() throws ImageException {
        PackageEntry kernel = index().resolveThroughMetapackage("linux-image-cloud-amd64", "linux-image-");
        assertThat(kernel.name()).isEqualTo("linux-image-6.1.0-56-cloud-amd64");
        assertThat(kernel.version()).hasToString("6.1.192-2");
        assertThat(kernel.suite()).isEqualTo("bookworm-security");
        assertThat(kernel.size()).isEqualTo(26713492);
        assertThat(kernel.downloadUri()).hasToString("http://deb.debian.org/debian-security/pool/updates/main/l/"
                + "linux-signed-amd64/linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb");
    }

    @Test
    void resolvesAPlainPackage() throws ImageException {
        PackageEntry busybox = index().resolve("busybox-static");
        assertThat(busybox.version()).hasToString("1:1.35.0-4+deb12u1+b1");
        assertThat(busybox.suite()).isEqualTo("bookworm");
        assertThat(busybox.depends()).isEmpty();
        assertThat(busybox.sha256Bytes()).hasSize(32);
    }

    @Test
    void explainsWhatIsMissing() throws ImageException {
        PackageIndex index = index();
        assertThatThrownBy(() -> index.resolve("busybox"))
                .isInstanceOf(ImageException.class)
                .hasMessage("package busybox is in none of bookworm, bookworm-updates, bookworm-security");

        PackageIndex broken = new PackageIndex();
        load(broken, """
                Package: linux-image-cloud-amd64
                Version: 6.1.200-1
                Architecture: amd64
                Depends: linux-image-6.1.0-60-cloud-amd64 (= 6.1.200-1)
                Filename: pool/main/l/x.deb
                Size: 10
                SHA256: %s
                """.formatted(SHA), "bookworm", MAIN);
        assertThatThrownBy(() -> broken.resolveThroughMetapackage("linux-image-cloud-amd64", "linux-image-"))
                .hasMessageContaining("linux-image-cloud-amd64 6.1.200-1 (from bookworm) depends on "
                        + "linux-image-6.1.0-60-cloud-amd64 (= 6.1.200-1), which is in none of bookworm");
    }

    @Test
    void rejectsEntriesWithMissingOrUnsafeFields() {
        Map<String, String> noSize = Map.of("package", "x", "version", "1", "architecture", "amd64",
                "filename", "pool/x.deb", "sha256", SHA);
        assertThatThrownBy(() -> PackageEntry.fromParagraph(noSize, "bookworm", MAIN))
                .hasMessage("package x in the Packages index of bookworm has no size field");
        Map<String, String> unsafe = Map.of("package", "x", "version", "1", "architecture", "amd64",
                "filename", "pool/../../etc/passwd", "size", "1", "sha256", SHA);
        assertThatThrownBy(() -> PackageEntry.fromParagraph(unsafe, "bookworm", MAIN))
                .hasMessageContaining("unsafe Filename");
        Map<String, String> badHash = Map.of("package", "x", "version", "1", "architecture", "amd64",
                "filename", "pool/x.deb", "size", "1", "sha256", "abc");
        assertThatThrownBy(() -> PackageEntry.fromParagraph(badHash, "bookworm", MAIN))
                .hasMessageContaining("malformed SHA256");
    }
}
