package dev.jvisor.irqchip;

/**
 * The 3-bit delivery-mode encodings shared by the local APIC's ICR and LVT entries, the IOAPIC's
 * redirection entries and MSI data (Intel SDM Vol. 3A 10.5.1, 10.6.1, 10.11.2; 82093AA datasheet
 * 3.2.4). Plain {@code int} constants so that routing an interrupt never allocates.
 */
final class DeliveryMode {
    static final int FIXED = 0;
    static final int LOWEST_PRIORITY = 1;
    static final int SMI = 2;
    static final int NMI = 4;
    static final int INIT = 5;
    static final int STARTUP = 6;
    static final int EXTINT = 7;

    private DeliveryMode() {
    }
}
