package dev.jvisor.gdbstub;

import dev.jvisor.testkit.FuzzInput;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.memory.GuestMemory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The GDB remote protocol from an untrusted debugger connection, against a {@link FakeTarget}
 * driven through the real {@link RunControl}: the framing ({@link RemoteConnection}'s reader:
 * checksums, escapes, stray and nested {@code $}, the interrupt byte, oversized packets) and the
 * command parsing of {@link GdbSession} (m/M/X, g/G/p/P, Z/z, H/T, c/s/C/S, vCont, qXfer,
 * qSupported, qThreadExtraInfo, D/k/vKill...).
 *
 * <p>The contract: a bad frame is answered with {@code -} and dropped; a bad packet gets an error
 * ({@code Exx}) or empty reply; no exception ever ends the session; replies are well-formed frames
 * whose size does not follow a length field the debugger chose; memory is read and written only
 * through the vCPU's translation, inside RAM; and the session always settles (a resumed target is
 * stopped again by an interrupt).
 *
 * <p>{@link #framing} and {@link #commands} are the Jazzer targets (they replay their corpus in
 * normal runs; {@code JAZZER_FUZZ=1} fuzzes); {@link #seededFraming} and {@link #seededCommands}
 * run the same generators and checks over a fixed seeded series in every build.
 */
class GdbRemoteFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.flat(FakeTarget.RAM);
    private static final int COMMAND_SERIES = 700;
    private static final int FRAMING_SERIES = 500;

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "60s")
    void commands(FuzzedDataProvider data) throws Exception {
        runCommands(FuzzInput.of(data));
    }

    @FuzzTest(maxDuration = "60s")
    void framing(FuzzedDataProvider data) throws Exception {
        runFraming(FuzzInput.of(data));
    }

    @Test
    @Timeout(120) // a hang guard only: the series takes a few seconds
    void seededCommands() throws Exception {
        SplittableRandom random = new SplittableRandom(0x6DB_5EEDL);
        for (int i = 0; i < COMMAND_SERIES; i++) {
            runCommands(FuzzInput.of(random));
        }
    }

    @Test
    @Timeout(120)
    void seededFraming() throws Exception {
        SplittableRandom random = new SplittableRandom(0xF4A_3E5L);
        for (int i = 0; i < FRAMING_SERIES; i++) {
            runFraming(FuzzInput.of(random));
        }
    }

    // ---- the two targets ----

    static void runCommands(FuzzInput in) throws Exception {
        try (SessionDriver d = new SessionDriver(MEMORY, in.intIn(1, 3), in.bool(), in.intIn(0, 6))) {
            for (int n = in.intIn(1, 40); n > 0 && !d.ended(); n--) {
                String packet = Packets.any(in);
                d.deliver(new SessionEvent.Packet(packet.getBytes(StandardCharsets.ISO_8859_1)));
                d.checkReplies(packet);
            }
        }
    }

    static void runFraming(FuzzInput in) throws Exception {
        byte[] stream = Streams.any(in);
        LinkedBlockingQueue<SessionEvent> read = new LinkedBlockingQueue<>();
        ByteArrayOutputStream acks = new ByteArrayOutputStream();
        new RemoteConnection(() -> { }, new ByteArrayInputStream(stream), acks, read).readLoop();

        List<SessionEvent> events = new ArrayList<>(read);
        assertThat(events).isNotEmpty();
        assertThat(events.getLast()).as("the end of the input ends the connection").isInstanceOf(SessionEvent.Disconnected.class);
        int packets = 0;
        for (SessionEvent e : events.subList(0, events.size() - 1)) {
            assertThat(e).isNotInstanceOf(SessionEvent.Disconnected.class);
            if (e instanceof SessionEvent.Packet p) {
                packets++;
                checkFramed(stream, p.data());
            }
        }
        byte[] answers = acks.toByteArray();
        for (byte b : answers) {
            assertThat(b == PacketCodec.ACK || b == PacketCodec.NACK).as("only acknowledgements go back: %s", (char) b).isTrue();
        }
        long positive = count(answers, PacketCodec.ACK);
        assertThat(positive).as("one + per packet passed on").isEqualTo(packets);

        try (SessionDriver d = new SessionDriver(MEMORY, in.intIn(1, 3), in.bool(), in.intIn(0, 6))) {
            for (SessionEvent e : events.subList(0, events.size() - 1)) {
                if (d.ended()) {
                    break;
                }
                d.deliver(e);
                d.checkReplies(e instanceof SessionEvent.Packet p ? p.text() : "");
            }
        }
    }

    /** A packet passed on is a checksummed frame of the input, under the size limit, without framing bytes. */
    private static void checkFramed(byte[] stream, byte[] data) {
        assertThat(data.length).isLessThanOrEqualTo(RemoteConnection.MAX_PACKET);
        for (byte b : data) {
            assertThat(b == PacketCodec.START || b == PacketCodec.END).as("framing byte inside a packet").isFalse();
        }
        byte[] frame = new byte[data.length + 2];
        frame[0] = PacketCodec.START;
        System.arraycopy(data, 0, frame, 1, data.length);
        frame[data.length + 1] = PacketCodec.END;
        int sum = PacketCodec.checksum(data, 0, data.length);
        for (int at = indexOf(stream, frame, 0); at >= 0; at = indexOf(stream, frame, at + 1)) {
            int c = at + frame.length;
            if (c + 1 < stream.length && Character.digit(stream[c], 16) == sum >> 4
                    && Character.digit(stream[c + 1], 16) == (sum & 0xF)) {
                return;
            }
        }
        throw new AssertionError("packet '" + new String(data, StandardCharsets.ISO_8859_1)
                + "' was passed on without a frame with its checksum in the input");
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static long count(byte[] bytes, byte b) {
        long n = 0;
        for (byte x : bytes) {
            n += x == b ? 1 : 0;
        }
        return n;
    }

    // ---- what a debugger sends ----

    /** Packets: mostly well-formed commands with arguments from the edges, sometimes broken ones. */
    static final class Packets {
        private Packets() {
        }

        static String any(FuzzInput in) {
            return switch (in.intIn(0, 33)) {
                case 0 -> "?";
                case 1, 2 -> "g";
                case 3 -> "G" + hexBytes(in, (int) in.pick(0, 1, 0x2B0, 0x2B1, 0x2AC, in.intIn(0, 0x300)));
                case 4, 5 -> "p" + number(in, in.intIn(0, 70));
                case 6 -> "P" + number(in, in.intIn(0, 70)) + (in.oneIn(10) ? "" : "=") + hexBytes(in, (int) in.pick(8, 4, 10, 16, 0, 3, 9));
                case 7, 8, 9 -> "m" + address(in) + "," + length(in);
                case 10, 11 -> {
                    int n = in.intIn(0, 64);
                    yield "M" + address(in) + "," + (in.oneIn(6) ? length(in) : Integer.toHexString(n)) + (in.oneIn(10) ? "" : ":")
                            + hexBytes(in, n);
                }
                case 12, 13 -> {
                    byte[] data = in.bytes(64);
                    String body = in.oneIn(8) ? new String(data, StandardCharsets.ISO_8859_1)
                            : PacketCodec.escape(data, 0, data.length);
                    yield "X" + address(in) + "," + (in.oneIn(6) ? length(in) : Integer.toHexString(data.length))
                            + (in.oneIn(10) ? "" : ":") + body + (in.oneIn(10) ? "}" : "");
                }
                case 14, 15 -> (in.bool() ? "Z" : "z") + number(in, in.intIn(0, 5)) + "," + address(in) + ","
                        + number(in, in.intIn(0, 9)) + (in.oneIn(8) ? ";X1,0" : "");
                case 16 -> "H" + (in.bool() ? "g" : in.bool() ? "c" : "x") + thread(in);
                case 17 -> "T" + thread(in);
                case 18 -> in.pickOf("c", "s", "c" + address(in), "s" + address(in), "C05", "S05;" + address(in), "C");
                case 19, 20 -> "vCont" + vcont(in);
                case 21 -> in.pickOf("vCont?", "vMustReplyEmpty", "vFile:open:", "vRun", "vAttach;1");
                case 22 -> "qSupported" + (in.bool() ? ":multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386" : "");
                case 23 -> in.pickOf("QStartNoAckMode", "qAttached", "qAttached:1", "qC", "qfThreadInfo",
                        "qsThreadInfo", "qSymbol::", "qOffsets", "qTStatus", "QNonStop:1");
                case 24 -> "qThreadExtraInfo," + thread(in);
                case 25, 26 -> "qXfer:features:read:" + in.pickOf("target.xml", "target.xml", "other.xml", "")
                        + (in.oneIn(10) ? "" : ":") + number(in, in.intIn(0, 0x2000)) + (in.oneIn(10) ? "" : ",")
                        + length(in);
                case 27 -> in.oneIn(4) ? "D" : in.oneIn(3) ? "k" : "vKill;1";
                case 28 -> "";
                default -> new String(in.bytes(40), StandardCharsets.ISO_8859_1).replace('$', '_').replace('#', '_');
            };
        }

        /** Hex numbers: usually the value, sometimes the edges of what the syntax allows. */
        static String number(FuzzInput in, long value) {
            return switch (in.intIn(0, 15)) {
                case 0 -> "";
                case 1 -> "ffffffffffffffff";
                case 2 -> "10000000000000000";
                case 3 -> "100000000";
                case 4 -> "-1";
                case 5 -> "zz";
                case 6 -> Long.toHexString(value).toUpperCase();
                case 7 -> "0000000000000000" + Long.toHexString(value);
                default -> Long.toHexString(value);
            };
        }

        static String address(FuzzInput in) {
            long a = switch (in.intIn(0, 9)) {
                case 0 -> FakeTarget.UNMAPPED_PAGE + in.intIn(0, 0xFFF);
                case 1 -> FakeTarget.UNMAPPED_PAGE - in.intIn(1, 64);
                case 2 -> FakeTarget.DEVICE_PAGE + in.intIn(0, 0xFFF);
                case 3 -> FakeTarget.HIGH_HALF + in.intIn(0, FakeTarget.RAM);
                case 4 -> FakeTarget.RAM - in.intIn(0, 64);
                case 5 -> -in.intIn(1, 64);
                case 6 -> in.anyLong();
                default -> in.intIn(0, FakeTarget.RAM);
            };
            return number(in, a);
        }

        static String length(FuzzInput in) {
            long n = switch (in.intIn(0, 7)) {
                case 0 -> GdbSession.MAX_MEMORY;
                case 1 -> GdbSession.MAX_MEMORY + 1;
                case 2 -> 0x7FFF_FFFFL;
                case 3 -> 0x8000_0000L;
                case 4 -> 0xFFFF_FFFFL;
                default -> in.intIn(0, 0x2000);
            };
            return number(in, n);
        }

        static String thread(FuzzInput in) {
            return switch (in.intIn(0, 7)) {
                case 0 -> "-1";
                case 1 -> "0";
                case 2 -> "p1.1";
                default -> number(in, in.intIn(1, 4));
            };
        }

        static String vcont(FuzzInput in) {
            StringBuilder sb = new StringBuilder();
            for (int n = in.intIn(0, 3); n > 0; n--) {
                sb.append(';').append(in.pickOf("c", "s", "t", "C05", "S05", "r0,10", "x", ""));
                if (in.bool()) {
                    sb.append(':').append(thread(in));
                }
            }
            return sb.toString();
        }

        static String hexBytes(FuzzInput in, int n) {
            StringBuilder sb = new StringBuilder(2 * n);
            byte[] b = in.bytes(n);
            sb.append(HexFormat.of().formatHex(b));
            for (int i = b.length; i < n; i++) {
                sb.append("00");
            }
            if (in.oneIn(10)) {
                sb.append(in.pickOf("0", "g", "zz"));
            }
            return sb.toString();
        }
    }

    /** Byte streams a debugger (or noise on the line) might send: frames, broken frames, control bytes. */
    static final class Streams {
        private Streams() {
        }

        static byte[] any(FuzzInput in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int n = in.intIn(1, 24); n > 0; n--) {
                byte[] payload = Packets.any(in).getBytes(StandardCharsets.ISO_8859_1);
                switch (in.intIn(0, 15)) {
                    case 0 -> out.writeBytes(corrupt(in, PacketCodec.frame(new String(payload, StandardCharsets.ISO_8859_1))));
                    case 1 -> out.write(PacketCodec.INTERRUPT);
                    case 2 -> out.write(in.bool() ? PacketCodec.NACK : PacketCodec.ACK);
                    case 3 -> out.writeBytes(in.bytes(16));
                    case 4 -> {
                        // A frame cut short and restarted: the debugger gave up on it.
                        out.write(PacketCodec.START);
                        out.write(payload, 0, payload.length / 2);
                    }
                    case 5 -> {
                        if (in.oneIn(20)) {
                            byte[] big = new byte[RemoteConnection.MAX_PACKET + in.intIn(-2, 2)];
                            Arrays.fill(big, (byte) 'm');
                            out.writeBytes(PacketCodec.frame(new String(big, StandardCharsets.ISO_8859_1)));
                        }
                    }
                    case 6 -> {
                        // Uppercase checksum digits are as good as lowercase ones.
                        byte[] f = PacketCodec.frame(new String(payload, StandardCharsets.ISO_8859_1));
                        f[f.length - 1] = (byte) Character.toUpperCase(f[f.length - 1]);
                        f[f.length - 2] = (byte) Character.toUpperCase(f[f.length - 2]);
                        out.writeBytes(f);
                    }
                    default -> out.writeBytes(PacketCodec.frame(new String(payload, StandardCharsets.ISO_8859_1)));
                }
            }
            if (in.oneIn(6)) {
                out.writeBytes(new byte[]{'$', 'g', '#', '6'}); // cut off inside the checksum
            }
            return out.toByteArray();
        }

        private static byte[] corrupt(FuzzInput in, byte[] frame) {
            byte[] f = frame.clone();
            int at = in.intIn(0, f.length - 1);
            switch (in.intIn(0, 3)) {
                case 0 -> f[f.length - 1] ^= 1;
                case 1 -> f[at] = (byte) in.intIn(0, 255);
                case 2 -> f[f.length - 2] = 'x';
                default -> f[at] = PacketCodec.START;
            }
            return f;
        }
    }
}
