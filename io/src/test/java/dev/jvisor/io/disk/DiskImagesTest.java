package dev.jvisor.io.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.disk.qcow2.Qcow2Creator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening images from host files: locks, probing, backing chains, raw images and hole punching. */
class DiskImagesTest {
    @TempDir
    Path dir;

    @Test
    void writableImageIsLockedAgainstEveryOtherUser() throws IOException {
        Path img = dir.resolve("disk.qcow2");
        ImageTool.create(img, DiskFormat.QCOW2, 1 << 20);
        try (DiskImage first = DiskImages.open(img, DiskFormat.QCOW2, false)) {
            assertThat(first.readOnly()).isFalse();
            assertThatThrownBy(() -> DiskImages.open(img, DiskFormat.QCOW2, false)).isInstanceOf(ImageLockedException.class)
                    .hasMessage("image " + img + " is in use by another VM (locked)");
            assertThatThrownBy(() -> DiskImages.open(img, DiskFormat.QCOW2, true)).isInstanceOf(ImageLockedException.class);
            assertThatThrownBy(() -> ImageTool.check(img)).isInstanceOf(ImageLockedException.class);
        }
        try (DiskImage again = DiskImages.open(img, DiskFormat.QCOW2, false)) {
            assertThat(again.size()).isEqualTo(1 << 20);
        }
    }

    @Test
    void readOnlyOpensShareTheLockButExcludeWriters() throws IOException {
        Path base = dir.resolve("base.raw");
        ImageTool.create(base, DiskFormat.RAW, 1 << 20);
        Path o1 = dir.resolve("o1.qcow2");
        Path o2 = dir.resolve("o2.qcow2");
        ImageTool.overlay(o1, base);
        ImageTool.overlay(o2, base);
        try (DiskImage b = DiskImages.open(o2, DiskFormat.QCOW2, false)) {
            try (DiskImage a = DiskImages.open(o1, DiskFormat.QCOW2, false)) {
                // Two VMs on overlays of one base: the base is shared read-only.
                a.write(0, ByteBuffer.wrap(new byte[] {1}));
                b.write(0, ByteBuffer.wrap(new byte[] {2}));
                assertThatThrownBy(() -> DiskImages.open(base, DiskFormat.RAW, false)).isInstanceOf(ImageLockedException.class);
            }
            assertThatThrownBy(() -> DiskImages.open(base, DiskFormat.RAW, false)).as("b still reads it")
                    .isInstanceOf(ImageLockedException.class);
        }
        try (DiskImage w = DiskImages.open(base, DiskFormat.RAW, false)) {
            assertThat(w.readOnly()).isFalse();
        }
    }

    @Test
    void lockIsSeenByAnotherProcess() throws Exception {
        Path img = dir.resolve("disk.raw");
        ImageTool.create(img, DiskFormat.RAW, 1 << 20);
        try (DiskImage held = DiskImages.open(img, DiskFormat.RAW, false)) {
            assertThat(held.readOnly()).isFalse();
            // qemu-img takes byte-range POSIX (OFD) locks, which conflict with our whole-file one.
            if (QemuImg.available()) {
                QemuImg.Result r = QemuImg.run("check", "-f", "raw", img.toString());
                assertThat(r.exit()).as(r.output()).isNotZero();
                assertThat(r.output()).containsIgnoringCase("lock");
            }
        }
    }

    @Test
    void clearErrorsForMissingAndBadFiles() throws IOException {
        assertThatThrownBy(() -> DiskImages.open(dir.resolve("nope.qcow2"), true)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope.qcow2");
        Path junk = dir.resolve("junk.qcow2");
        Files.write(junk, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 9});
        assertThatThrownBy(() -> DiskImages.open(junk, DiskFormat.QCOW2, true)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("72-byte header");
        // The failed open released its lock.
        try (DiskImage raw = DiskImages.open(junk, DiskFormat.RAW, false)) {
            assertThat(raw.size()).isEqualTo(8);
        }
        Path exists = dir.resolve("exists.raw");
        ImageTool.create(exists, DiskFormat.RAW, 512);
        assertThatThrownBy(() -> ImageTool.create(exists, DiskFormat.QCOW2, 512)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> DiskImages.open(dir, DiskFormat.RAW, true)).hasMessageContaining("is a directory");
    }

    @Test
    void backingChainsResolveRelativeNamesAndRefuseLoops() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        byte[] data = new byte[1 << 20];
        new Random(9).nextBytes(data);
        Files.write(sub.resolve("base.raw"), data);
        ImageTool.createQcow2(sub.resolve("mid.qcow2"), new Qcow2Creator.Spec(1 << 20, 3, 16, "base.raw", "raw"));
        ImageTool.createQcow2(dir.resolve("top.qcow2"), new Qcow2Creator.Spec(1 << 20, 3, 16, "sub/mid.qcow2", null));
        try (DiskImage top = DiskImages.open(dir.resolve("top.qcow2"), false)) {
            ByteBuffer all = ByteBuffer.allocate(1 << 20);
            top.read(0, all);
            assertThat(all.array()).isEqualTo(data);
        }
        ImageTool.createQcow2(dir.resolve("loop.qcow2"), new Qcow2Creator.Spec(1 << 20, 3, 16, "loop.qcow2", "qcow2"));
        assertThatThrownBy(() -> DiskImages.open(dir.resolve("loop.qcow2"), true)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("loops back");
        ImageTool.createQcow2(dir.resolve("url.qcow2"), new Qcow2Creator.Spec(1 << 20, 3, 16, "nbd://example/x", null));
        assertThatThrownBy(() -> DiskImages.open(dir.resolve("url.qcow2"), true)).hasMessageContaining("protocol URL");
        ImageTool.createQcow2(dir.resolve("fmt.qcow2"), new Qcow2Creator.Spec(1 << 20, 3, 16, "sub/base.raw", "vmdk"));
        assertThatThrownBy(() -> DiskImages.open(dir.resolve("fmt.qcow2"), true)).hasMessageContaining("unsupported format 'vmdk'");
    }

    @Test
    void rawImagesReadWriteAndPunchHoles() throws IOException {
        Path p = dir.resolve("disk.raw");
        ImageTool.create(p, DiskFormat.RAW, 4 << 20);
        assertThat(Files.size(p)).isEqualTo(4 << 20);
        byte[] data = new byte[1 << 20];
        new Random(4).nextBytes(data);
        try (DiskImage img = DiskImages.open(p, false)) {
            assertThat(img.format()).isEqualTo(DiskFormat.RAW);
            assertThat(img.serial()).startsWith("jv").hasSizeLessThanOrEqualTo(DiskImage.SERIAL_MAX_BYTES);
            img.write(1 << 20, ByteBuffer.wrap(data));
            img.flush();
            long allocated = (Long) Files.getAttribute(p, "unix:size") > 0 ? blocks(p) : 0;
            img.discard(1 << 20, 1 << 20);
            ByteBuffer got = ByteBuffer.allocate(1 << 20);
            img.read(1 << 20, got);
            assertThat(got.array()).containsOnly(0);
            img.flush();
            assertThat(blocks(p)).as("hole punched").isLessThan(allocated);
            img.write(100, ByteBuffer.wrap(data, 0, 1000));
            img.writeZeroes(200, 100, false);
            ByteBuffer head = ByteBuffer.allocate(1000);
            img.read(100, head);
            byte[] want = Arrays.copyOf(data, 1000);
            Arrays.fill(want, 100, 200, (byte) 0);
            assertThat(head.array()).isEqualTo(want);
            assertThatThrownBy(() -> img.write((4 << 20) - 1, ByteBuffer.allocate(2))).isInstanceOf(DiskRangeException.class);
        }
        try (DiskImage ro = DiskImages.open(p, DiskFormat.RAW, true)) {
            assertThat(ro.supportsDiscard()).isFalse();
            assertThatThrownBy(() -> ro.write(0, ByteBuffer.allocate(1))).isInstanceOf(ReadOnlyImageException.class);
        }
        String serial;
        try (DiskImage a = DiskImages.open(p, true)) {
            serial = a.serial();
        }
        try (DiskImage b = DiskImages.open(p, true)) {
            assertThat(b.serial()).as("stable across opens").isEqualTo(serial);
        }
    }

    private static long blocks(Path p) throws IOException {
        Process proc = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
        try {
            String out = new String(proc.getInputStream().readAllBytes()).trim();
            proc.waitFor();
            return Long.parseLong(out);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    @Test
    void infoDescribesImages() throws IOException {
        Path q = dir.resolve("i.qcow2");
        ImageTool.createQcow2(q, new Qcow2Creator.Spec(5 << 20, 2, 12, null, null));
        ImageInfo info = ImageTool.info(q);
        assertThat(info.format()).isEqualTo(DiskFormat.QCOW2);
        assertThat(info.virtualSize()).isEqualTo(5 << 20);
        assertThat(info.clusterSize()).isEqualTo(4096);
        assertThat(info.qcowVersion()).isEqualTo(2);
        assertThat(info.backingFile()).isNull();
        assertThat(ImageTool.check(q).clean()).isTrue();
        assertThatThrownBy(() -> ImageTool.create(dir.resolve("neg"), DiskFormat.RAW, -1)).hasMessageContaining("negative");
        assertThat(DiskFormat.parse("QCOW2")).isEqualTo(DiskFormat.QCOW2);
        assertThatThrownBy(() -> DiskFormat.parse("vdi")).hasMessageContaining("expected raw or qcow2");
    }
}
