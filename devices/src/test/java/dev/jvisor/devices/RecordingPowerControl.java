package dev.jvisor.devices;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts power-off and reset requests. */
public final class RecordingPowerControl implements PowerControl {
    public final AtomicInteger powerOffs = new AtomicInteger();
    public final AtomicInteger resets = new AtomicInteger();

    @Override
    public void powerOff() {
        powerOffs.incrementAndGet();
    }

    @Override
    public void reset() {
        resets.incrementAndGet();
    }
}
