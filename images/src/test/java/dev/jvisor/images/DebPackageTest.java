package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DebPackageTest {
    @TempDir
    Path temp;

    private static Map<String, byte[]> files() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("./", new byte[0]);
        files.put("./bin/", new byte[0]);
        files.put("./bin/busybox", "ELF-ish bytes".getBytes(StandardCharsets.US_ASCII));
        files.put("./bin/sh -> busybox", new byte[0]);
        // Longer than tar's 100-byte name field: needs a GNU long-name entry.
        files.put("./lib/modules/6.1.0-56-cloud-amd64/kernel/net/vmw_vsock/a_module_name_long_enough_to_need_gnu"
                + "_longlink_records.ko", new byte[] {1, 2, 3});
        return files;
    }

    @ParameterizedTest
    @ValueSource(strings = {"xz", "gz", ""})
    void roundTripsTheDataArchive(String compression) throws IOException {
        Path deb = temp.resolve("test.deb");
        Files.write(deb, TestDebs.deb(files(), compression));
        List<DebPackage.DataEntry> entries = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        DebPackage.readData(deb, (entry, content) -> {
            entries.add(entry);
            contents.add(new String(content.readAllBytes(), StandardCharsets.ISO_8859_1));
        });
        assertThat(entries).extracting(DebPackage.DataEntry::path).containsExactly("bin", "bin/busybox", "bin/sh",
                "lib/modules/6.1.0-56-cloud-amd64/kernel/net/vmw_vsock/"
                        + "a_module_name_long_enough_to_need_gnu_longlink_records.ko");
        assertThat(entries).extracting(DebPackage.DataEntry::kind).containsExactly(DebPackage.Kind.DIRECTORY,
                DebPackage.Kind.FILE, DebPackage.Kind.SYMLINK, DebPackage.Kind.FILE);
        assertThat(entries.get(1).size()).isEqualTo(13);
        assertThat(entries.get(1).mode()).isEqualTo(0644);
        assertThat(entries.get(2).linkTarget()).isEqualTo("busybox");
        assertThat(contents.get(1)).isEqualTo("ELF-ish bytes");
        assertThat(contents.get(3)).isEqualTo("\1\2\3");
    }

    @Test
    void readFileFindsTheFirstMatchingPath() throws IOException {
        Path deb = temp.resolve("busybox.deb");
        Files.write(deb, TestDebs.deb(files(), "xz"));
        assertThat(DebPackage.readFile(deb, List.of("usr/bin/busybox", "bin/busybox"), 100))
                .asString(StandardCharsets.US_ASCII).isEqualTo("ELF-ish bytes");
        assertThatThrownBy(() -> DebPackage.readFile(deb, List.of("bin/busybox"), 5))
                .hasMessageContaining("larger than 5 bytes");
        assertThatThrownBy(() -> DebPackage.readFile(deb, List.of("sbin/init"), 100))
                .hasMessage("busybox.deb contains none of sbin/init");
    }

    @Test
    void rejectsFilesThatAreNotDebianPackages() throws IOException {
        Path text = temp.resolve("text.deb");
        Files.writeString(text, "hello, not an ar archive");
        assertThatThrownBy(() -> DebPackage.readData(text, (e, c) -> { }))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("text.deb");

        Path wrongFirst = temp.resolve("wrong.deb");
        Files.write(wrongFirst, TestDebs.ar(Map.of("control.tar.gz", new byte[10])));
        assertThatThrownBy(() -> DebPackage.readData(wrongFirst, (e, c) -> { }))
                .hasMessageContaining("first ar member is 'control.tar.gz', not debian-binary");

        Map<String, byte[]> noData = new LinkedHashMap<>();
        noData.put("debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
        noData.put("control.tar.gz", TestDebs.compress(TestDebs.tar(Map.of()), "gz"));
        Path missing = temp.resolve("nodata.deb");
        Files.write(missing, TestDebs.ar(noData));
        assertThatThrownBy(() -> DebPackage.readData(missing, (e, c) -> { }))
                .hasMessage("nodata.deb has no data.tar member");

        Map<String, byte[]> zstd = new LinkedHashMap<>(noData);
        zstd.put("data.tar.zst", new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        Path zst = temp.resolve("zst.deb");
        Files.write(zst, TestDebs.ar(zstd));
        assertThatThrownBy(() -> DebPackage.readData(zst, (e, c) -> { }))
                .hasMessageContaining("zstd compression");

        Map<String, byte[]> future = new LinkedHashMap<>();
        future.put("debian-binary", "3.0\n".getBytes(StandardCharsets.US_ASCII));
        Path v3 = temp.resolve("v3.deb");
        Files.write(v3, TestDebs.ar(future));
        assertThatThrownBy(() -> DebPackage.readData(v3, (e, c) -> { }))
                .hasMessageContaining("unsupported package format '3.0'");
    }

    @Test
    void aTruncatedDataArchiveIsAnError() throws IOException {
        byte[] whole = TestDebs.deb(files(), "xz");
        Path truncated = temp.resolve("truncated.deb");
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 40));
        assertThatThrownBy(() -> DebPackage.readData(truncated, (e, c) -> c.readAllBytes()))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("truncated.deb");
    }

    @Test
    void refusesPathsThatLeaveThePackageRoot() {
        assertThatThrownBy(() -> DebPackage.normalise(Path.of("evil.deb"), "./usr/../../etc/shadow"))
                .hasMessageContaining("leaving the package root");
    }
}
