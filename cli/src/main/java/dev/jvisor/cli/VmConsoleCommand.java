package dev.jvisor.cli;

import dev.jvisor.server.api.RestApi;
import dev.jvisor.server.client.ApiClient;
import dev.jvisor.vmm.VmException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code jvisor vm console NAME}: attaches this terminal to a VM's serial console through the daemon
 * (the API's console upgrade). The terminal is put in raw mode, so keys such as Ctrl-C reach the
 * guest; {@code Ctrl-]} detaches (the VM keeps running), as in telnet and virsh.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = "Attach to a VM's serial console (Ctrl-] detaches; the VM keeps running).")
final class VmConsoleCommand implements Callable<Integer> {
    static final int DETACH = 0x1d; // Ctrl-]

    @Mixin
    ClientOptions client = new ClientOptions();

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
        ApiClient.Open conn;
        try {
            conn = client.client().open("GET", "/v1/vms/" + VmCommand.encode(name) + "/console", null,
                    Map.of("Connection", "Upgrade", "Upgrade", RestApi.CONSOLE_PROTOCOL));
        } catch (IOException e) {
            throw new VmException("cannot reach the jvisor daemon (" + client.where() + "): " + e.getMessage());
        }
        if (conn.status() != 101) {
            String body = new String(conn.in().readAllBytes(), StandardCharsets.UTF_8);
            conn.close();
            String message = body;
            try {
                message = dev.jvisor.server.json.Json.mapper().readTree(body).get("error").asText();
            } catch (IOException | NullPointerException e) {
                // not the daemon's JSON: show it as it is
            }
            throw new VmException(message);
        }
        boolean terminal = System.console() != null && System.console().isTerminal();
        String saved = terminal ? stty("-g") : null;
        if (saved != null) {
            stty("raw", "-echo");
        }
        System.err.print("jvisor: attached to " + name + "'s console; Ctrl-] detaches" + (terminal ? "\r\n" : "\n"));
        try (conn) {
            Thread keys = Thread.ofPlatform().daemon().name("console-keys").start(() -> pumpKeys(System.in, conn, terminal));
            byte[] buf = new byte[4096];
            InputStream in = conn.in();
            for (int n; (n = in.read(buf)) > 0; ) {
                System.out.write(buf, 0, n);
                System.out.flush();
            }
            keys.interrupt();
        } catch (IOException e) {
            // detached: the connection was closed from our side
        } finally {
            if (saved != null) {
                stty(saved);
            }
        }
        System.err.println((terminal ? "\r\n" : "") + "jvisor: detached from " + name);
        return 0;
    }

    private static void pumpKeys(InputStream stdin, ApiClient.Open conn, boolean terminal) {
        byte[] buf = new byte[256];
        try {
            OutputStream out = conn.out();
            for (int n; (n = stdin.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (terminal && (buf[i] & 0xff) == DETACH) {
                        out.write(buf, 0, i);
                        out.flush();
                        conn.close();
                        return;
                    }
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the console ended
        }
    }

    /** Runs {@code stty} on the controlling terminal; its output, or null if it failed. */
    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
