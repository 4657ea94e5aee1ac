package dev.jvisor.vmm.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A guest console sink for benchmarks: when a line starting with a registered marker is complete it
 * takes a {@link HostSample} (wall clock and CPU time) at that moment, so the host can measure what
 * happened between two lines the guest printed. Keeps the last few KiB for error messages and can
 * echo everything to another stream.
 */
public final class ConsoleMarkers extends OutputStream {
    private final OutputStream echo;
    private final Map<String, CompletableFuture<Seen>> markers = new ConcurrentHashMap<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder tail = new StringBuilder();
    private final HostSample.Source clock;

    /** A marker line as seen: its full text and the host sample taken when it was complete. */
    public record Seen(String line, HostSample sample) {
    }

    public ConsoleMarkers(OutputStream echo, HostSample.Source clock) {
        this.echo = echo;
        this.clock = clock;
    }

    /** The first line starting with {@code prefix} from now on (register before the guest prints it). */
    public CompletableFuture<Seen> expect(String prefix) {
        return markers.computeIfAbsent(prefix, p -> new CompletableFuture<>());
    }

    /** Waits for a marker registered with {@link #expect}. */
    public Seen await(String prefix, long timeoutSeconds) throws IOException, InterruptedException {
        try {
            return expect(prefix).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IOException("the guest did not print '" + prefix + "' within " + timeoutSeconds
                    + " s; last console output:\n" + tail());
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (echo != null) {
            echo.write(b);
        }
        if (b == '\n') {
            String s = line.toString(StandardCharsets.ISO_8859_1);
            line.reset();
            for (Map.Entry<String, CompletableFuture<Seen>> m : markers.entrySet()) {
                if (!m.getValue().isDone() && s.startsWith(m.getKey())) {
                    m.getValue().complete(new Seen(s, clock.sample()));
                }
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
    public void flush() throws IOException {
        if (echo != null) {
            echo.flush();
        }
    }

    /** The last lines written. */
    public synchronized String tail() {
        return tail + line.toString(StandardCharsets.ISO_8859_1);
    }
}
