package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.memory.GuestMemory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link FakeTarget} with a {@link GdbSession} attached as {@code GdbServer} attaches one, served on
 * its own thread; the test hands it events one at a time and checks the frames it sends back.
 */
final class SessionDriver implements AutoCloseable {
    /** The longest reply the stub may send: a full memory read, or all registers. */
    static final int MAX_REPLY = 2 * GdbSession.MAX_MEMORY + 64;

    private final GuestMemory memory;
    private final FakeTarget target;
    private final WatchedQueue events = new WatchedQueue();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Thread thread;
    private volatile Throwable failure;
    private volatile boolean ended;
    private int replied;

    SessionDriver(GuestMemory memory, int vcpus, boolean holdAtStart, int debugRegisters) throws InterruptedException {
        this.memory = memory;
        target = new FakeTarget(memory, vcpus, holdAtStart, debugRegisters);
        RemoteConnection connection = new RemoteConnection(() -> { }, new ByteArrayInputStream(new byte[0]),
                out, events);
        StopRecord stop = target.attach();
        assertThat(stop).as("the fake target stops for the debugger").isNotNull();
        target.control.listen(events::offer);
        GdbSession session = new GdbSession(target.control, memory, target::kill, connection, events,
                new DebugPoints());
        thread = Thread.ofPlatform().name("gdb-session-under-test").start(() -> {
            try {
                session.serve();
            } catch (Throwable t) {
                failure = t;
            } finally {
                ended = true;
            }
        });
    }

    boolean ended() {
        return ended;
    }

    /**
     * Hands the session one event and waits until it has dealt with it: it is idle again and the
     * target is stopped, or the session has ended. A target left running gets an interrupt, as a
     * debugger's Ctrl-C.
     */
    void deliver(SessionEvent e) {
        events.offer(e);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long lastInterrupt = 0;
        while (!ended) {
            if (events.idle()) {
                if (target.control.isStopped()) {
                    if (events.idle()) {
                        return;
                    }
                } else if (System.nanoTime() - lastInterrupt > TimeUnit.MILLISECONDS.toNanos(1)) {
                    lastInterrupt = System.nanoTime();
                    events.offer(new SessionEvent.Interrupt());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the session did not settle after " + describe(e));
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private static String describe(SessionEvent e) {
        return e instanceof SessionEvent.Packet p ? "packet '" + p.text() + "'" : e.toString();
    }

    /** Sends one packet and returns the first reply to it (null if none), checked as {@link #checkReplies} does. */
    String ask(String packet) {
        deliver(new SessionEvent.Packet(packet.getBytes(StandardCharsets.ISO_8859_1)));
        List<String> replies = checkReplies(packet);
        return replies.isEmpty() ? null : replies.getFirst();
    }

    /**
     * Checks the frames sent since the last call and returns their payloads; {@code packet} is what
     * the debugger sent last.
     */
    List<String> checkReplies(String packet) {
        if (failure != null) {
            throw new AssertionError("the session failed on '" + packet + "'", failure);
        }
        byte[] all;
        synchronized (out) {
            all = out.toByteArray();
        }
        List<String> replies = frames(Arrays.copyOfRange(all, replied, all.length), packet);
        replied = all.length;
        for (String reply : replies) {
            assertThat(reply.length()).as("reply to '%s'", packet).isLessThanOrEqualTo(MAX_REPLY);
        }
        if (!replies.isEmpty() && !packet.isEmpty()) {
            checkAnswer(packet, replies.getFirst());
        }
        return replies;
    }

    /** What a few commands must answer, whatever their arguments. */
    private void checkAnswer(String packet, String reply) {
        String as = "reply '" + reply + "' to '" + packet + "'";
        switch (packet.charAt(0)) {
            case 'm' -> {
                boolean hex = reply.matches("([0-9a-f]{2})*") && reply.length() <= 2 * GdbSession.MAX_MEMORY;
                assertThat(reply.matches("E[0-9a-f]{2}") || hex).as(as).isTrue();
                String[] f = packet.substring(1).split(",", -1);
                BigInteger length = f.length == 2 ? number(f[1]) : null;
                if (hex && length != null) {
                    assertThat(BigInteger.valueOf(reply.length() / 2)).as(as).isLessThanOrEqualTo(length);
                }
            }
            case 'M', 'X', 'P', 'G', 'H', 'T' -> assertThat(reply).as(as).matches("OK|E[0-9a-f]{2}");
            case 'Z', 'z' -> {
                assertThat(reply).as(as).matches("OK|E[0-9a-f]{2}|");
                String[] f = packet.substring(1).split("[,;]", -1);
                BigInteger type = number(f[0]);
                BigInteger kind = f.length > 2 ? number(f[2]) : null;
                if (type != null && type.compareTo(BigInteger.valueOf(4)) > 0) {
                    assertThat(reply).as("unsupported type: " + as).matches("|E[0-9a-f]{2}");
                }
                if (type != null && type.intValue() >= 2 && type.compareTo(BigInteger.valueOf(4)) <= 0
                        && (kind == null || kind.signum() == 0 || kind.compareTo(BigInteger.valueOf(8)) > 0)) {
                    assertThat(reply).as("watchpoint length out of 1-8: " + as).matches("E[0-9a-f]{2}");
                }
            }
            case 'p' -> {
                assertThat(reply).as(as).matches("E[0-9a-f]{2}|([0-9a-f]{2}){4,16}");
                BigInteger n = number(packet.substring(1));
                if (n == null || n.compareTo(BigInteger.valueOf(X86RegisterFile.COUNT)) >= 0) {
                    assertThat(reply).as("no such register: " + as).matches("E[0-9a-f]{2}");
                }
            }
            case 'q' -> {
                if (packet.startsWith("qXfer:features:read:target.xml:")) {
                    assertThat(reply).as(as).matches("(?s)E[0-9a-f]{2}|l.*|m.+");
                    String[] f = packet.substring("qXfer:features:read:target.xml:".length()).split(",", -1);
                    BigInteger length = f.length == 2 ? number(f[1]) : null;
                    if (reply.length() > 1 && reply.charAt(0) != 'E' && length != null) {
                        byte[] data = PacketCodec.unescape(reply.getBytes(StandardCharsets.ISO_8859_1), 1, reply.length() - 1);
                        assertThat(BigInteger.valueOf(data.length)).as(as).isLessThanOrEqualTo(length);
                    }
                }
            }
            default -> {
            }
        }
    }

    /** A hex number as the protocol writes it, or null if the text is not one. */
    private static BigInteger number(String text) {
        return text.matches("[0-9a-fA-F]{1,16}") ? new BigInteger(text, 16) : null;
    }

    /** Splits output into frame payloads, checking each frame's checksum. */
    private static List<String> frames(byte[] bytes, String packet) {
        List<String> payloads = new ArrayList<>();
        int i = 0;
        while (i < bytes.length) {
            assertThat(bytes[i]).as("a frame starts with $ (after '%s')", packet).isEqualTo(PacketCodec.START);
            int end = i + 1;
            while (end < bytes.length && bytes[end] != PacketCodec.END) {
                assertThat(bytes[end]).as("no $ inside a reply to '%s'", packet).isNotEqualTo(PacketCodec.START);
                end++;
            }
            assertThat(end + 2).as("a complete frame").isLessThan(bytes.length + 1);
            int sum = PacketCodec.checksum(bytes, i + 1, end - i - 1);
            assertThat(HexFormat.fromHexDigits(new String(bytes, end + 1, 2, StandardCharsets.US_ASCII)))
                    .as("reply checksum").isEqualTo(sum);
            payloads.add(new String(bytes, i + 1, end - i - 1, StandardCharsets.ISO_8859_1));
            i = end + 3;
        }
        return payloads;
    }

    /** Ends the connection as a debugger that goes away does, then the machine. */
    @Override
    public void close() throws Exception {
        if (!ended) {
            events.offer(new SessionEvent.Disconnected("the fuzz case is over"));
        }
        thread.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(thread.isAlive()).as("the session ended after the disconnect").isFalse();
        target.control.listen(null);
        target.close();
        if (failure != null) {
            throw new AssertionError("the session failed", failure);
        }
    }

    /** The session's queue, counting what goes in and what the session has taken, to tell when it is idle. */
    static final class WatchedQueue extends LinkedBlockingQueue<SessionEvent> {
        private final AtomicInteger offered = new AtomicInteger();
        private final AtomicInteger taken = new AtomicInteger();
        private final AtomicInteger waiting = new AtomicInteger();

        @Override
        public boolean offer(SessionEvent e) {
            offered.incrementAndGet();
            return super.offer(e);
        }

        @Override
        public void put(SessionEvent e) throws InterruptedException {
            offered.incrementAndGet();
            super.put(e);
        }

        @Override
        public SessionEvent take() throws InterruptedException {
            waiting.incrementAndGet();
            SessionEvent e;
            try {
                e = super.take();
            } finally {
                waiting.decrementAndGet();
            }
            taken.incrementAndGet();
            return e;
        }

        /** Whether the session waits for its next event and has taken every one offered. */
        boolean idle() {
            return waiting.get() == 1 && taken.get() == offered.get();
        }
    }
}
