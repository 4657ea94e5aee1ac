package dev.jvisor.server.manager;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only log file rotated by size: when writing would take {@code name} past
 * {@code maxBytes}, {@code name.N-1} becomes {@code name.N} (the oldest, {@code name.keep}, is
 * dropped), {@code name} becomes {@code name.1}, and a new {@code name} is started. Output is
 * buffered and flushed at each line end and by {@link #flush()}.
 *
 * <p>Thread-safe. An I/O error disables the log (reported once through the return of
 * {@link #failure()}) instead of disturbing the VM whose console it records.
 */
public final class RotatingLog implements AutoCloseable {
    private final Path file;
    private final long maxBytes;
    private final int keep;
    private OutputStream out;
    private long size;
    private IOException failure;
    private boolean closed;

    /**
     * @param file     the current log
     * @param maxBytes size at which it rotates (at least 1 KiB)
     * @param keep     rotated files kept (0 keeps none)
     */
    public RotatingLog(Path file, long maxBytes, int keep) throws IOException {
        if (maxBytes < 1024 || keep < 0) {
            throw new IllegalArgumentException("a log must rotate at 1 KiB or more and keep 0 or more files");
        }
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        Files.createDirectories(file.toAbsolutePath().getParent());
        open();
    }

    private void open() throws IOException {
        out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), 8192);
        size = Files.size(file);
    }

    public synchronized void write(int b) {
        if (closed || failure != null) {
            return;
        }
        try {
            if (size + 1 > maxBytes) {
                rotate();
            }
            out.write(b);
            size++;
            if (b == '\n') {
                out.flush();
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    public synchronized void write(byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) {
            write(data[off + i]);
        }
    }

    private void rotate() throws IOException {
        out.close();
        if (keep == 0) {
            Files.deleteIfExists(file);
        } else {
            Files.deleteIfExists(rotated(keep));
            for (int i = keep - 1; i >= 1; i--) {
                if (Files.exists(rotated(i))) {
                    Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    /** The current file and the rotated ones that exist, newest first. */
    public List<Path> files() {
        List<Path> all = new ArrayList<>();
        all.add(file);
        for (int i = 1; i <= keep; i++) {
            if (Files.exists(rotated(i))) {
                all.add(rotated(i));
            }
        }
        return all;
    }

    /**
     * The last {@code maxBytes} bytes logged (across the current and rotated files), oldest first.
     */
    public synchronized byte[] tail(int maxBytes) throws IOException {
        flush();
        List<Path> files = files();
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        long need = maxBytes;
        List<byte[]> parts = new ArrayList<>();
        for (Path p : files) {
            if (need <= 0 || !Files.exists(p)) {
                break;
            }
            byte[] all = Files.readAllBytes(p);
            int from = (int) Math.max(0, all.length - need);
            parts.addFirst(java.util.Arrays.copyOfRange(all, from, all.length));
            need -= all.length - from;
        }
        parts.forEach(b::writeBytes);
        return b.toByteArray();
    }

    public synchronized void flush() {
        if (out != null && failure == null && !closed) {
            try {
                out.flush();
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    /** The I/O error that stopped the log, or null. */
    public synchronized IOException failure() {
        return failure;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            flush();
            closed = true;
            try {
                out.close();
            } catch (IOException e) {
                failure = e;
            }
        }
    }
}
