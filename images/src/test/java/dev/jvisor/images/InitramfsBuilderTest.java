package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsBuilderTest {
    @TempDir
    Path temp;

    @Test
    void addsParentsAndWritesDirectoriesBeforeTheirContents() throws IOException {
        InitramfsBuilder builder = new InitramfsBuilder()
                .textFile("/lib/modules/6.1/kernel/a.ko", "a", 0644)
                .symlink("/bin/sh", "busybox")
                .file("/bin/busybox", new byte[] {1, 2}, 0755)
                .directory("/tmp", 01777);
        assertThat(builder.paths()).containsExactly("bin", "bin/busybox", "bin/sh", "lib", "lib/modules",
                "lib/modules/6.1", "lib/modules/6.1/kernel", "lib/modules/6.1/kernel/a.ko", "tmp");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        builder.writeGzip(out);
        List<TestCpio.Entry> entries = TestCpio.readGzip(out.toByteArray());
        assertThat(entries).extracting(TestCpio.Entry::name).isEqualTo(builder.paths());
        assertThat(TestCpio.find(entries, "lib/modules").isDirectory()).isTrue();
        assertThat(TestCpio.find(entries, "lib/modules").mode() & 07777).isEqualTo(0755);
        assertThat(TestCpio.find(entries, "tmp").mode() & 07777).isEqualTo(01777);
        assertThat(TestCpio.find(entries, "bin/busybox").data()).containsExactly(1, 2);
    }

    @Test
    void laterAdditionsReplaceEarlierOnesOfTheSameKind() throws IOException {
        InitramfsBuilder builder = new InitramfsBuilder().textFile("/etc/hostname", "one\n", 0644)
                .textFile("/etc/hostname", "two\n", 0600);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        builder.writeCpio(out);
        TestCpio.Entry hostname = TestCpio.find(TestCpio.read(out.toByteArray()), "etc/hostname");
        assertThat(hostname.text()).isEqualTo("two\n");
        assertThat(hostname.mode() & 07777).isEqualTo(0600);
        assertThat(builder.get("/etc/hostname")).isInstanceOf(InitramfsBuilder.RegularFile.class);
    }

    @Test
    void refusesConflictsAndBadPaths() {
        InitramfsBuilder builder = new InitramfsBuilder().textFile("/etc/passwd", "", 0644);
        assertThatThrownBy(() -> builder.directory("/etc/passwd", 0755))
                .hasMessage("/etc/passwd is already a file, cannot add it as a directory");
        assertThatThrownBy(() -> builder.textFile("/etc/passwd/x", "", 0644))
                .hasMessage("cannot add /etc/passwd/x: /etc/passwd is a file");
        for (String bad : List.of("", "/", "/a/../b", "a//b", "/a/./b", "/dir/", "a\0b")) {
            assertThatThrownBy(() -> builder.textFile(bad, "", 0644)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> builder.symlink("/x", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.characterDevice("/dev/x", 0600, 5000, 1))
                .hasMessageContaining("out of range");
    }

    @Test
    void copiesHostFilesAndMergesBuilders() throws IOException {
        Path host = temp.resolve("script.sh");
        Files.writeString(host, "echo hi\n");
        InitramfsBuilder extras = new InitramfsBuilder().file("/test/script.sh", host, 0755);
        InitramfsBuilder base = new InitramfsBuilder().textFile("/init", "#!/bin/sh\n", 0755).addAll(extras);
        assertThat(base.paths()).containsExactly("init", "test", "test/script.sh");
        Files.writeString(host, "changed\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base.writeCpio(out);
        assertThat(TestCpio.find(TestCpio.read(out.toByteArray()), "test/script.sh").text())
                .as("the content was copied when added").isEqualTo("echo hi\n");
    }

    @Test
    void concatenatedGzipArchivesReadAsOneTreeWithLaterFilesWinning() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new InitramfsBuilder().textFile("/etc/hostname", "jvisor\n", 0644).writeGzip(out);
        new InitramfsBuilder().textFile("/etc/hostname", "other\n", 0644).textFile("/run.sh", "x", 0755)
                .writeGzip(out);
        List<TestCpio.Entry> entries = TestCpio.readGzip(out.toByteArray());
        assertThat(entries).extracting(TestCpio.Entry::name).containsExactly("etc", "etc/hostname", "etc",
                "etc/hostname", "run.sh");
        assertThat(TestCpio.find(entries, "etc/hostname").text()).isEqualTo("other\n");
    }
}
