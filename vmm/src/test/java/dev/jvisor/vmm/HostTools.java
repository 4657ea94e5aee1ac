package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskImages;
import dev.jvisor.io.disk.ImageTool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's disk tools the real-guest storage tests check jvisor against: e2fsprogs
 * ({@code mkfs.ext4}, {@code debugfs}, {@code e2fsck}) and Debian's {@code qemu-img}.
 */
final class HostTools {
    /** The outcome of one command. */
    record Result(int status, String output) {
    }

    private HostTools() {
    }

    /** Skips the test unless every tool is installed (CI installs e2fsprogs and qemu-utils). */
    static void require(String... tools) {
        for (String tool : tools) {
            boolean found = false;
            for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            assumeTrue(found, tool + " is not installed (Debian packages e2fsprogs and qemu-utils)");
        }
    }

    /** Runs a command; output is stdout and stderr together. */
    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed (exit status 0). */
    static String ok(String... command) throws IOException, InterruptedException {
        Result r = run(command);
        assertThat(r.status()).as("%s failed:\n%s", String.join(" ", command), r.output()).isZero();
        return r.output();
    }

    /** A new raw image of {@code mib} MiB with an ext4 file system whose tables are fully initialised. */
    static Path ext4Raw(Path file, int mib) throws IOException, InterruptedException {
        ImageTool.create(file, DiskFormat.RAW, (long) mib << 20);
        // No lazy inode-table or journal initialisation: otherwise the guest's kernel would zero them
        // in the background, slowly on the emulator and racing the tests' writes.
        ok("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", file.toString());
        return file;
    }

    /** Copies a raw image into a new jvisor-made qcow2 image, writing only the clusters that hold data. */
    static Path toJvisorQcow2(Path raw, Path qcow2) throws IOException {
        long size = Files.size(raw);
        ImageTool.create(qcow2, DiskFormat.QCOW2, size);
        try (FileChannel in = FileChannel.open(raw); DiskImage out = DiskImages.open(qcow2, DiskFormat.QCOW2, false)) {
            ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
            for (long off = 0; off < size; off += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), size - off));
                while (chunk.hasRemaining() && in.read(chunk, off + chunk.position()) > 0) {
                    // read the whole chunk
                }
                chunk.flip();
                if (!allZero(chunk)) {
                    out.write(off, chunk);
                }
            }
            out.flush();
        }
        return qcow2;
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Copies {@code path} out of the ext4 image {@code raw} (debugfs {@code dump}) and returns its bytes. */
    static byte[] ext4File(Path raw, String path, Path scratch) throws IOException, InterruptedException {
        Path out = scratch.resolve("dump-" + System.nanoTime());
        ok("debugfs", "-R", "dump " + path + " " + out, raw.toString());
        assertThat(out).as("debugfs found %s in %s", path, raw).exists();
        return Files.readAllBytes(out);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path file) throws IOException {
        return sha256(Files.readAllBytes(file));
    }
}
