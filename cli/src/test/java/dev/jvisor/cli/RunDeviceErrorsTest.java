package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskImages;
import dev.jvisor.io.disk.ImageTool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad {@code --drive} and {@code --net} input to {@code jvisor run} ends with exactly one line naming
 * the problem and exit status 1, before the guest runs.
 */
class RunDeviceErrorsTest {
    @TempDir
    Path dir;
    private Path kernel;

    @BeforeEach
    void kernel() throws Exception {
        kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernelImage.multiboot());
    }

    private String failsWithOneLine(String... deviceArgs) {
        String[] args = new String[5 + deviceArgs.length];
        args[0] = "run";
        args[1] = "--accel";
        args[2] = "emu";
        args[3] = "--kernel";
        args[4] = kernel.toString();
        System.arraycopy(deviceArgs, 0, args, 5, deviceArgs.length);
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int status = cl.execute(args);
        String text = err.toString();
        assertThat(status).as("exit status; stderr: %s", text).isEqualTo(1);
        assertThat(text.strip().lines()).as("stderr: %s", text).hasSize(1);
        assertThat(text).startsWith("jvisor: ").doesNotContain("Exception");
        return text.strip();
    }

    private Path image(String name, DiskFormat format) throws Exception {
        Path p = dir.resolve(name);
        ImageTool.create(p, format, 1 << 20);
        return p;
    }

    @Test
    void unknownDriveOptionsAndBadRates() {
        assertThat(failsWithOneLine("--drive", "file=x.raw,cache=none")).contains("unknown option 'cache'");
        assertThat(failsWithOneLine("--drive", "format=raw")).contains("needs file=PATH");
        assertThat(failsWithOneLine("--drive", "file=x.raw,format=vdi")).contains("unknown disk image format 'vdi'");
        assertThat(failsWithOneLine("--drive", "file=x.raw,rate=fast")).contains("bad rate term 'fast'");
    }

    @Test
    void missingAmbiguousCorruptAndLockedImages() throws Exception {
        Path missing = dir.resolve("missing.raw");
        assertThat(failsWithOneLine("--drive", "file=" + missing + ",format=raw")).isEqualTo("jvisor: drive " + missing + " does not exist");
        Path img = image("disk.img", DiskFormat.RAW);
        assertThat(failsWithOneLine("--drive", "file=" + img)).contains("needs format=raw or format=qcow2");

        Path corrupt = dir.resolve("corrupt.qcow2");
        byte[] header = new byte[1024];
        header[0] = 'Q';
        header[1] = 'F';
        header[2] = 'I';
        header[3] = (byte) 0xfb;
        header[7] = 3;
        header[23] = 40; // cluster_bits 40: out of range
        Files.write(corrupt, header);
        assertThat(failsWithOneLine("--drive", "file=" + corrupt + ",format=qcow2"))
                .startsWith("jvisor: drive " + corrupt + " is not a usable qcow2 image: ");

        Path busy = image("busy.qcow2", DiskFormat.QCOW2);
        try (DiskImage other = DiskImages.open(busy, DiskFormat.QCOW2, false)) {
            assertThat(other.readOnly()).isFalse();
            assertThat(failsWithOneLine("--drive", "file=" + busy)).contains("is in use by another VM (locked)");
        }
    }

    @Test
    void badNetworkInterfaces() {
        assertThat(failsWithOneLine("--net", "bogus")).contains("unknown option 'bogus'");
        assertThat(failsWithOneLine("--net", "user,switch=lan")).contains("exactly one of user, switch=NAME or tap");
        assertThat(failsWithOneLine("--net", "user,hostfwd=tcp:1-2")).contains("bad hostfwd 'tcp:1-2'");
        assertThat(failsWithOneLine("--net", "switch=lan,mac=52:54:00:zz:00:01")).contains("bad MAC address");
        assertThat(failsWithOneLine("--net", "switch=bad/name")).contains("bad switch name 'bad/name'");
    }
}
