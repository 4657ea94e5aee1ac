package dev.jvisor.hypervisor;

/**
 * How devices raise interrupts, whatever the back end: global system interrupt (GSI) lines as the
 * IOAPIC numbers them (0–23; 0–15 are also the 8259 pair's ISA IRQs) and message-signalled
 * interrupts. Thread-safe: devices call it from their own threads.
 */
public interface InterruptLines {
    /** Drives line {@code gsi} to the given level. Edge-triggered devices raise then lower it. */
    void setLevel(int gsi, boolean high);

    /** A rising then falling edge on {@code gsi}. */
    default void pulse(int gsi) {
        setLevel(gsi, true);
        setLevel(gsi, false);
    }

    /** Delivers an MSI: {@code address} in the 0xFEExxxxx window, {@code data} as the PCI spec. */
    void signalMsi(long address, int data);
}
