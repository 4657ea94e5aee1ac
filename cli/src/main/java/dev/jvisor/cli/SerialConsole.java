package dev.jvisor.cli;

import dev.jvisor.devices.serial.Uart16550;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VirtualMachine;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Connects a VM's serial console to this process's terminal: guest output to stdout, keystrokes to
 * the UART. When stdin is a terminal it is put in raw mode (so Ctrl-C reaches the guest) and
 * {@code Ctrl-A x} quits; {@code Ctrl-A Ctrl-A} sends a literal Ctrl-A. The terminal settings are
 * restored on exit, including on abnormal exits (a shutdown hook).
 */
final class SerialConsole implements AutoCloseable {
    /** Guest output: buffered, flushed at line ends and by a timer so partial lines appear too. */
    static final class Output extends OutputStream {
        private final OutputStream out = new FileOutputStream(FileDescriptor.out);
        private final byte[] buf = new byte[8192];
        private int len;
        private final Thread flusher;
        private volatile boolean closed;

        Output() {
            flusher = Thread.ofVirtual().name("console-flush").start(() -> {
                while (!closed) {
                    try {
                        Thread.sleep(20);
                        flush();
                    } catch (InterruptedException | IOException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public synchronized void write(int b) throws IOException {
            if (len == buf.length) {
                flush();
            }
            buf[len++] = (byte) b;
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            if (len > 0) {
                out.write(buf, 0, len);
                len = 0;
            }
            out.flush();
        }

        @Override
        public void close() throws IOException {
            closed = true;
            flusher.interrupt();
            flush();
        }
    }

    private final boolean terminal;
    private String savedStty;
    private Thread inputThread;
    private Thread restoreHook;

    SerialConsole() {
        this.terminal = System.console() != null && System.console().isTerminal();
    }

    boolean isTerminal() {
        return terminal;
    }

    /** Starts forwarding stdin to the VM's UART. */
    void attach(VirtualMachine vm) {
        if (terminal) {
            savedStty = stty("-g");
            if (savedStty != null) {
                stty("raw", "-echo");
                restoreHook = new Thread(this::restoreTerminal, "console-restore");
                Runtime.getRuntime().addShutdownHook(restoreHook);
            }
        }
        Uart16550 uart = vm.console();
        inputThread = Thread.ofPlatform().daemon().name("console-input").start(() -> pump(System.in, uart, vm));
    }

    private void pump(InputStream in, Uart16550 uart, VirtualMachine vm) {
        byte[] buf = new byte[256];
        EscapeFilter escapes = new EscapeFilter();
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return; // end of input: the guest keeps running
                }
                // Escape keys only on a terminal: piped input is passed through byte for byte.
                byte[] out = terminal ? escapes.filter(buf, n) : java.util.Arrays.copyOf(buf, n);
                if (out.length > 0) {
                    uart.enqueueInput(out);
                }
                if (escapes.quitRequested()) {
                    vm.stop(new ExitReason.Stopped("Ctrl-A x on the console"));
                    return;
                }
            }
        } catch (IOException e) {
            // stdin closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void restoreTerminal() {
        if (savedStty != null) {
            stty(savedStty);
            savedStty = null;
        }
    }

    @Override
    public void close() {
        restoreTerminal();
        if (restoreHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    /** Runs {@code stty} on the controlling terminal; returns its output, or null if it failed. */
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
