package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.vmm.ExitReason;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stub's side of the remote protocol, packet by packet, against the long-mode test kernel in a
 * whole VM: what GDB sends and what it must get back.
 */
class GdbProtocolTest {
    @TempDir
    Path dir;

    static String le64(long v) {
        StringBuilder sb = new StringBuilder();
        Hex.appendLittleEndian(sb, v, 8);
        return sb.toString();
    }

    static long fromLe(String hex) {
        return Hex.littleEndian(Hex.decode(hex), 0, hex.length() / 2);
    }

    @Test
    void handshakeTargetDescriptionAndRegisters() throws Exception {
        LongModeKernel.Image k = LongModeKernel.build();
        try (DebuggedMachine m = DebuggedMachine.start(dir, "emu", k.elf(), true, 2);
             GdbClient gdb = new GdbClient(m.port())) {
            assertThat(gdb.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"))
                    .contains("PacketSize=4000", "qXfer:features:read+", "QStartNoAckMode+", "swbreak+");
            gdb.noAck();
            assertThat(gdb.ask("?")).isEqualTo("T05thread:1;");
            StringBuilder xml = new StringBuilder();
            String chunk;
            do {
                chunk = gdb.ask("qXfer:features:read:target.xml:" + Integer.toHexString(xml.length()) + ",200");
                xml.append(chunk.substring(1));
            } while (chunk.startsWith("m"));
            assertThat(chunk).startsWith("l");
            assertThat(xml.toString()).contains("<architecture>i386:x86-64</architecture>",
                    "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.linux", "name=\"efer\"");
            assertThat(xml.toString().split("<reg ", -1)).hasSize(X86RegisterFile.COUNT + 1);
            assertThat(gdb.ask("qXfer:features:read:other.xml:0,100")).isEqualTo("E00");

            String g = gdb.ask("g");
            int total = 0;
            for (int n = 0; n < X86RegisterFile.COUNT; n++) {
                total += X86RegisterFile.size(n);
            }
            assertThat(g).hasSize(2 * total);
            // rip is at byte 128 (after 16 GPRs); the kernel is entered at entry32 (--gdb-wait).
            assertThat(fromLe(g.substring(256, 272))).isEqualTo(k.address("entry32"));
            assertThat(fromLe(gdb.ask("p10"))).isEqualTo(k.address("entry32"));
            assertThat(gdb.ask("p" + Integer.toHexString(X86RegisterFile.CR0)))
                    .as("protected mode, paging off").isEqualTo(le64(0x11));
            // Threads are vCPUs.
            assertThat(gdb.ask("qfThreadInfo")).isEqualTo("m1,2");
            assertThat(gdb.ask("qsThreadInfo")).isEqualTo("l");
            assertThat(gdb.ask("qC")).isEqualTo("QC1");
            assertThat(gdb.ask("T2")).isEqualTo("OK");
            assertThat(gdb.ask("T3")).startsWith("E");
            assertThat(gdb.ask("qThreadExtraInfo,2")).isEqualTo(Hex.ascii("vCPU 1"));
            assertThat(gdb.ask("Hg2")).isEqualTo("OK");
            assertThat(fromLe(gdb.ask("p10"))).as("the AP waits in real mode at reset").isNotEqualTo(k.address("entry32"));
            assertThat(gdb.ask("Hg1")).isEqualTo("OK");
            // Register writes: a GPR by P, and G with an unchanged image.
            assertThat(gdb.ask("P0=" + le64(0x1234))).isEqualTo("OK");
            assertThat(fromLe(gdb.ask("p0"))).isEqualTo(0x1234);
            assertThat(gdb.ask("G" + gdb.ask("g"))).isEqualTo("OK");
            assertThat(gdb.ask("P12=" + "05000000")).as("cs cannot change").startsWith("E");
            assertThat(gdb.ask("pff")).startsWith("E");
            assertThat(gdb.ask("vMustReplyEmpty")).isEmpty();
            assertThat(gdb.ask("qAttached")).isEqualTo("1");
            assertThat(gdb.ask("vCont?")).isEqualTo("vCont;c;C;s;S;t");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"emu", "kvm"})
    void breakpointStepMemoryAndExit(String accel) throws Exception {
        LongModeKernel.Image k = LongModeKernel.build();
        long tick = k.address("tick");
        long counter = k.address("counter");
        try (DebuggedMachine m = DebuggedMachine.start(dir, accel, k.elf(), true, 1);
             GdbClient gdb = new GdbClient(m.port())) {
            gdb.noAck();
            assertThat(gdb.ask("Z0," + Long.toHexString(tick) + ",1")).isEqualTo("OK");
            assertThat(gdb.ask("vCont;c")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(fromLe(gdb.ask("p10"))).isEqualTo(tick);
            assertThat(gdb.ask("m" + Long.toHexString(counter) + ",8")).isEqualTo(le64(0));
            // Paging is on now: the address goes through the page tables (identity here).
            assertThat(fromLe(gdb.ask("p" + Integer.toHexString(X86RegisterFile.CR3)))).isEqualTo(0x70000);
            assertThat(gdb.ask("vCont;s:1")).isEqualTo("T05thread:1;");
            long afterFirst = fromLe(gdb.ask("p10"));
            assertThat(afterFirst).isGreaterThan(tick).isLessThan(tick + 16);
            assertThat(fromLe(gdb.ask("p0"))).as("rax = counter").isZero();
            // Continue: the breakpoint hits again on the second call.
            assertThat(gdb.ask("c")).isEqualTo("T05swbreak:;thread:1;");
            assertThat(gdb.ask("m" + Long.toHexString(counter) + ",8")).isEqualTo(le64(1));
            // Memory write: counter = 0x10, then two more ticks: the kernel exits with 0x12.
            assertThat(gdb.ask("M" + Long.toHexString(counter) + ",8:" + le64(0x10))).isEqualTo("OK");
            assertThat(gdb.ask("z0," + Long.toHexString(tick) + ",1")).isEqualTo("OK");
            assertThat(gdb.ask("vCont;c")).isEqualTo(String.format("W%02x", (0x12 << 1 | 1)));
            assertThat(m.awaitExit()).isEqualTo(new ExitReason.DebugExit(0x12));
        }
    }

    @Test
    void watchpointsReportTheAddressAndKind() throws Exception {
        LongModeKernel.Image k = LongModeKernel.build();
        long result = k.address("result");
        try (DebuggedMachine m = DebuggedMachine.start(dir, "emu", k.elf(), true, 1);
             GdbClient gdb = new GdbClient(m.port())) {
            gdb.noAck();
            assertThat(gdb.ask("Z2," + Long.toHexString(result) + ",8")).isEqualTo("OK");
            assertThat(gdb.ask("c")).isEqualTo("T05watch:" + Long.toHexString(result) + ";thread:1;");
            assertThat(gdb.ask("m" + Long.toHexString(result) + ",8")).isEqualTo(le64(101));
            assertThat(gdb.ask("z2," + Long.toHexString(result) + ",8")).isEqualTo("OK");
            assertThat(gdb.ask("Z3," + Long.toHexString(k.address("counter")) + ",8")).isEqualTo("OK");
            assertThat(gdb.ask("c")).isEqualTo("T05rwatch:" + Long.toHexString(k.address("counter")) + ";thread:1;");
            assertThat(gdb.ask("Z9,0,1")).as("unknown type").isEmpty();
            assertThat(gdb.ask("Z2,100,9")).as("bad length").startsWith("E");
            // Binary write (X), escaped bytes included, then read back.
            String xHeader = "X" + Long.toHexString(result) + ",4:";
            byte[] payload = {0x7d, 0x03, 0x04, 0x7d, '*' ^ 0x20, 0x7d, '}' ^ 0x20}; // 23 04 2a 7d, escaped
            byte[] packet = new byte[xHeader.length() + payload.length];
            System.arraycopy(xHeader.getBytes(), 0, packet, 0, xHeader.length());
            System.arraycopy(payload, 0, packet, xHeader.length(), payload.length);
            gdb.send(new String(packet, java.nio.charset.StandardCharsets.ISO_8859_1));
            assertThat(gdb.receive()).isEqualTo("OK");
            assertThat(gdb.ask("m" + Long.toHexString(result) + ",4")).isEqualTo("23042a7d");
            assertThat(gdb.ask("m7fffffff000,4")).as("unmapped").isEqualTo("E14");
        }
    }

    @Test
    void interruptDetachReconnectAndKill() throws Exception {
        LongModeKernel.Image k = LongModeKernel.build(true);
        try (DebuggedMachine m = DebuggedMachine.start(dir, "emu", k.elf(), false, 1)) {
            try (GdbClient gdb = new GdbClient(m.port())) {
                gdb.noAck();
                assertThat(gdb.ask("?")).isEqualTo("T05thread:1;");
                assertThat(gdb.ask("m" + Long.toHexString(k.address("counter")) + ",8")).isIn(le64(0), le64(1),
                        le64(2), le64(3));
                gdb.send("c");
                Thread.sleep(200);
                gdb.sendRaw(new byte[]{0x03});
                assertThat(gdb.receive()).isEqualTo("T02thread:1;");
                assertThat(gdb.ask("D")).isEqualTo("OK");
                assertThat(gdb.closedByStub()).isTrue();
            }
            assertThat(m.vm().awaitExit(300, java.util.concurrent.TimeUnit.MILLISECONDS)).as("runs on").isNull();
            try (GdbClient again = new GdbClient(m.port())) {
                assertThat(again.ask("?")).isEqualTo("T05thread:1;");
                assertThat(fromLe(again.ask("m" + Long.toHexString(k.address("counter")) + ",8"))).isEqualTo(3);
                again.send("k");
                assertThat(again.closedByStub()).isTrue();
            }
            assertThat(m.awaitExit()).isInstanceOf(ExitReason.Stopped.class);
        }
    }

    @Test
    void badPacketsGetErrorsOrNacksAndTheSessionGoesOn() throws Exception {
        LongModeKernel.Image k = LongModeKernel.build();
        try (DebuggedMachine m = DebuggedMachine.start(dir, "emu", k.elf(), true, 1);
             GdbClient gdb = new GdbClient(m.port())) {
            gdb.sendRaw("$g#00".getBytes());
            assertThat(gdb.readByte()).as("a wrong checksum is refused").isEqualTo('-');
            assertThat(gdb.ask("mzz,4")).startsWith("E");
            assertThat(gdb.ask("m10,")).startsWith("E");
            assertThat(gdb.ask("Pzz")).startsWith("E");
            assertThat(gdb.ask("Hgzz")).startsWith("E");
            assertThat(gdb.ask("vCont;x")).startsWith("E");
            assertThat(gdb.ask("M100000,2:00")).startsWith("E");
            assertThat(gdb.ask("qUnknownThing")).isEmpty();
            assertThat(gdb.ask("?")).isEqualTo("T05thread:1;");
        }
    }
}
