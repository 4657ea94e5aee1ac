package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.disk.CheckResult;
import dev.jvisor.io.disk.ImageTool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a guest flushed survives an abrupt kill of jvisor: the guest writes a file on ext4 over a
 * jvisor qcow2 disk, runs {@code sync} (ext4 commits its journal and the block layer sends
 * virtio-blk FLUSH, which reaches the host file with fsync), reports the file's SHA-256, and keeps
 * writing more; the host then kills the jvisor process with SIGKILL in the middle of those writes.
 * Afterwards the image has at worst leaked clusters ({@code qemu-img check}), the file system
 * recovers from its journal ({@code e2fsck}), and the synced file is intact.
 */
@Tag("slow")
class FlushDurabilityTest {
    private static final String SCRIPT = """
            set -e
            mkdir -p /m
            mount -t ext4 /dev/vda /m
            dd if=/dev/urandom of=/m/synced.bin bs=64k count=24 2> /dev/null
            mkdir /m/dir
            echo "flushed before the kill" > /m/dir/note.txt
            sync
            echo "SYNCED $(sha256sum /m/synced.bin | cut -d ' ' -f 1)"
            i=0
            while true; do
            \tdd if=/dev/urandom of=/m/unsynced-$i.bin bs=64k count=4 2> /dev/null
            \ti=$((i + 1))
            \tif [ $i -eq 4 ]; then echo "WRITING"; fi
            done
            """;

    @TempDir
    Path dir;

    @Test
    void syncedDataSurvivesSigkillOfJvisorAndTheImageStaysConsistent() throws Exception {
        HostTools.require("mkfs.ext4", "debugfs", "e2fsck", "qemu-img");
        Path disk = HostTools.toJvisorQcow2(HostTools.ext4Raw(dir.resolve("fs.raw"), 48), dir.resolve("disk.qcow2"));
        VmConfig config = ScriptedLinux.config(dir, SCRIPT, Map.of());

        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Xss16m", "-cp", System.getProperty("java.class.path"),
                GuestProcess.class.getName(), config.kernel().toString(), config.initrd().orElseThrow().toString(),
                config.cmdline(), "--drive", "file=" + disk + ",format=qcow2"));
        Process jvisor = new ProcessBuilder(command).redirectErrorStream(true).start();
        String syncedSha;
        StringBuilder console = new StringBuilder();
        try {
            CompletableFuture<String> synced = new CompletableFuture<>();
            CompletableFuture<Void> writing = new CompletableFuture<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                Pattern sha = Pattern.compile("^SYNCED ([0-9a-f]{64})");
                try (BufferedReader in = new BufferedReader(new InputStreamReader(jvisor.getInputStream(), StandardCharsets.ISO_8859_1))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (console) {
                            console.append(line).append('\n');
                        }
                        Matcher m = sha.matcher(line);
                        if (m.find()) {
                            synced.complete(m.group(1));
                        }
                        if (line.startsWith("WRITING")) {
                            writing.complete(null);
                        }
                    }
                } catch (java.io.IOException e) {
                    // the process was killed
                }
                synced.completeExceptionally(new AssertionError("the guest never reported SYNCED; console:\n" + console));
                writing.completeExceptionally(new AssertionError("the guest never reported WRITING; console:\n" + console));
            });
            syncedSha = synced.get(300, TimeUnit.SECONDS);
            writing.get(120, TimeUnit.SECONDS);
            jvisor.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, no flush
            assertThat(jvisor.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);
        } finally {
            jvisor.destroyForcibly();
        }
        assertThat(jvisor.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);

        // The image: leaked clusters at worst (qemu-img check: 0 clean, 3 leaks only, 2 corruption).
        CheckResult ours = ImageTool.check(disk);
        assertThat(ours.corruptions()).as("jvisor's check: %s", ours.problems()).isZero();
        HostTools.Result theirs = HostTools.run("qemu-img", "check", disk.toString());
        assertThat(theirs.status()).as("qemu-img check:\n%s", theirs.output()).isIn(0, 3);

        // The file system: replay the journal as the next mount would, then it must be clean.
        Path flat = dir.resolve("after-kill.raw");
        HostTools.ok("qemu-img", "convert", "-O", "raw", disk.toString(), flat.toString());
        HostTools.Result recovery = HostTools.run("e2fsck", "-fy", flat.toString());
        assertThat(recovery.status()).as("e2fsck -fy:\n%s", recovery.output()).isIn(0, 1);
        System.out.println("after SIGKILL: qemu-img check said:\n" + theirs.output() + "e2fsck -fy said:\n" + recovery.output());
        assertThat(HostTools.run("e2fsck", "-fn", flat.toString()).status()).isZero();
        assertThat(HostTools.sha256(HostTools.ext4File(flat, "/synced.bin", dir))).isEqualTo(syncedSha);
        assertThat(new String(HostTools.ext4File(flat, "/dir/note.txt", dir), StandardCharsets.US_ASCII))
                .isEqualTo("flushed before the kill\n");
        assertThat(Files.size(disk)).isPositive();
    }
}
