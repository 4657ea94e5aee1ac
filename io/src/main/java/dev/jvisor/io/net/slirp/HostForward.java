package dev.jvisor.io.net.slirp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A host-to-guest port forward in QEMU's {@code hostfwd} syntax:
 * {@code tcp:127.0.0.1:8022-:22} or {@code udp::5353-10.0.2.15:53}
 * ({@code [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport}). An empty host address means all
 * interfaces (0.0.0.0); an empty guest address means the first DHCP address (10.0.2.15 by default).
 *
 * @param udp UDP instead of TCP
 * @param hostAddress where to listen on the host
 * @param hostPort host port, 1-65535
 * @param guestAddress guest address, or null for the first DHCP address
 * @param guestPort guest port, 1-65535
 */
public record HostForward(boolean udp, Inet4Address hostAddress, int hostPort, Inet4Address guestAddress, int guestPort) {
    private static final Pattern SYNTAX = Pattern.compile("(?:(tcp|udp):)?([0-9.]*):(\\d+)-([0-9.]*):(\\d+)");

    public HostForward {
        if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("ports must be 1-65535, got " + hostPort + " and " + guestPort);
        }
    }

    /**
     * Parses the hostfwd syntax.
     *
     * @throws IllegalArgumentException quoting the text and the expected form
     */
    public static HostForward parse(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad hostfwd '" + text + "' (expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)");
        }
        boolean udp = "udp".equals(m.group(1));
        Inet4Address host = m.group(2).isEmpty() ? ipv4("0.0.0.0", text) : ipv4(m.group(2), text);
        Inet4Address guest = m.group(4).isEmpty() ? null : ipv4(m.group(4), text);
        int hostPort = port(m.group(3), text);
        int guestPort = port(m.group(5), text);
        return new HostForward(udp, host, hostPort, guest, guestPort);
    }

    private static int port(String s, String text) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + s + "' in hostfwd '" + text + "'");
        }
    }

    /** Parses a dotted-quad IPv4 address without any name lookup. */
    static Inet4Address ipv4(String s, String context) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("bad IPv4 address '" + s + "' in '" + context + "'");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v;
            try {
                v = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > 255 || parts[i].length() > 3) {
                throw new IllegalArgumentException("bad IPv4 address '" + s + "' in '" + context + "'");
            }
            b[i] = (byte) v;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes never fail
        }
    }

    @Override
    public String toString() {
        return (udp ? "udp" : "tcp") + ":" + hostAddress.getHostAddress() + ":" + hostPort + "-"
                + (guestAddress == null ? "" : guestAddress.getHostAddress()) + ":" + guestPort;
    }
}
