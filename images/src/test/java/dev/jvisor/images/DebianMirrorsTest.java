package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DebianMirrorsTest {

    @Test
    void defaultsToDebDebianOrg() {
        DebianMirrors mirrors = DebianMirrors.fromEnvironment(Map.of());
        assertThat(mirrors).isEqualTo(DebianMirrors.DEFAULT);
        assertThat(mirrors.rootFor("bookworm")).hasToString("http://deb.debian.org/debian");
        assertThat(mirrors.rootFor("bookworm-updates")).hasToString("http://deb.debian.org/debian");
        assertThat(mirrors.rootFor("bookworm-security")).hasToString("http://deb.debian.org/debian-security");
    }

    @Test
    void theEnvironmentOverridesTheMirrors() {
        DebianMirrors mainOnly = DebianMirrors.fromEnvironment(Map.of("JVISOR_DEBIAN_MIRROR",
                "http://ftp.de.debian.org/debian/"));
        assertThat(mainOnly.main()).hasToString("http://ftp.de.debian.org/debian");
        assertThat(mainOnly.security()).hasToString("http://ftp.de.debian.org/debian-security");

        DebianMirrors both = DebianMirrors.fromEnvironment(Map.of("JVISOR_DEBIAN_MIRROR", "http://m/debian",
                "JVISOR_DEBIAN_SECURITY_MIRROR", "https://s/sec"));
        assertThat(both.security()).hasToString("https://s/sec");
        assertThat(both.rootFor("bookworm-security")).isEqualTo(URI.create("https://s/sec"));
    }

    @Test
    void rejectsNonHttpMirrors() {
        assertThatThrownBy(() -> DebianMirrors.fromEnvironment(Map.of("JVISOR_DEBIAN_MIRROR", "ftp://x/debian")))
                .hasMessageContaining("is not an http(s) URL");
        assertThatThrownBy(() -> DebianMirrors.fromEnvironment(Map.of("JVISOR_DEBIAN_MIRROR", "not a url")))
                .hasMessageContaining("JVISOR_DEBIAN_MIRROR");
    }

    @Test
    void theCacheDirectoryFollowsXdg() {
        assertThat(DefaultImage.userCacheDirectory(Map.of("XDG_CACHE_HOME", "/var/cache/me"), "/home/me"))
                .isEqualTo(Path.of("/var/cache/me/jvisor"));
        assertThat(DefaultImage.userCacheDirectory(Map.of("XDG_CACHE_HOME", "relative"), "/home/me"))
                .isEqualTo(Path.of("/home/me/.cache/jvisor"));
        assertThat(DefaultImage.userCacheDirectory(Map.of(), "/home/me")).isEqualTo(Path.of("/home/me/.cache/jvisor"));
    }
}
