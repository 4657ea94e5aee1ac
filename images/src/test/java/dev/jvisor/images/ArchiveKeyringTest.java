package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.junit.jupiter.api.Test;

class ArchiveKeyringTest {

    /** bookworm-security's InRelease as served on 2026-11-20, signed by two Debian archive keys. */
    static byte[] realInRelease() throws IOException {
        try (InputStream in = ArchiveKeyringTest.class.getResourceAsStream("bookworm-security.InRelease")) {
            return in.readAllBytes();
        }
    }

    @Test
    void theBundledKeyringHoldsTheCurrentDebianArchiveKeys() throws ImageException {
        ArchiveKeyring bundled = ArchiveKeyring.bundled();
        assertThat(bundled.size()).isGreaterThanOrEqualTo(9);
        assertThat(bundled.source()).contains("bundled");
    }

    @Test
    void debianPrefersTheSystemKeyringWhenPresent() throws ImageException {
        ArchiveKeyring keyring = ArchiveKeyring.debian();
        if (Files.isReadable(ArchiveKeyring.SYSTEM_KEYRING)) {
            assertThat(keyring.source()).isEqualTo(ArchiveKeyring.SYSTEM_KEYRING.toString());
        } else {
            assertThat(keyring.source()).contains("bundled");
        }
    }

    @Test
    void verifiesARealInReleaseFileWithTheBundledKeys() throws Exception {
        ClearSignedMessage message = ClearSignedMessage.parse(realInRelease(), "InRelease");
        assertThat(message.hashHeaders()).containsExactly("SHA256");
        assertThat(ArchiveKeyring.bundled().verify(message, "InRelease"))
                .as("fingerprints of the keys that signed")
                .isNotEmpty()
                .allSatisfy(fingerprint -> assertThat(fingerprint).matches("[0-9A-F]{40}"));
        ReleaseIndex release = ReleaseIndex.parse(message.text(), "InRelease");
        assertThat(release.codename()).isEqualTo("bookworm-security");
        assertThat(release.file("main/binary-amd64/Packages.xz")).isPresent();
    }

    @Test
    void aTamperedInReleaseFileFails() throws Exception {
        String original = new String(realInRelease(), StandardCharsets.UTF_8);
        String tampered = original.replace(
                "d3a45860a3f001b55d20eb371c8ed4095115c4bf77666c2847bb3c9d0bb46986   376904 main/binary-amd64/Packages.xz",
                "0000000000000000000000000000000000000000000000000000000000000000   376904 main/binary-amd64/Packages.xz");
        assertThat(tampered).isNotEqualTo(original);
        ClearSignedMessage message = ClearSignedMessage.parse(tampered.getBytes(StandardCharsets.UTF_8), "InRelease");
        assertThatThrownBy(() -> ArchiveKeyring.bundled().verify(message, "InRelease"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("BAD signature by trusted key");
    }

    @Test
    void unsignedTextAroundTheSignedMessageIsRefused() throws Exception {
        String original = new String(realInRelease(), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ClearSignedMessage.parse(("Codename: trixie\n" + original)
                .getBytes(StandardCharsets.UTF_8), "InRelease"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("not an OpenPGP clear-signed file");
        assertThatThrownBy(() -> ClearSignedMessage.parse((original + "Codename: trixie\n")
                .getBytes(StandardCharsets.UTF_8), "InRelease"))
                .hasMessageContaining("unsigned data follows the signature");
        String cut = original.substring(0, original.indexOf("-----BEGIN PGP SIGNATURE-----"));
        assertThatThrownBy(() -> ClearSignedMessage.parse(cut.getBytes(StandardCharsets.UTF_8), "InRelease"))
                .hasMessageContaining("signature block is missing");
        String injected = original.replace("Acquire-By-Hash: yes\n",
                "Acquire-By-Hash: yes\n-----BEGIN PGP SIGNED MESSAGE-----\n");
        assertThatThrownBy(() -> ClearSignedMessage.parse(injected.getBytes(StandardCharsets.UTF_8), "InRelease"))
                .hasMessageContaining("unexpected line");
    }

    @Test
    void signaturesByUnknownKeysDoNotCount() throws Exception {
        ClearSignedMessage message = ClearSignedMessage.parse(realInRelease(), "InRelease");
        ArchiveKeyring stranger = TestPgp.create().keyring();
        assertThatThrownBy(() -> stranger.verify(message, "InRelease"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("no good signature by a key in the test keyring")
                .hasMessageContaining("not in the test keyring");
    }

    @Test
    void verifiesOwnSignaturesWithDashEscapingAndTrailingWhitespace() throws Exception {
        TestPgp key = TestPgp.create();
        String text = "Origin: Test\nSuite: test   \n-----BEGIN PGP SIGNATURE-----\n- leading dash\n\tTabbed:\t\n";
        byte[] signed = key.clearSign(text);
        ClearSignedMessage message = ClearSignedMessage.parse(signed, "test");
        assertThat(key.keyring().verify(message, "test")).hasSize(1);
        assertThat(message.text()).isEqualTo(
                "Origin: Test\nSuite: test\n-----BEGIN PGP SIGNATURE-----\n- leading dash\n\tTabbed:\n");

        byte[] altered = new String(signed, StandardCharsets.UTF_8).replace("Origin: Test", "Origin: Tesu")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> key.keyring().verify(ClearSignedMessage.parse(altered, "test"), "test"))
                .hasMessageContaining("BAD signature");
    }

    @Test
    void weakHashesAndExpiredKeysDoNotCount() throws Exception {
        TestPgp key = TestPgp.create();
        ClearSignedMessage sha1 = ClearSignedMessage.parse(key.clearSign("A: b\n", HashAlgorithmTags.SHA1), "test");
        assertThatThrownBy(() -> key.keyring().verify(sha1, "test"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("weak hash algorithm");

        TestPgp expired = TestPgp.expired();
        ClearSignedMessage late = ClearSignedMessage.parse(expired.clearSign("A: b\n"), "test");
        assertThatThrownBy(() -> expired.keyring().verify(late, "test"))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("key expired on");
    }

    @Test
    void malformedKeyringsAndSignatureBlocksAreReported() throws Exception {
        assertThatThrownBy(() -> ArchiveKeyring.parse(new byte[] {1, 2, 3}, "junk"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("keyring junk");
        String garbled = new String(TestPgp.create().clearSign("A: b\n"), StandardCharsets.UTF_8)
                .replaceAll("(?m)^([A-Za-z0-9+/]{20})[A-Za-z0-9+/]", "$1!");
        assertThatThrownBy(() -> TestPgp.create().keyring().verify(
                ClearSignedMessage.parse(garbled.getBytes(StandardCharsets.UTF_8), "test"), "test"))
                .isInstanceOf(VerificationException.class);
    }
}
