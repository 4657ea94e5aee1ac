package dev.jvisor.gdbstub;

import java.net.InetSocketAddress;

/**
 * Where the stub listens, as {@code --gdb} takes it: {@code tcp:HOST:PORT}, {@code tcp::PORT} or
 * {@code :PORT} (loopback), or a bare {@code PORT}. Only loopback is the default: the stub gives
 * full control of the guest to whoever connects.
 */
public record GdbAddress(String host, int port) {
    public GdbAddress {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("--gdb: port " + port + " is not 0 to 65535");
        }
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("--gdb: no host");
        }
    }

    /** @throws IllegalArgumentException naming what is wrong with {@code text} */
    public static GdbAddress parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.startsWith("tcp:")) {
            t = t.substring(4);
        } else if (t.matches("[a-z]+:.*") && !t.matches("[0-9.]+:.*") && !t.startsWith("localhost:")) {
            throw new IllegalArgumentException("--gdb '" + text + "': only tcp:HOST:PORT is supported");
        }
        int colon = t.lastIndexOf(':');
        String host = colon < 0 ? "" : t.substring(0, colon);
        String port = colon < 0 ? t : t.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new GdbAddress(host.isEmpty() ? "127.0.0.1" : host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--gdb '" + text + "': '" + port + "' is not a port number"
                    + " (expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:1234)");
        }
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }
}
