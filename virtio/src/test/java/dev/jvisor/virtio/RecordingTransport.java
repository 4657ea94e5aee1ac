package dev.jvisor.virtio;

import java.util.ArrayList;
import java.util.List;

/** A transport for device tests without PCI: records every signal. */
public final class RecordingTransport implements VirtioTransport {
    private final List<Integer> queueSignals = new ArrayList<>();
    private final List<String> resets = new ArrayList<>();
    private int configChanges;

    @Override
    public synchronized void signalQueue(int queueIndex) {
        queueSignals.add(queueIndex);
        notifyAll();
    }

    @Override
    public synchronized void signalConfigChange() {
        configChanges++;
    }

    @Override
    public synchronized void deviceNeedsReset(String reason) {
        resets.add(reason);
        notifyAll();
    }

    public synchronized List<Integer> queueSignals() {
        return List.copyOf(queueSignals);
    }

    public synchronized List<String> needsResetReasons() {
        return List.copyOf(resets);
    }

    public synchronized int configChanges() {
        return configChanges;
    }

    /** Waits (bounded) until {@code count} queue signals or a needs-reset arrived; returns whether they did. */
    public synchronized boolean awaitSignals(int count, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (queueSignals.size() < count && resets.isEmpty()) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return queueSignals.size() >= count;
    }
}
