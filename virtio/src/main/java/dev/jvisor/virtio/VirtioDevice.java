package dev.jvisor.virtio;

/**
 * A virtio device, independent of the transport that carries it (architecture rule 5): its type,
 * the features it offers, its configuration space, its queues, and the lifecycle the transport
 * drives from the driver's status writes (virtio 1.2 section 3.1).
 *
 * <p>Lifecycle: {@link #bind} once, then any number of rounds of {@link #activate} (at DRIVER_OK)
 * and {@link #reset} (status 0, or the transport going away); {@link #close} at the end. Queue
 * notifications arrive through {@link #queueNotified} on the vCPU thread that wrote them.
 *
 * <p>Threading: {@link #readConfig}/{@link #writeConfig}/{@link #activate}/{@link #reset} are
 * serialised by the transport; {@link #queueNotified} may come from any vCPU at any time.
 */
public interface VirtioDevice extends AutoCloseable {
    DeviceType type();

    /**
     * The feature bits the device offers, device-specific and generic ones it supports
     * ({@link VirtioFeatures#INDIRECT_DESC}, {@link VirtioFeatures#EVENT_IDX}). The transport adds
     * {@link VirtioFeatures#VERSION_1}.
     */
    long offeredFeatures();

    /**
     * Whether the device can work with the features the driver accepted (a subset of the offered
     * ones): the transport clears FEATURES_OK if not (section 2.2.2, 3.1.1 step 6).
     */
    default boolean acceptsFeatures(long driverFeatures) {
        return true;
    }

    /** Number of virtqueues. */
    int queueCount();

    /** The largest size the driver may give queue {@code index} (a power of two up to 32768). */
    int maxQueueSize(int index);

    /** Bytes of device-specific configuration space. */
    int configSize();

    /**
     * Reads {@code size} (1, 2, 4 or 8) bytes of configuration space at {@code offset}; the
     * transport has checked that they lie inside {@link #configSize()}.
     */
    long readConfig(int offset, int size);

    /** Writes configuration space; read-only fields ignore the write. Checked like {@link #readConfig}. */
    void writeConfig(int offset, int size, long value);

    /** Connects the device to its transport, once, before anything else. */
    void bind(VirtioTransport transport);

    /** The driver set DRIVER_OK: start using the queues. */
    void activate(Activation activation);

    /** The driver notified queue {@code index} (an index the device may not have: ignore it then). */
    void queueNotified(int index);

    /**
     * Stops all work and forgets the driver's setup (section 2.4, 4.1.4.3.2): when this returns,
     * the device no longer touches guest memory. (A signal already on its way to the transport may
     * still arrive; the transport drops signals while the driver is not running.)
     */
    void reset();

    /** Releases host resources (threads, back ends). The device is not used afterwards. */
    @Override
    void close();
}
