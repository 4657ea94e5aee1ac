package dev.jvisor.gdbstub;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;

/**
 * One debugger connection: a reader thread that turns the byte stream into {@link SessionEvent}s
 * (packets with good checksums, the interrupt byte, negative acknowledgements) and acknowledges
 * packets while acknowledgement mode is on; and {@link #send} for responses, thread-safe.
 *
 * <p>Bad input never ends the process: a packet with a wrong checksum is answered with {@code -},
 * an oversized one is dropped and answered with {@code -}, stray bytes are ignored.
 */
final class RemoteConnection implements AutoCloseable {
    /** The largest packet accepted, comfortably above the PacketSize the stub announces. */
    static final int MAX_PACKET = 64 * 1024;

    private final Closeable channel;
    private final InputStream in;
    private final OutputStream out;
    private final BlockingQueue<SessionEvent> events;
    private final Thread reader;
    private volatile boolean acknowledging = true;
    private byte[] lastFrame;

    RemoteConnection(Socket socket, BlockingQueue<SessionEvent> events) throws IOException {
        this(configured(socket), socket.getInputStream(), socket.getOutputStream(), events);
    }

    /** A connection over any pair of streams; closing it closes {@code channel} (tests use pipes). */
    RemoteConnection(Closeable channel, InputStream in, OutputStream out, BlockingQueue<SessionEvent> events) {
        this.channel = channel;
        this.in = new BufferedInputStream(in);
        this.out = out;
        this.events = events;
        this.reader = Thread.ofPlatform().daemon().name("gdb-reader").unstarted(this::readLoop);
    }

    private static Socket configured(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
        return socket;
    }

    void start() {
        reader.start();
    }

    /** Stops acknowledging packets (after {@code QStartNoAckMode} has been answered). */
    void stopAcknowledging() {
        acknowledging = false;
    }

    /** Sends one packet. */
    synchronized void send(String payload) throws IOException {
        lastFrame = PacketCodec.frame(payload);
        out.write(lastFrame);
        out.flush();
    }

    /** Sends one packet, ignoring a connection that is already gone (last words before closing). */
    void sendQuietly(String payload) {
        try {
            send(payload);
        } catch (IOException e) {
            // the session ends anyway
        }
    }

    /** Sends the last packet again (after a {@code -}). */
    synchronized void resend() throws IOException {
        if (lastFrame != null) {
            out.write(lastFrame);
            out.flush();
        }
    }

    private synchronized void ack(byte b) throws IOException {
        out.write(b);
        out.flush();
    }

    /**
     * Turns the input into events until it ends, then reports {@link SessionEvent.Disconnected}; the
     * reader thread's body (tests call it directly to read a whole input on their own thread).
     */
    void readLoop() {
        String why = "the debugger closed the connection";
        try {
            int b;
            while ((b = in.read()) >= 0) {
                switch (b) {
                    case PacketCodec.START -> readPacket();
                    case PacketCodec.INTERRUPT -> events.put(new SessionEvent.Interrupt());
                    case PacketCodec.NACK -> events.put(new SessionEvent.Nack());
                    default -> {
                        // '+' acknowledgements and noise between packets
                    }
                }
            }
        } catch (IOException e) {
            why = "connection error: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        events.offer(new SessionEvent.Disconnected(why));
    }

    private void readPacket() throws IOException, InterruptedException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean oversized = false;
        int b;
        while ((b = in.read()) != PacketCodec.END) {
            if (b < 0) {
                throw new IOException("connection closed inside a packet");
            }
            if (b == PacketCodec.START) {
                data.reset(); // a new packet started: the debugger gave up on the old one
                oversized = false;
                continue;
            }
            if (data.size() < MAX_PACKET) {
                data.write(b);
            } else {
                oversized = true;
            }
        }
        int hi = in.read();
        int lo = in.read();
        if (hi < 0 || lo < 0) {
            throw new IOException("connection closed inside a checksum");
        }
        byte[] bytes = data.toByteArray();
        boolean valid = !oversized && checksumMatches(bytes, hi, lo);
        if (acknowledging) {
            ack(valid ? PacketCodec.ACK : PacketCodec.NACK);
        }
        if (valid) {
            events.put(new SessionEvent.Packet(bytes));
        }
    }

    private static boolean checksumMatches(byte[] bytes, int hi, int lo) {
        int h = Character.digit(hi, 16);
        int l = Character.digit(lo, 16);
        return h >= 0 && l >= 0 && (h << 4 | l) == PacketCodec.checksum(bytes, 0, bytes.length);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        reader.interrupt();
    }
}
