package dev.jvisor.server.firecracker;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

/**
 * The log that Firecracker's {@code PUT /logger} configures: one line per API request and event,
 * filtered by level ({@code Error < Warning < Info < Debug < Trace}; {@code Off} logs nothing).
 * Appends to a file or writes into a named pipe, as Firecracker does.
 */
final class ApiLog implements AutoCloseable {
    private static final List<String> LEVELS = List.of("Off", "Error", "Warning", "Info", "Debug", "Trace");
    private Writer out;
    private int level;
    private boolean showLevel;

    synchronized void open(Path path, String levelName, boolean withLevel) throws IOException {
        int l = -1;
        for (int i = 0; i < LEVELS.size(); i++) {
            if (LEVELS.get(i).equalsIgnoreCase(levelName)) {
                l = i;
            }
        }
        if (l < 0) {
            throw new IllegalArgumentException("level must be one of " + LEVELS + ", not " + levelName);
        }
        close();
        out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        level = l;
        showLevel = withLevel;
    }

    synchronized void write(String levelName, String message) {
        if (out == null || LEVELS.indexOf(levelName) > level || LEVELS.indexOf(levelName) <= 0) {
            return;
        }
        try {
            out.write(Instant.now() + " [anonymous-instance:jvisor]" + (showLevel ? " " + levelName.toUpperCase() + ":" : "")
                    + " " + message + "\n");
            out.flush();
        } catch (IOException e) {
            out = null; // a reader that went away must not break the API
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // nothing to do
            }
            out = null;
        }
    }
}
