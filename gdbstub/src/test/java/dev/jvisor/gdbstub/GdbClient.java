package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal debugger side of the remote protocol for tests: one packet out, one reply in. */
final class GdbClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean acknowledging = true;

    GdbClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void noAck() throws IOException {
        assertThat(ask("QStartNoAckMode")).isEqualTo("OK");
        acknowledging = false;
    }

    void send(String payload) throws IOException {
        out.write(PacketCodec.frame(payload));
        out.flush();
        if (acknowledging) {
            assertThat(in.read()).as("ack of %s", payload).isEqualTo('+');
        }
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    int readByte() throws IOException {
        return in.read();
    }

    /** Reads one packet's payload (skipping acks), acknowledging it if needed. */
    String receive() throws IOException {
        int b;
        while ((b = in.read()) != '$') {
            if (b < 0) {
                throw new IOException("connection closed");
            }
        }
        StringBuilder sb = new StringBuilder();
        while ((b = in.read()) != '#') {
            sb.append((char) b);
        }
        byte[] sum = in.readNBytes(2);
        int expected = PacketCodec.checksum(sb.toString().getBytes(StandardCharsets.ISO_8859_1), 0, sb.length());
        assertThat(Integer.parseInt(new String(sum, StandardCharsets.US_ASCII), 16)).isEqualTo(expected);
        if (acknowledging) {
            out.write('+');
            out.flush();
        }
        return sb.toString();
    }

    String ask(String payload) throws IOException {
        send(payload);
        return receive();
    }

    /** Whether the stub closed the connection (read returns end of stream). */
    boolean closedByStub() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
