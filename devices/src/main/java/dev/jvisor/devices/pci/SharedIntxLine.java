package dev.jvisor.devices.pci;

import dev.jvisor.hypervisor.InterruptLines;

/**
 * A level-triggered INTx line shared by several PCI functions: wired-OR, high while at least one of
 * them asserts it (PCI Local Bus Specification 3.0, section 2.2.6: INTx# are open-drain and shareable).
 */
final class SharedIntxLine {
    private final InterruptLines interrupts;
    private final int gsi;
    private int asserting;

    SharedIntxLine(InterruptLines interrupts, int gsi) {
        this.interrupts = interrupts;
        this.gsi = gsi;
    }

    int gsi() {
        return gsi;
    }

    /** One function started ({@code true}) or stopped asserting the line. */
    synchronized void change(boolean asserted) {
        if (asserted) {
            if (asserting++ == 0) {
                interrupts.setLevel(gsi, true);
            }
        } else if (asserting > 0 && --asserting == 0) {
            interrupts.setLevel(gsi, false);
        }
    }
}
