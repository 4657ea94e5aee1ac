package dev.jvisor.server.manager;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingLogTest {
    @TempDir
    Path dir;

    @Test
    void rotatesBySizeAndKeepsTheNewestFiles() throws Exception {
        Path f = dir.resolve("vm.log");
        try (RotatingLog log = new RotatingLog(f, 1024, 2)) {
            for (int i = 0; i < 5000; i++) {
                log.write('a' + i % 26);
            }
            log.flush();
            assertThat(log.files()).containsExactly(f, dir.resolve("vm.log.1"), dir.resolve("vm.log.2"));
            assertThat(Files.size(dir.resolve("vm.log.1"))).isEqualTo(1024);
            assertThat(Files.size(dir.resolve("vm.log.2"))).isEqualTo(1024);
            assertThat(Files.size(f)).isEqualTo(5000 - 4 * 1024);
            assertThat(Files.exists(dir.resolve("vm.log.3"))).isFalse();
            byte[] tail = log.tail(2000);
            assertThat(tail).hasSize(2000);
            // The tail is the last 2000 bytes written, across the rotation boundary.
            for (int k = 0; k < 2000; k++) {
                assertThat(tail[k]).isEqualTo((byte) ('a' + (3000 + k) % 26));
            }
        }
    }

    @Test
    void consoleHubRecordsAndCopiesToTapsWithoutBlocking() throws Exception {
        try (RotatingLog log = new RotatingLog(dir.resolve("c.log"), 4096, 1)) {
            ConsoleHub hub = new ConsoleHub(log);
            int[] first = {0};
            hub.onFirstByte(() -> first[0]++);
            ConsoleTap tap = hub.attach(4);
            hub.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(first[0]).isEqualTo(1);
            byte[] buf = new byte[16];
            assertThat(tap.read(buf, 100)).isEqualTo(4);
            assertThat(new String(buf, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("hell");
            assertThat(tap.dropped()).isEqualTo(2);
            assertThat(Files.readString(dir.resolve("c.log"))).isEqualTo("hello\n");
            hub.closeTaps();
            assertThat(tap.read(buf, 100)).isEqualTo(-1);
        }
    }
}
