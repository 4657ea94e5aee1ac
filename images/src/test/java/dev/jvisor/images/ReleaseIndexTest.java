package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class ReleaseIndexTest {
    static final String RELEASE = """
            Origin: Debian
            Label: Debian-Security
            Suite: oldstable-security
            Version: 12
            Codename: bookworm-security
            Date: Fri, 20 Nov 2026 00:12:41 UTC
            Valid-Until: Fri, 27 Nov 2026 00:12:41 UTC
            Acquire-By-Hash: yes
            Architectures: amd64 arm64 armhf i386 ppc64el
            Components: updates/main updates/contrib updates/non-free-firmware updates/non-free
            SHA256:
             fadf41b0ef642d1c750f880f5844753ef5ab8d529ac4c190060d5f8bea63a801  2515915 main/binary-amd64/Packages
             d3a45860a3f001b55d20eb371c8ed4095115c4bf77666c2847bb3c9d0bb46986   376904 main/binary-amd64/Packages.xz
            """;

    @Test
    void parsesNamesDatesAndIndexFiles() throws ImageException {
        ReleaseIndex release = ReleaseIndex.parse(RELEASE, "InRelease");
        assertThat(release.origin()).isEqualTo("Debian");
        assertThat(release.suite()).isEqualTo("oldstable-security");
        assertThat(release.codename()).isEqualTo("bookworm-security");
        assertThat(release.date()).contains(Instant.parse("2026-11-20T00:12:41Z"));
        assertThat(release.validUntil()).contains(Instant.parse("2026-11-27T00:12:41Z"));
        assertThat(release.acquireByHash()).isTrue();
        assertThat(release.files()).hasSize(2);
        assertThat(release.file("main/binary-amd64/Packages.xz")).hasValueSatisfying(file -> {
            assertThat(file.size()).isEqualTo(376904);
            assertThat(file.sha256()).isEqualTo("d3a45860a3f001b55d20eb371c8ed4095115c4bf77666c2847bb3c9d0bb46986");
        });
        assertThat(release.file("main/binary-i386/Packages.xz")).isEmpty();
    }

    @Test
    void acceptsTheRequestedSuiteByCodenameOrSuiteNameWhileValid() throws ImageException {
        ReleaseIndex release = ReleaseIndex.parse(RELEASE, "InRelease");
        Instant before = Instant.parse("2026-11-26T00:00:00Z");
        release.checkFreshFor("bookworm-security", before);
        release.checkFreshFor("oldstable-security", before);
    }

    @Test
    void refusesAnExpiredOrSubstitutedReleaseFile() throws ImageException {
        ReleaseIndex release = ReleaseIndex.parse(RELEASE, "InRelease");
        assertThatThrownBy(() -> release.checkFreshFor("bookworm-security", Instant.parse("2026-11-28T00:00:00Z")))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("expired on 2026-11-27T00:12:41Z (Valid-Until)");
        assertThatThrownBy(() -> release.checkFreshFor("bookworm", Instant.parse("2026-11-26T00:00:00Z")))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("refusing a file for another suite");
    }

    @Test
    void rejectsMalformedReleaseFiles() {
        assertThatThrownBy(() -> ReleaseIndex.parse("Origin: Debian\n", "InRelease"))
                .hasMessageContaining("no SHA256 field");
        assertThatThrownBy(() -> ReleaseIndex.parse("SHA256:\n abc 12 main/x\n", "InRelease"))
                .hasMessageContaining("malformed SHA256 line");
        assertThatThrownBy(() -> ReleaseIndex.parse("Date: yesterday\nSHA256:\n", "InRelease"))
                .hasMessageContaining("cannot parse Date 'yesterday'");
        assertThatThrownBy(() -> ReleaseIndex.parse("A: 1\n\nB: 2\n", "InRelease"))
                .hasMessageContaining("expected one Release paragraph, found 2");
    }
}
