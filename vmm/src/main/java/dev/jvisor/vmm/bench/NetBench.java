package dev.jvisor.vmm.bench;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.ImageException;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The network benchmark over user-mode networking: the default image boots with one
 * {@code --net user} interface and two host forwards, and takes a DHCP lease.
 * <ul>
 *   <li>guest→host: the guest serves {@code mib} MiB from its RAM with busybox {@code httpd}
 *       (which sends files with {@code sendfile}) and the host fetches it through a host forward;
 *       the host times the fetch and counts the bytes. (A {@code dd | nc} stream would measure
 *       busybox {@code nc}, which copies in 1 KiB reads and writes, more than the network.)
 *   <li>host→guest: the guest fetches {@code mib} MiB from a server on the host's loopback with
 *       {@code wget -O /dev/null}, timed between the guest's marker lines.
 * </ul>
 * The host samples its CPU time at the same moments.
 */
public final class NetBench {
    private static final int GUEST_HTTP_PORT = 8080;
    private static final int GUEST_CONTROL_PORT = 9000;

    /**
     * @param mib            MiB per direction
     * @param workDir        where the initrd goes
     * @param memoryBytes    guest RAM (must hold {@code mib} MiB for the guest's server)
     * @param timeoutSeconds limit per step
     * @param echo           receives the guest console, or null
     */
    public record Options(int mib, Path workDir, long memoryBytes, long timeoutSeconds, OutputStream echo) {
        public Options {
            if (mib < 1 || mib > 4096) {
                throw new IllegalArgumentException("the transfer size must be 1 to 4096 MiB, got " + mib);
            }
        }
    }

    /**
     * The figures of both directions.
     *
     * @param bytes          bytes per direction
     * @param guestToHost    the host's fetch from the guest's server
     * @param receivedByHost bytes that fetch delivered (equal to {@code bytes} when all went well)
     * @param hostToGuest    the guest's fetch, from its start line to its done line
     */
    public record Result(long bytes, HostSample.Span guestToHost, long receivedByHost, HostSample.Span hostToGuest) {
    }

    private NetBench() {
    }

    static String script(int hostPort, int mib) {
        return """
                set -e
                ip link set lo up
                ip link set eth0 up
                udhcpc -i eth0 -q -f -n -t 20 -T 1 -s /jvisor/udhcpc.sh > /dev/null
                mkdir -p /www
                dd if=/dev/zero of=/www/blob bs=1M count=%2$d 2> /dev/null
                httpd -p %3$d -h /www
                nc -l -p %4$d > /dev/null &
                echo "bench: serving"
                wait $!
                rm /www/blob
                echo "bench: rx-start"
                wget -q -O /dev/null http://10.0.2.2:%1$d/blob
                echo "bench: rx-done"
                """.formatted(hostPort, mib, GUEST_HTTP_PORT, GUEST_CONTROL_PORT);
    }

    public static Result run(DefaultImage image, Hypervisor hypervisor, Options o)
            throws VmException, ImageException, IOException, InterruptedException {
        long bytes = (long) o.mib() << 20;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        int httpForward = freePort(), controlForward = freePort();
        try (ServerSocket source = new ServerSocket(0, 4, loopback)) {
            Thread sourceThread = Thread.ofVirtual().name("bench-net-source").start(() -> serve(source, bytes));
            VmConfig config = ScriptedGuest.config(image, o.workDir(), script(source.getLocalPort(), o.mib()),
                            Map.of("/jvisor/udhcpc.sh", ScriptedGuest.UDHCPC_SCRIPT), o.memoryBytes(),
                            VmConfig.Accel.parse(hypervisor.name()))
                    .withNets(List.of(NetConfig.parse("user,hostfwd=tcp:127.0.0.1:" + httpForward + "-:" + GUEST_HTTP_PORT
                            + ",hostfwd=tcp:127.0.0.1:" + controlForward + "-:" + GUEST_CONTROL_PORT)));
            try (BenchGuest guest = new BenchGuest(config, hypervisor, o.echo())) {
                guest.start();
                guest.await("bench: serving", o.timeoutSeconds());
                HostSample before = guest.sample();
                long received = fetch(loopback, httpForward, o.timeoutSeconds());
                HostSample after = guest.sample();
                new Socket(loopback, controlForward).close(); // lets the guest's script go on
                var rs = guest.await("bench: rx-start", o.timeoutSeconds());
                var rd = guest.await("bench: rx-done", o.timeoutSeconds());
                int status = guest.awaitPowerOff(o.timeoutSeconds());
                if (status != 0) {
                    throw new IOException("the benchmark script failed with status " + status);
                }
                return new Result(bytes, before.until(after), received, rs.sample().until(rd.sample()));
            } finally {
                source.close();
                sourceThread.join(5000);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** GETs /blob from the guest's server through the host forward; returns the body's length. */
    private static long fetch(InetAddress host, int port, long timeoutSeconds) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeoutSeconds * 1000));
            s.getOutputStream().write("GET /blob HTTP/1.0\r\nHost: guest\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            skipHead(in);
            byte[] buf = new byte[64 << 10];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
            }
            return total;
        }
    }

    /** Reads up to and including the blank line that ends an HTTP head; false at EOF. */
    private static boolean skipHead(InputStream in) throws IOException {
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return false;
            }
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return true;
    }

    /** Answers one HTTP request with {@code bytes} zero bytes (HTTP/1.0, RFC 1945 §6). */
    private static void serve(ServerSocket server, long bytes) {
        try (Socket s = server.accept()) {
            if (!skipHead(s.getInputStream())) { // the request's content does not matter
                return;
            }
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + bytes
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] zeros = new byte[64 << 10];
            for (long left = bytes; left > 0; left -= zeros.length) {
                out.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
            out.flush();
        } catch (IOException e) {
            // the server socket was closed at the end of the run, or the guest went away
        }
    }
}
