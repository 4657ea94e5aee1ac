package dev.jvisor.vmm.bench;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A console sink that notes the moment a given line appears (System.nanoTime), optionally echoing
 * everything to another stream, and keeps the last few KiB for error messages.
 */
public final class LineWatcher extends OutputStream {
    private final String marker;
    private final OutputStream echo;
    private final CompletableFuture<Long> seen = new CompletableFuture<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder tail = new StringBuilder();

    public LineWatcher(String marker, OutputStream echo) {
        this.marker = marker;
        this.echo = echo;
    }

    /** Completes with the System.nanoTime() at which the marker line was complete. */
    public CompletableFuture<Long> seen() {
        return seen;
    }

    @Override
    public synchronized void write(int b) throws java.io.IOException {
        if (echo != null) {
            echo.write(b);
        }
        if (b == '\n') {
            String s = line.toString(StandardCharsets.ISO_8859_1);
            line.reset();
            if (!seen.isDone() && s.contains(marker)) {
                seen.complete(System.nanoTime());
            }
            tail.append(s).append('\n');
            if (tail.length() > 8192) {
                tail.delete(0, tail.length() - 8192);
            }
        } else if (b != '\r') {
            line.write(b);
        }
    }

    @Override
    public void flush() throws java.io.IOException {
        if (echo != null) {
            echo.flush();
        }
    }

    /** The last lines written. */
    public synchronized String tail() {
        return tail.toString() + line.toString(StandardCharsets.ISO_8859_1);
    }
}
