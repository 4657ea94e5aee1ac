package dev.jvisor.devices;

import dev.jvisor.hypervisor.InterruptLines;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Remembers the level of every line and each change, for register-level device tests. */
public final class RecordingInterruptLines implements InterruptLines {
    private final Map<Integer, Boolean> levels = new HashMap<>();
    private final List<String> changes = new ArrayList<>();

    @Override
    public synchronized void setLevel(int gsi, boolean high) {
        levels.put(gsi, high);
        changes.add(gsi + (high ? "+" : "-"));
    }

    @Override
    public synchronized void signalMsi(long address, int data) {
        changes.add(String.format("msi %x:%x", address, data));
    }

    public synchronized boolean isHigh(int gsi) {
        return levels.getOrDefault(gsi, false);
    }

    /** Changes so far, as "4+" / "4-", oldest first. */
    public synchronized List<String> changes() {
        return List.copyOf(changes);
    }

    public synchronized void clearChanges() {
        changes.clear();
    }
}
