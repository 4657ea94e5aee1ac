package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jvisor image create|overlay|info|check}: output, exit statuses and error lines. */
class ImageCommandTest {
    @TempDir
    Path dir;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome image(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "image";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Outcome(cl.execute(all), out.toString(), err.toString());
    }

    @Test
    void createInfoAndCheckAQcow2Image() throws Exception {
        Path p = dir.resolve("disk.qcow2");
        Outcome created = image("create", p.toString(), "64M");
        assertThat(created.status()).isZero();
        assertThat(created.out()).isEqualTo("created " + p + ": qcow2, virtual size 64 MiB (67108864 bytes)\n");
        Outcome info = image("info", p.toString());
        assertThat(info.status()).isZero();
        assertThat(info.out()).contains("format:       qcow2 (version 3)", "virtual size: 64 MiB (67108864 bytes)",
                "cluster size: 65536").doesNotContain("backing file");
        Outcome check = image("check", p.toString());
        assertThat(check.status()).isZero();
        assertThat(check.out()).contains("no errors were found on " + p);
        qemuImgAccepts(p);
    }

    @Test
    void rawImagesAreSparseFilesOfTheGivenSize() throws Exception {
        Path p = dir.resolve("disk.bin");
        assertThat(image("create", "--format", "raw", p.toString(), "3G").status()).isZero();
        assertThat(Files.size(p)).isEqualTo(3L << 30);
        assertThat(image("info", p.toString()).out()).contains("format:       raw", "virtual size: 3 GiB (3221225472 bytes)");
    }

    @Test
    void overlayRecordsItsBaseRelativeToItself() throws Exception {
        Path base = dir.resolve("base.raw");
        assertThat(image("create", base.toString(), "16M").status()).isZero();
        Path overlay = dir.resolve("sub").resolve("top.qcow2");
        Files.createDirectories(overlay.getParent());
        Outcome o = image("overlay", overlay.toString(), base.toString());
        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.out()).contains("qcow2 overlay over " + base, "(raw)", "16 MiB");
        assertThat(image("info", overlay.toString()).out()).contains("backing file: " + base + " (format raw)");
        qemuImgAccepts(overlay);
    }

    @Test
    void errorsAreOneLineWithStatusOne() throws Exception {
        Path p = dir.resolve("disk.qcow2");
        image("create", p.toString(), "1M");
        Outcome again = image("create", p.toString(), "1M");
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("jvisor: " + p + " already exists (jvisor never overwrites an image)\n");
        Outcome unnamed = image("create", dir.resolve("disk").toString(), "1M");
        assertThat(unnamed.err()).contains("say --format raw or --format qcow2");
        assertThat(image("create", "-f", "vmdk", dir.resolve("x").toString(), "1M").err()).contains("unknown disk image format 'vmdk'");
        Path missing = dir.resolve("missing.qcow2");
        assertThat(image("info", missing.toString()).err()).isEqualTo("jvisor: " + missing + " does not exist\n");
        assertThat(image("check", missing.toString()).status()).isEqualTo(1);
        assertThat(image("overlay", dir.resolve("o.qcow2").toString(), missing.toString()).err())
                .isEqualTo("jvisor: " + missing + " does not exist\n");
    }

    @Test
    void checkExitsWithThreeForLeaksAndTwoForCorruption() throws Exception {
        Path leaky = dir.resolve("leaky.qcow2");
        image("create", leaky.toString(), "16M");
        long block = refcountBlock(leaky);
        long leakedCluster;
        try (RandomAccessFile f = new RandomAccessFile(leaky.toFile(), "rw")) {
            leakedCluster = f.length() / 65536;
            f.setLength((leakedCluster + 1) * 65536); // a cluster nobody uses...
            f.seek(block + 2 * leakedCluster);
            f.writeShort(1); // ...counted as used (16-bit big-endian refcounts, qcow2.txt "Host cluster management")
        }
        Outcome leaks = image("check", leaky.toString());
        assertThat(leaks.status()).as(leaks.out()).isEqualTo(3);
        assertThat(leaks.out()).contains("0 corruption(s) and 1 leaked cluster(s)");

        Path broken = dir.resolve("broken.qcow2");
        image("create", broken.toString(), "16M");
        try (RandomAccessFile f = new RandomAccessFile(broken.toFile(), "rw")) {
            f.seek(refcountBlock(broken));
            f.write(new byte[65536]); // every cluster, header included, now counted as free
        }
        Outcome corrupt = image("check", broken.toString());
        assertThat(corrupt.status()).as(corrupt.out()).isEqualTo(2);
        assertThat(corrupt.out()).containsPattern("[1-9]\\d* corruption\\(s\\)");
    }

    /** The first refcount block's offset: refcount_table_offset is at byte 48 of the header (qcow2.txt). */
    private static long refcountBlock(Path qcow2) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(qcow2.toFile(), "r")) {
            f.seek(48);
            long table = f.readLong();
            f.seek(table);
            return f.readLong();
        }
    }

    /** Debian's qemu-img agrees the image is valid (when it is installed; CI installs qemu-utils). */
    private static void qemuImgAccepts(Path image) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/qemu-img"))) {
            return;
        }
        Process p = new ProcessBuilder("qemu-img", "check", image.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
