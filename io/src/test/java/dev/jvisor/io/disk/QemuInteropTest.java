package dev.jvisor.io.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.io.disk.qcow2.Qcow2Creator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Interoperability with Debian's qemu-img and qemu-io, both directions. */
class QemuInteropTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void needQemuImg() {
        assumeTrue(QemuImg.available(), QemuImg.MISSING);
    }

    /** A raw file with random data in some 48 KiB stretches and zeros elsewhere (so qemu-img leaves holes). */
    private byte[] pattern(long seed) {
        byte[] data = new byte[SIZE];
        Random rnd = new Random(seed);
        for (int i = 0; i < 60; i++) {
            int off = rnd.nextInt(SIZE - 49152);
            byte[] chunk = new byte[rnd.nextInt(49152) + 1];
            rnd.nextBytes(chunk);
            System.arraycopy(chunk, 0, data, off, chunk.length);
        }
        // Compressible stretches too, so "convert -c" really compresses some clusters.
        Arrays.fill(data, 1 << 20, (1 << 20) + 200_000, (byte) 0x5a);
        return data;
    }

    private Path raw(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] readAll(Path image, boolean readOnly) throws IOException {
        try (DiskImage img = DiskImages.open(image, readOnly)) {
            ByteBuffer all = ByteBuffer.allocate((int) img.size());
            img.read(0, all);
            return all.array();
        }
    }

    @ParameterizedTest(name = "compat={0} cluster_size={1} compressed={2}")
    @CsvSource({"0.10, 65536, false", "1.1, 65536, false", "1.1, 4096, false", "0.10, 512, false", "1.1, 65536, true",
            "0.10, 4096, true", "1.1, 2097152, false"})
    void readsImagesMadeByQemuImg(String compat, int clusterSize, boolean compress) throws Exception {
        byte[] data = pattern(clusterSize + (compress ? 1 : 0));
        Path src = raw("src.raw", data);
        Path q = dir.resolve("q.qcow2");
        if (compress) {
            QemuImg.ok("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compat=" + compat + ",cluster_size=" + clusterSize,
                    src.toString(), q.toString());
        } else {
            QemuImg.ok("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=" + compat + ",cluster_size=" + clusterSize,
                    src.toString(), q.toString());
        }
        ImageInfo info = ImageTool.info(q);
        assertThat(info.format()).isEqualTo(DiskFormat.QCOW2);
        assertThat(info.qcowVersion()).isEqualTo(compat.equals("0.10") ? 2 : 3);
        assertThat(info.clusterSize()).isEqualTo(clusterSize);
        assertThat(readAll(q, true)).isEqualTo(data);
        CheckResult check = ImageTool.check(q);
        assertThat(check.clean()).as(check.problems().toString()).isTrue();
        if (compress) {
            assertThat(check.compressedClusters()).isPositive();
        }
    }

    @Test
    void readsQemuOverlayOnQcow2BaseAndWritesIntoIt() throws Exception {
        byte[] data = pattern(11);
        Path src = raw("src.raw", data);
        Path base = dir.resolve("base.qcow2");
        QemuImg.ok("convert", "-f", "raw", "-O", "qcow2", src.toString(), base.toString());
        Path overlay = dir.resolve("overlay.qcow2");
        // Relative backing name: must resolve against the overlay's directory, not our working directory.
        QemuImg.ok("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay.toString());
        String io = "/usr/bin/qemu-io";
        assumeTrue(Files.isExecutable(Path.of(io)), "qemu-io not installed");
        Process p = new ProcessBuilder(io, "-f", "qcow2", "-c", "write -P 0xab 100000 70000", overlay.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        byte[] model = data.clone();
        Arrays.fill(model, 100_000, 170_000, (byte) 0xab);
        assertThat(readAll(overlay, true)).isEqualTo(model);

        // Now jvisor writes into the overlay (copy-on-write from the qcow2 base) and qemu reads it back.
        try (DiskImage img = DiskImages.open(overlay, DiskFormat.QCOW2, false)) {
            byte[] patch = new byte[5000];
            new Random(5).nextBytes(patch);
            img.write(3_000_000, ByteBuffer.wrap(patch));
            System.arraycopy(patch, 0, model, 3_000_000, patch.length);
            img.flush();
        }
        QemuImg.ok("check", overlay.toString());
        Path flat = dir.resolve("flat.raw");
        QemuImg.ok("convert", "-O", "raw", overlay.toString(), flat.toString());
        assertThat(Files.readAllBytes(flat)).isEqualTo(model);
        assertThat(readAll(base, true)).as("the base is untouched").isEqualTo(data);
    }

    @ParameterizedTest(name = "version={0} cluster_bits={1}")
    @CsvSource({"3, 16", "2, 16", "3, 9", "3, 12"})
    void imagesWrittenByJvisorPassQemuCheckAndConvertBack(int version, int clusterBits) throws Exception {
        Path q = dir.resolve("j.qcow2");
        ImageTool.createQcow2(q, new Qcow2Creator.Spec(SIZE, version, clusterBits, null, null));
        byte[] model = new byte[SIZE];
        Random rnd = new Random(version * 31 + clusterBits);
        try (DiskImage img = DiskImages.open(q, DiskFormat.QCOW2, false)) {
            for (int i = 0; i < 150; i++) {
                int off = rnd.nextInt(SIZE);
                int len = Math.min(SIZE - off, 1 + rnd.nextInt(120_000));
                switch (rnd.nextInt(6)) {
                    case 0 -> {
                        img.discard(off, len);
                        // Discarded clusters read as zeros here (no backing file); partial ones keep data.
                        for (long c = (off + (1L << clusterBits) - 1) >> clusterBits; ((c + 1) << clusterBits) <= off + len
                                || (c << clusterBits) < off + len && off + len == SIZE; c++) {
                            int from = (int) (c << clusterBits);
                            Arrays.fill(model, from, (int) Math.min(SIZE, from + (1L << clusterBits)), (byte) 0);
                        }
                    }
                    case 1 -> {
                        img.writeZeroes(off, len, rnd.nextBoolean());
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    default -> {
                        byte[] data = new byte[len];
                        rnd.nextBytes(data);
                        img.write(off, ByteBuffer.wrap(data));
                        System.arraycopy(data, 0, model, off, len);
                    }
                }
                if (i % 40 == 0) {
                    img.flush();
                }
            }
        }
        QemuImg.Result check = QemuImg.run("check", q.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("No errors were found");
        Path flat = dir.resolve("flat.raw");
        QemuImg.ok("convert", "-O", "raw", q.toString(), flat.toString());
        assertThat(Files.readAllBytes(flat)).isEqualTo(model);
        assertThat(ImageTool.check(q).clean()).isTrue();
    }

    @Test
    void overlayMadeByJvisorIsReadByQemu() throws Exception {
        byte[] data = pattern(21);
        Path base = raw("base.raw", data);
        Path overlay = dir.resolve("over.qcow2");
        ImageTool.overlay(overlay, base);
        ImageInfo info = ImageTool.info(overlay);
        assertThat(info.backingFile()).isEqualTo(base.toString());
        assertThat(info.backingFormat()).isEqualTo("raw");
        assertThat(info.virtualSize()).isEqualTo(SIZE);
        byte[] model = data.clone();
        try (DiskImage img = DiskImages.open(overlay, DiskFormat.QCOW2, false)) {
            byte[] patch = new byte[100_000];
            new Random(2).nextBytes(patch);
            img.write(12345, ByteBuffer.wrap(patch));
            System.arraycopy(patch, 0, model, 12345, patch.length);
        }
        String qinfo = QemuImg.ok("info", overlay.toString());
        assertThat(qinfo).contains("backing file: " + base).contains("backing file format: raw");
        QemuImg.ok("check", overlay.toString());
        Path flat = dir.resolve("flat.raw");
        QemuImg.ok("convert", "-O", "raw", overlay.toString(), flat.toString());
        assertThat(Files.readAllBytes(flat)).isEqualTo(model);
        assertThat(Files.readAllBytes(base)).isEqualTo(data);
    }

    @Test
    void createdImagesMatchQemuInfo() throws Exception {
        Path q = dir.resolve("new.qcow2");
        Path r = dir.resolve("new.raw");
        ImageTool.create(q, DiskFormat.QCOW2, 10L << 30);
        ImageTool.create(r, DiskFormat.RAW, 1L << 30);
        assertThat(QemuImg.ok("info", q.toString())).contains("virtual size: 10 GiB").contains("compat: 1.1");
        assertThat(QemuImg.ok("check", q.toString())).contains("No errors were found");
        assertThat(QemuImg.ok("info", r.toString())).contains("file format: raw").contains("virtual size: 1 GiB");
        assertThat(Files.size(q)).isLessThan(1 << 20);
    }

    @Test
    void checkAgreesWithQemuOnLeaks() throws Exception {
        Path q = dir.resolve("leaky.qcow2");
        ImageTool.create(q, DiskFormat.QCOW2, SIZE);
        try (DiskImage img = DiskImages.open(q, DiskFormat.QCOW2, false)) {
            img.write(0, ByteBuffer.wrap(new byte[200_000]).put(0, (byte) 1));
        }
        // Drop the L1 entry by hand: the L2 table and 4 data clusters stay counted but unused.
        try (var ch = java.nio.channels.FileChannel.open(q, java.nio.file.StandardOpenOption.WRITE)) {
            long l1 = ImageTool.info(q).clusterSize() * 3L; // the creator's layout: header, table, block, L1
            ch.write(ByteBuffer.allocate(8), l1);
        }
        CheckResult ours = ImageTool.check(q);
        QemuImg.Result theirs = QemuImg.run("check", q.toString());
        assertThat(ours.corruptions()).isZero();
        assertThat(ours.leaks()).isEqualTo(5);
        assertThat(theirs.output()).contains("5 leaked clusters were found");
    }
}
