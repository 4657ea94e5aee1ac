package dev.jvisor.hypervisor;

import dev.jvisor.memory.GuestMemory;
import java.util.List;

/**
 * One virtual machine on a back end: its vCPUs, its memory and its interrupt controller.
 *
 * <p>Both back ends provide the PC platform's interrupt and timer hardware themselves (KVM in the
 * kernel, the emulator in Java): local APICs, IOAPIC, the 8259 pair and the 8254 PIT. Devices reach
 * them only through {@link #interrupts()}.
 */
public interface Vm extends AutoCloseable {
    GuestMemory memory();

    /** The vCPUs, index 0 being the bootstrap processor. */
    List<? extends Vcpu> vcpus();

    /** Interrupt lines and MSI delivery. */
    InterruptLines interrupts();

    /**
     * The guest's monotonic time in nanoseconds, the time base of timer devices (ACPI PM timer).
     * Hardware back ends run in host time; the emulator's time stops while the VM is paused.
     */
    default long guestNanos() {
        return System.nanoTime();
    }

    /**
     * Releases the VM's host resources (file descriptors, mappings, threads). The vCPUs must not be
     * running. Guest memory is not closed here; it belongs to the caller.
     */
    @Override
    void close();
}
