package dev.jvisor.virtio;

import dev.jvisor.hypervisor.InterruptLines;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Remembers line levels and MSIs, for transport tests. */
public final class RecordingInterrupts implements InterruptLines {
    /** One MSI as delivered. */
    public record Msi(long address, int data) {
    }

    private final Map<Integer, Boolean> levels = new HashMap<>();
    private final List<Msi> msis = new ArrayList<>();

    @Override
    public synchronized void setLevel(int gsi, boolean high) {
        levels.put(gsi, high);
    }

    @Override
    public synchronized void signalMsi(long address, int data) {
        msis.add(new Msi(address, data));
    }

    public synchronized boolean isHigh(int gsi) {
        return levels.getOrDefault(gsi, false);
    }

    public synchronized List<Msi> msis() {
        return List.copyOf(msis);
    }

    public synchronized void clear() {
        msis.clear();
    }
}
