package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.server.Daemon;
import dev.jvisor.server.guest.TinyKernels;
import dev.jvisor.server.manager.HostBudget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The client commands against a daemon in this process: output, and one clean error line on failure. */
class ServiceCommandsTest {
    @TempDir
    Path dir;
    private Daemon daemon;
    private String socket;

    @BeforeEach
    void start() throws Exception {
        daemon = Daemon.start(Daemon.Config.defaults(dir.resolve("state")).withBudget(new HostBudget(256L << 20, 8)).withWorkers(1));
        socket = daemon.socket().toString();
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private record Outcome(int status, String out, String err) {
    }

    private static synchronized Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int status = cl.execute(args);
            return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void manageAVmFromTheCommandLine() throws Exception {
        Path kernel = dir.resolve("k.elf");
        Files.write(kernel, TinyKernels.kernel("hi from the guest\n", TinyKernels.Ending.IDLE));
        Path disk = dir.resolve("d.raw");
        dev.jvisor.io.disk.ImageTool.create(disk, dev.jvisor.io.disk.DiskFormat.RAW, 1 << 20);
        Outcome c = run("vm", "create", "web", "--socket", socket, "--mem", "32M", "--kernel", kernel.toString(), "--accel", "emu",
                "--drive", "file=" + disk + ",format=raw", "--net", "switch=lan0", "--cpu-cap", "50%", "--cpu-weight", "200",
                "--cpuset", "0");
        assertThat(c.status()).as(c.err()).isZero();
        assertThat(c.out()).contains("created web");
        assertThat(run("vm", "start", "web", "--socket", socket).out()).contains("web: running");
        Outcome list = run("vm", "list", "--socket", socket);
        assertThat(list.out()).contains("NAME").contains("STATE").contains("CPU%").contains("UPTIME")
                .containsPattern("web\\s+running\\s+1\\s+32 MiB");
        assertThat(run("vm", "pause", "web", "--socket", socket).out()).contains("web: paused");
        assertThat(run("vm", "resume", "web", "--socket", socket).out()).contains("web: running");
        Outcome limits = run("vm", "limits", "web", "--socket", socket, "--cpu-cap", "25%", "--io", "drive0:10M/s:1M");
        assertThat(limits.out()).contains("cap 25%").contains("cpuset 0,").contains("10M/s");
        assertThat(run("vm", "limits", "web", "--socket", socket, "--cpuset", "all").out()).contains("cpuset all");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!run("vm", "logs", "web", "--socket", socket).out().contains("hi from the guest") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(run("vm", "logs", "web", "--socket", socket).out()).contains("hi from the guest");
        Outcome stats = run("vm", "stats", "web", "--socket", socket);
        assertThat(stats.out()).contains("web: running on emu").contains("drive0:").contains("net0:").contains("emulated instructions");
        assertThat(run("net", "list", "--socket", socket).out()).containsPattern("lan0\\s+1\\s+web");
        Outcome host = run("host", "info", "--socket", socket);
        assertThat(host.out()).contains("memory:     32 MiB allocated of 256 MiB").contains("vCPUs:      1 allocated of 8")
                .contains(", online " + dev.jvisor.server.sched.CpuSet.online() + " (")
                .contains("KVM weights: as vCPU thread nice values");
        assertThat(run("vm", "reboot", "web", "--socket", socket).out()).contains("web: running");
        assertThat(run("vm", "stop", "web", "--socket", socket).out()).contains("web: stopped");
        assertThat(run("vm", "delete", "web", "--socket", socket).out()).contains("deleted web");
        assertThat(run("vm", "list", "--socket", socket).out()).doesNotContain("web");
    }

    private static void assertClean(Outcome o, String expected) {
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.err().strip().lines()).as("stderr: [" + o.err() + "] stdout: [" + o.out() + "]").hasSize(1);
        assertThat(o.err()).startsWith("jvisor: ").contains(expected).doesNotContain("Exception");
    }

    @Test
    void errorsAreOneLineAndNonZero() throws Exception {
        assertClean(run("vm", "start", "ghost", "--socket", socket), "no VM named 'ghost'");
        assertClean(run("vm", "create", "x", "--socket", socket, "--kernel", dir.resolve("missing").toString()), "does not exist");
        assertClean(run("vm", "create", "x", "--socket", socket, "--kernel", "k", "--mem", "1500K"), "whole number of MiB");
        assertClean(run("vm", "create", "x", "--socket", socket, "--kernel", "k", "--drive", "file=a,bogus=1"), "unknown option 'bogus'");
        assertClean(run("vm", "create", "x", "--socket", socket, "--kernel", "k", "--cpu-cap", "lots"), "--cpu-cap");
        assertClean(run("vm", "list", "--socket", dir.resolve("nobody.sock").toString()), "cannot reach the jvisor daemon");
        assertClean(run("vm", "limits", "x", "--socket", socket, "--io", "drive0"), "--io must be KEY:RATE");
        Path kernel = dir.resolve("k2.elf");
        Files.write(kernel, TinyKernels.kernel("", TinyKernels.Ending.IDLE));
        assertClean(run("vm", "create", "y", "--socket", socket, "--kernel", kernel.toString(), "--cpuset", "5-2"),
                "cpuset: CPU list '5-2': range 5-2 runs backwards");
        assertThat(run("vm", "create", "big", "--socket", socket, "--mem", "200M", "--kernel", kernel.toString(), "--accel", "emu").status()).isZero();
        assertThat(run("vm", "create", "big2", "--socket", socket, "--mem", "100M", "--kernel", kernel.toString(), "--accel", "emu").status()).isZero();
        assertThat(run("vm", "start", "big", "--socket", socket).status()).isZero();
        assertClean(run("vm", "start", "big2", "--socket", socket), "short by 44 MiB");
        assertClean(run("vm", "delete", "big", "--socket", socket), "stop it first");
        assertThat(run("vm", "delete", "big", "-f", "--socket", socket).status()).isZero();
    }

    @Test
    void daemonOptionsAreChecked() {
        assertClean(run("daemon", "--state-dir", dir.resolve("s2").toString(), "--listen", "127.0.0.1:0"), "--token-file");
        assertClean(run("daemon", "--state-dir", dir.resolve("s2").toString(), "--workers", "0"), "--workers");
        assertClean(run("daemon", "--state-dir", dir.resolve("state").toString(), "--socket", dir.resolve("x.sock").toString()),
                "another jvisor daemon");
        assertClean(run("bench", "lifecycle", "--seconds", "0"), "--seconds");
    }

    @Test
    void consoleShowsGuestOutputUntilTheVmStops() throws Exception {
        Path kernel = dir.resolve("c.elf");
        Files.write(kernel, TinyKernels.kernel("console works\n", TinyKernels.Ending.IDLE));
        assertThat(run("vm", "create", "c", "--socket", socket, "--mem", "16M", "--kernel", kernel.toString(),
                "--accel", "emu").status()).isZero();
        java.io.InputStream savedIn = System.in;
        System.setIn(new java.io.ByteArrayInputStream("ls\n".getBytes(StandardCharsets.US_ASCII)));
        try {
            assertThat(run("vm", "start", "c", "--socket", socket).status()).isZero();
            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(500);
                    dev.jvisor.server.client.ApiClient.unix(Path.of(socket)).send("POST", "/v1/vms/c/reboot", null);
                    Thread.sleep(500);
                    dev.jvisor.server.client.ApiClient.unix(Path.of(socket)).send("POST", "/v1/vms/c/stop", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            PrintStream savedErr = System.err;
            ByteArrayOutputStream notes = new ByteArrayOutputStream();
            System.setErr(new PrintStream(notes, true, StandardCharsets.UTF_8));
            Outcome o;
            try {
                o = run("vm", "console", "c", "--socket", socket);
            } finally {
                System.setErr(savedErr);
            }
            stopper.join();
            assertThat(o.status()).isZero();
            assertThat(o.out()).contains("console works");
            assertThat(notes.toString(StandardCharsets.UTF_8)).contains("attached to c").contains("detached from c");
            assertClean(run("vm", "console", "c", "--socket", socket), "is not running");
        } finally {
            System.setIn(savedIn);
        }
    }
}
