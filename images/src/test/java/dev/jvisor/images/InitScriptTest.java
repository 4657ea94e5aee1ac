package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitScriptTest {
    private static final List<KernelPackage.ModuleFile> MODULES = List.of(
            new KernelPackage.ModuleFile("virtio_ring", "kernel/drivers/virtio/virtio_ring.ko", List.of(), new byte[0]),
            new KernelPackage.ModuleFile("virtio", "kernel/drivers/virtio/virtio.ko", List.of("virtio_ring"),
                    new byte[0]),
            new KernelPackage.ModuleFile("virtio_rng", "kernel/drivers/char/hw_random/virtio-rng.ko",
                    List.of("virtio"), new byte[0]));

    @TempDir
    Path temp;

    @Test
    void mountsLoadsModulesInOrderAnnouncesReadinessAndPowersOff() {
        String script = InitScript.generate("6.1.0-56-cloud-amd64", MODULES);
        assertThat(script).startsWith("#!/bin/sh\n");
        List<String> lines = script.lines().toList();
        assertThat(lines).contains(
                "/bin/busybox mount -t proc proc /proc",
                "/bin/busybox mount -t sysfs sysfs /sys",
                "/bin/busybox mount -t devtmpfs devtmpfs /dev",
                "/bin/busybox --install -s",
                "echo \"jvisor-init: ready\"",
                "\tsetsid cttyhack sh -l",
                "poweroff -f");
        int ring = lines.indexOf("load_module /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio_ring.ko"
                + " virtio_ring");
        int virtio = lines.indexOf("load_module /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio.ko"
                + " virtio");
        int rng = lines.indexOf("load_module /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/char/hw_random/"
                + "virtio-rng.ko virtio_rng");
        int ready = lines.indexOf("echo \"jvisor-init: ready\"");
        assertThat(ring).isPositive().isLessThan(virtio);
        assertThat(virtio).isLessThan(rng);
        assertThat(rng).isLessThan(ready);
        assertThat(ready).isLessThan(lines.indexOf("poweroff -f"));
    }

    @Test
    void refusesNamesThatWouldNeedShellQuoting() {
        List<KernelPackage.ModuleFile> evil = List.of(new KernelPackage.ModuleFile("x", "kernel/$(reboot).ko",
                List.of(), new byte[0]));
        assertThatThrownBy(() -> InitScript.generate("6.1", evil)).hasMessageContaining("unsafe");
        assertThatThrownBy(() -> InitScript.generate("6.1; reboot", List.of())).hasMessageContaining("unsafe");
    }

    /** Runs the script under the host's POSIX shell with stub commands, checking what it does. */
    @Test
    void runsUnderAPosixShell() throws IOException, InterruptedException {
        Path sh = Path.of("/bin/sh");
        assumeThat(Files.isExecutable(sh)).as("a POSIX shell on the host").isTrue();
        Path stubs = Files.createDirectories(temp.resolve("stubs"));
        Path log = temp.resolve("log");
        for (String command : List.of("mount", "mkdir", "insmod", "hostname", "setsid", "sync", "poweroff")) {
            Path stub = stubs.resolve(command);
            Files.writeString(stub, "#!/bin/sh\necho \"" + command + " $*\" >> " + log + "\n"
                    + (command.equals("insmod") ? "case \"$1\" in *virtio.ko) exit 1;; esac\n" : ""));
            stub.toFile().setExecutable(true);
        }
        Path cmdline = temp.resolve("cmdline");
        Files.writeString(cmdline, "console=ttyS0 panic=-1 jvisor.run=" + temp.resolve("test.sh") + " quiet\n");
        Files.writeString(temp.resolve("test.sh"), "echo test ran; exit 7\n");
        // Replace the absolute paths the real script uses with the stubs and the fake cmdline.
        String script = InitScript.generate("6.1.0-56-cloud-amd64", MODULES)
                .replace("/bin/busybox --install -s", ":")
                .replace("/bin/busybox ", "")
                .replace("export PATH=/sbin:/bin:/usr/sbin:/usr/bin", "export PATH=" + stubs + ":/usr/bin:/bin")
                .replace("/proc/cmdline", cmdline.toString());
        Path init = temp.resolve("init");
        Files.writeString(init, script);
        Process process = new ProcessBuilder(sh.toString(), init.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(output.lines().toList()).containsExactly(
                "jvisor-init: cannot load module virtio, continuing without it",
                "jvisor-init: ready",
                "test ran",
                "jvisor-init: " + temp.resolve("test.sh") + " exited with status 7");
        List<String> calls = Files.readAllLines(log);
        assertThat(calls).containsSubsequence(
                "mount -t proc proc /proc",
                "insmod /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio_ring.ko",
                "insmod /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio.ko",
                "insmod /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/char/hw_random/virtio-rng.ko",
                "poweroff -f");
        assertThat(calls).noneMatch(call -> call.startsWith("setsid"));
    }
}
