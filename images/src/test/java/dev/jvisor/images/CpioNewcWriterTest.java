package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class CpioNewcWriterTest {

    @Test
    void writesTheExactNewcByteLayout() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CpioNewcWriter cpio = new CpioNewcWriter(out, 0x5f5e100);
        cpio.file("init", 0755, "hi\n".getBytes(StandardCharsets.US_ASCII));
        cpio.finish();
        String expected = ""
                // magic, ino=1, mode=0100755, uid, gid, nlink=1, mtime, filesize=3,
                // devmajor, devminor, rdevmajor, rdevminor, namesize=5 ("init\0"), check
                + "070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "05f5e100"
                + "00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000"
                // 110 + 5 = 115: one NUL pads the name to 116
                + "init\0" + "\0"
                // 3 data bytes pad to 120
                + "hi\n" + "\0"
                + "070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "05f5e100"
                + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "0000000b" + "00000000"
                // 110 + 11 = 121: three NULs pad to 124
                + "TRAILER!!!\0" + "\0\0\0";
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        assertThat(cpio.offset()).isEqualTo(expected.length()).isEqualTo(120 + 124);
    }

    @Test
    void everyEntryTypeRoundTripsThroughAStrictReader() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CpioNewcWriter cpio = new CpioNewcWriter(out, 0);
        cpio.directory("dev", 0755);
        cpio.characterDevice("dev/console", 0600, 5, 1);
        cpio.symlink("sh", "busybox");
        byte[] big = new byte[70_001];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        cpio.file("busybox", 0755, big.length, new ByteArrayInputStream(big));
        cpio.file("empty", 0644, new byte[0]);
        cpio.finish();
        cpio.finish();

        List<TestCpio.Entry> entries = TestCpio.read(out.toByteArray());
        assertThat(entries).extracting(TestCpio.Entry::name).containsExactly("dev", "dev/console", "sh", "busybox",
                "empty");
        assertThat(entries).extracting(TestCpio.Entry::inode).doesNotHaveDuplicates();
        assertThat(entries.get(0).isDirectory()).isTrue();
        assertThat(entries.get(0).nlink()).isEqualTo(2);
        assertThat(entries.get(1).isCharDevice()).isTrue();
        assertThat(entries.get(1).rdevMajor()).isEqualTo(5);
        assertThat(entries.get(1).rdevMinor()).isEqualTo(1);
        assertThat(entries.get(1).mode() & 07777).isEqualTo(0600);
        assertThat(entries.get(2).isSymlink()).isTrue();
        assertThat(entries.get(2).text()).isEqualTo("busybox");
        assertThat(entries.get(3).data()).isEqualTo(big);
        assertThat(entries.get(3).mode() & 07777).isEqualTo(0755);
        assertThat(entries.get(4).data()).isEmpty();
        assertThat(out.size() % 4).isZero();
    }

    @Test
    void refusesEntriesItCannotRepresent() throws IOException {
        CpioNewcWriter cpio = new CpioNewcWriter(new ByteArrayOutputStream(), 0);
        assertThatThrownBy(() -> cpio.file("TRAILER!!!", 0644, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cpio.file("a\0b", 0644, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cpio.file("x".repeat(4096), 0644, new byte[0]))
                .hasMessageContaining("longer than 4095");
        assertThatThrownBy(() -> cpio.file("short", 0644, 10, new ByteArrayInputStream(new byte[4])))
                .hasMessageContaining("expected 10 bytes, got 4");
        assertThatThrownBy(() -> cpio.file("long", 0644, 2, new ByteArrayInputStream(new byte[4])))
                .hasMessageContaining("more data than its declared size");
        CpioNewcWriter finished = new CpioNewcWriter(new ByteArrayOutputStream(), 0);
        finished.finish();
        assertThatThrownBy(() -> finished.directory("late", 0755)).isInstanceOf(IllegalStateException.class);
    }
}
