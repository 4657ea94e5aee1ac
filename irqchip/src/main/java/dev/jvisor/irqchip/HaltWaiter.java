package dev.jvisor.irqchip;

import java.util.concurrent.locks.LockSupport;

/**
 * Where a halted vCPU thread sleeps until its local APIC has something for it, its deadline passes,
 * or someone kicks it. Parking instead of a monitor keeps {@link #signal()} (called with the APIC's
 * lock held, possibly from a device thread) cheap and allocation-free.
 */
final class HaltWaiter {
    private volatile Thread sleeper;
    private volatile boolean kicked;

    /** The APIC gained an event: let the sleeper re-check. */
    void signal() {
        Thread t = sleeper;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Makes the current (or the next) {@link #await} return at once. */
    void kick() {
        kicked = true;
        signal();
    }

    /**
     * Blocks the calling vCPU thread until {@code apic} has an event ({@code EVENT_INTERRUPT} only
     * if {@code maskableAccepted}), guest time reaches {@code deadlineNanos}, {@link #kick()} is
     * called, or the thread is interrupted (its interrupt status is left set).
     */
    void await(LocalApic apic, VirtualClock clock, long deadlineNanos, boolean maskableAccepted) {
        int wanted = maskableAccepted ? -1 : ~LocalApic.EVENT_INTERRUPT;
        Thread self = Thread.currentThread();
        sleeper = self;
        try {
            while (true) {
                if (kicked) {
                    kicked = false;
                    return;
                }
                if ((apic.pendingEvents() & wanted) != 0 || self.isInterrupted()) {
                    return;
                }
                long now = clock.nanos();
                if (now >= deadlineNanos) {
                    return;
                }
                // Guest time runs at host speed (or stands still while paused, when the loop just
                // re-checks), so the remaining guest time is a fair host sleep.
                LockSupport.parkNanos(this, deadlineNanos - now);
            }
        } finally {
            sleeper = null;
        }
    }
}
