package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input to {@code jvisor run} gives one clear line and a non-zero status, never a stack trace. */
class RunCommandErrorsTest {
    @TempDir
    Path dir;

    private record Outcome(int status, String err) {
    }

    private static Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int status = cl.execute(args);
        return new Outcome(status, err.toString());
    }

    private static void assertClean(Outcome o, String expected) {
        assertThat(o.status()).isNotZero();
        assertThat(o.err()).contains(expected).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void missingKernelFile() {
        assertClean(run("run", "--accel", "emu", "--kernel", dir.resolve("nope").toString()),
                "kernel file " + dir.resolve("nope") + " does not exist");
    }

    @Test
    void fileThatIsNotAKernel() throws Exception {
        Path junk = dir.resolve("junk.bin");
        Files.write(junk, new byte[4096]);
        assertClean(run("run", "--accel", "emu", "--kernel", junk.toString()), "not a Linux bzImage");
    }

    @Test
    void memoryThatIsNotASize() {
        assertClean(run("run", "--accel", "emu", "--mem", "lots", "--kernel", "x"), "not a size: 'lots'");
    }

    @Test
    void memoryTooSmall() throws Exception {
        Path kernel = dir.resolve("k");
        Files.write(kernel, new byte[16]);
        assertClean(run("run", "--accel", "emu", "--mem", "1M", "--kernel", kernel.toString()), "--mem");
    }

    @Test
    void zeroCpus() throws Exception {
        Path kernel = dir.resolve("k");
        Files.write(kernel, new byte[16]);
        assertClean(run("run", "--accel", "emu", "--cpus", "0", "--kernel", kernel.toString()),
                "--cpus must be between 1 and");
    }

    @Test
    void unknownAccelerator() {
        assertClean(run("run", "--accel", "hyperv", "--kernel", "x"), "--accel must be kvm, emu or auto");
    }

    @Test
    void initrdTooLargeForRam() throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernelImage.multiboot());
        Path initrd = dir.resolve("big.img");
        try (var ch = java.nio.channels.FileChannel.open(initrd, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), 64L << 20); // sparse 64 MiB
        }
        assertClean(run("run", "--accel", "emu", "--mem", "32M", "--kernel", kernel.toString(), "--initrd",
                initrd.toString()), "does not fit");
    }

    @Test
    void sizesParse() {
        assertThat(Sizes.parse("256M")).isEqualTo(256L << 20);
        assertThat(Sizes.parse("1G")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("512MiB")).isEqualTo(512L << 20);
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("2k")).isEqualTo(2048);
    }
}
