package dev.jvisor.io.net.slirp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the struct offsets {@link SlirpBinding} hard-codes against {@code <slirp/libslirp.h>}, by
 * compiling a tiny C program with {@code offsetof}. Needs gcc and Debian's libslirp-dev (headers
 * only); skipped where they are absent, since the binding itself needs only libslirp0.
 */
class SlirpLayoutTest {
    @TempDir
    Path dir;

    @Test
    void offsetsMatchTheHeader() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/slirp/libslirp.h")), "libslirp-dev headers not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc not installed");
        Path c = dir.resolve("layout.c");
        Files.writeString(c, """
                #include <stdio.h>
                #include <stddef.h>
                #include <slirp/libslirp.h>
                #define O(f) printf("%zu ", offsetof(SlirpConfig, f))
                int main(void) {
                    O(version); O(restricted); O(in_enabled); O(vnetwork); O(vnetmask); O(vhost); O(in6_enabled);
                    O(vhostname); O(vdhcp_start); O(vnameserver); O(if_mtu); O(if_mru); O(disable_host_loopback);
                    O(enable_emu); O(disable_dns); O(disable_dhcp);
                    printf("%zu %zu %zu %zu %zu\\n", sizeof(SlirpConfig), sizeof(SlirpCb), offsetof(SlirpCb, notify),
                           offsetof(SlirpCb, init_completed), offsetof(SlirpCb, timer_new_opaque));
                    return 0;
                }
                """);
        Path exe = dir.resolve("layout");
        Process cc = new ProcessBuilder("gcc", "-I/usr/include/slirp", c.toString(), "-o", exe.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes());
        assertThat(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0).as(ccOut).isTrue();
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes()).trim();
        run.waitFor(10, TimeUnit.SECONDS);
        assertThat(out).isEqualTo("0 4 8 12 16 20 24 64 96 100 136 144 152 153 176 177 184 88 64 72 80");
    }
}
