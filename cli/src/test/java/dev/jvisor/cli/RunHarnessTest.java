package dev.jvisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jvisor run} with the kernel-development options: a Multiboot test kernel writes its module
 * count to the debug-exit port, so the exit status shows the modules arrived; traces land in a
 * file; the GDB stub answers on its port; bad values end with one line and status 1.
 */
class RunHarnessTest {
    @TempDir
    Path dir;
    private Path kernel;

    /** A Multiboot kernel that writes mods_count (multiboot_info + 20) to port 0xF4, then halts. */
    @BeforeEach
    void kernel() throws Exception {
        long load = 0x10_0000;
        Asm a = new Asm(32, load);
        a.dd(0x1BADB002).dd(0).dd(-0x1BADB002);
        a.mov(Reg.EAX, Mem.at(Reg.EBX, 20)).mov(Reg.EDX, 0xf4).out(Reg.DX, Reg.EAX).cli().hlt();
        byte[] code = a.assemble();
        ByteBuffer b = ByteBuffer.allocate(0x1000 + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 1, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 3).putInt(1).putInt((int) load + 12).putInt(52).putInt(0).putInt(0);
        b.putShort((short) 52).putShort((short) 32).putShort((short) 1).putShort((short) 40).putInt(0);
        b.putInt(1).putInt(0x1000).putInt((int) load).putInt((int) load).putInt(code.length).putInt(code.length)
                .putInt(7).putInt(0x1000);
        b.position(0x1000);
        b.put(code);
        kernel = dir.resolve("kernel.elf");
        Files.write(kernel, b.array());
    }

    private record Outcome(int status, String err) {
    }

    private static Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Outcome(cl.execute(args), err.toString());
    }

    private String[] args(String... extra) {
        String[] base = {"run", "--accel", "emu", "--mem", "32M", "--kernel", kernel.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void modulesReachTheKernelAndDebugExitSetsTheStatus() throws Exception {
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        Files.write(a, new byte[]{1});
        Files.write(b, new byte[]{2});
        assertThat(run(args("--device", "debug-exit")).status()).as("no modules: (0 << 1) | 1").isEqualTo(1);
        assertThat(run(args("--device", "debug-exit", "--initrd", a.toString(), "--module", b.toString(),
                "--module", a + ",second copy")).status()).as("3 modules: (3 << 1) | 1").isEqualTo(7);
        assertThat(run(args("--device", "debug-exit,iobase=0xf0,iosize=8", "--module", b.toString())).status())
                .isEqualTo(3);
    }

    @Test
    void traceGoesToTheTraceFile() throws Exception {
        Path trace = dir.resolve("trace.txt");
        Path map = dir.resolve("System.map");
        Files.writeString(map, "0010000c T _start\n");
        Outcome o = run(args("--device", "debug-exit", "--trace", "insn,io", "--trace-file", trace.toString(),
                "--symbols", map.toString()));
        assertThat(o.status()).as(o.err()).isEqualTo(1);
        assertThat(Files.readAllLines(trace)).contains("cpu0 io   out port 0xf4 size 4 value 0x0")
                .anyMatch(l -> l.startsWith("cpu0 insn 0x000000000010000c <_start>: mov    0x14(%ebx),%eax"));
    }

    @Test
    void gdbStubAnswersAndTheGuestRunsToItsExit() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() ->
                run(args("--device", "debug-exit", "--gdb", "tcp:127.0.0.1:" + port, "--gdb-wait")).status());
        Socket s = null;
        for (int i = 0; i < 200 && s == null; i++) {
            try {
                s = new Socket("127.0.0.1", port);
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        assertThat(s).as("the stub listens on %d", port).isNotNull();
        try (Socket socket = s) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("$?#3f".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(in.readNBytes(1 + 1 + 12 + 3), StandardCharsets.US_ASCII)).startsWith("+$T05thread:1;#");
            out.write("+$c#63".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(in.readNBytes(1 + 4 + 3), StandardCharsets.US_ASCII)).startsWith("+$W01#");
        }
        assertThat(status.get(60, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void badValuesEndWithOneLine() {
        assertBad(run(args("--gdb-wait")), "--gdb-wait needs --gdb");
        assertBad(run(args("--gdb", "udp:1:2")), "only tcp:HOST:PORT");
        assertBad(run(args("--gdb", "tcp:127.0.0.1:x")), "not a port number");
        assertBad(run(args("--device", "floppy")), "unknown device");
        assertBad(run(args("--device", "debug-exit,iobase=0x3f8")), "debug-exit");
        assertBad(run(args("--module", dir.resolve("missing").toString())), "does not exist");
        assertBad(run(args("--trace", "nonsense")), "unknown mode");
        assertBad(run(args("--trace-file", dir.resolve("t").toString())), "--trace-file needs --trace");
        assertBad(run("run", "--accel", "kvm", "--kernel", kernel.toString(), "--trace", "insn"), "needs the emulator");
    }

    private static void assertBad(Outcome o, String expected) {
        assertThat(o.status()).as(o.err()).isEqualTo(1);
        assertThat(o.err().strip().lines()).as(o.err()).hasSize(1);
        assertThat(o.err()).contains(expected).doesNotContain("Exception");
    }
}
