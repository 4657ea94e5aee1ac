package dev.jvisor.server.manager;

import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A VM's serial console output, written by the UART on a vCPU thread: recorded in the VM's
 * {@link RotatingLog} and copied to every attached {@link ConsoleTap} (console sessions). Never
 * blocks the vCPU: a tap that is full drops output.
 */
public final class ConsoleHub extends OutputStream {
    private final RotatingLog log;
    private final List<ConsoleTap> taps = new CopyOnWriteArrayList<>();
    private volatile Runnable onFirstByte;

    public ConsoleHub(RotatingLog log) {
        this.log = log;
    }

    /** Runs {@code action} once, at the next byte the guest writes (the "first output" event). */
    public void onFirstByte(Runnable action) {
        onFirstByte = action;
    }

    @Override
    public void write(int b) {
        Runnable first = onFirstByte;
        if (first != null) {
            onFirstByte = null;
            first.run();
        }
        log.write(b);
        for (ConsoleTap t : taps) {
            t.offer((byte) b);
        }
    }

    @Override
    public void write(byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) {
            write(data[off + i]);
        }
    }

    public ConsoleTap attach(int capacity) {
        ConsoleTap t = new ConsoleTap(capacity);
        taps.add(t);
        return t;
    }

    public void detach(ConsoleTap t) {
        taps.remove(t);
        t.close();
    }

    /** Ends every tap (the VM stopped). */
    public void closeTaps() {
        for (ConsoleTap t : taps) {
            t.close();
        }
        taps.clear();
    }

    public RotatingLog log() {
        return log;
    }

    @Override
    public void flush() {
        log.flush();
    }
}
