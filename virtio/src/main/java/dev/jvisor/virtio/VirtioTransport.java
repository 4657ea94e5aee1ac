package dev.jvisor.virtio;

/**
 * What a {@link VirtioDevice} may ask of the transport it is bound to (PCI here; MMIO would
 * implement the same). Thread-safe; devices call it from their I/O threads, but never while holding
 * their own queue lock (the transport may take locks of its own, and the transport holds its lock
 * while resetting the device, which waits for the queue lock).
 */
public interface VirtioTransport {
    /** The device put buffers in the used ring of queue {@code queueIndex} and the driver wants to know. */
    void signalQueue(int queueIndex);

    /**
     * The device configuration changed (section 2.5.1): bumps the configuration generation and,
     * once the driver is running, raises a configuration change interrupt.
     */
    void signalConfigChange();

    /**
     * The device hit an error it cannot recover from (a malformed chain): sets DEVICE_NEEDS_RESET
     * and raises a configuration change interrupt (section 2.1.2). {@code reason} is logged.
     */
    void deviceNeedsReset(String reason);
}
