package dev.jvisor.vmm;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The test side of a guest's serial console: collects everything the guest prints and lets a test
 * wait for text and type commands (through the UART's input, as a user at the terminal would).
 */
final class GuestConsole extends OutputStream {
    private final StringBuilder text = new StringBuilder();
    private int mark;
    private VirtualMachine vm;

    void attach(VirtualMachine vm) {
        this.vm = vm;
    }

    @Override
    public synchronized void write(int b) {
        text.append((char) (b & 0xff));
        notifyAll();
    }

    /** Everything printed so far. */
    synchronized String all() {
        return text.toString();
    }

    /**
     * Waits until {@code needle} appears after the current mark; returns the text from the mark to
     * the end of the needle and moves the mark there.
     */
    synchronized String waitFor(String needle, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            int i = text.indexOf(needle, mark);
            if (i >= 0) {
                String out = text.substring(mark, i + needle.length());
                mark = i + needle.length();
                return out;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out waiting for '" + needle + "'; console tail:\n"
                        + text.substring(Math.max(0, text.length() - 3000)));
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Types a line into the guest's console. */
    void type(String line) throws InterruptedException {
        vm.console().enqueueInput((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Runs a shell command and returns its output: the command is wrapped so its output ends with
     * a unique marker line, which works whatever the prompt looks like.
     */
    String run(String command, long timeoutSeconds) throws InterruptedException {
        String end = "END-" + Long.toHexString(System.nanoTime());
        // The terminal echoes the typed line with the quotes; only the command's output has the
        // marker without them.
        String quoted = end.substring(0, 4) + "''" + end.substring(4);
        type(command + "; echo " + quoted);
        waitFor(quoted, 30, TimeUnit.SECONDS);
        String out = waitFor(end, timeoutSeconds, TimeUnit.SECONDS);
        return out.substring(0, out.length() - end.length());
    }
}
