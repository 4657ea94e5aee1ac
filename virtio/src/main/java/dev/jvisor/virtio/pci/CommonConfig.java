package dev.jvisor.virtio.pci;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.Activation;
import dev.jvisor.virtio.DeviceStatus;
import dev.jvisor.virtio.VirtioDevice;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.QueueLayout;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common configuration structure of the modern virtio-pci transport (virtio 1.2 section
 * 4.1.4.3, {@code struct virtio_pci_common_cfg}): feature negotiation through the select windows,
 * the device status state machine, and the per-queue registers.
 *
 * <p>Fields are accessed at their natural width (section 4.1.3.1: 8-, 16- and 32-bit fields with
 * accesses of their size; 64-bit queue addresses as two 32-bit halves or one 64-bit access).
 * Other accesses read as zero and are ignored.
 *
 * <p>Not thread-safe: the owning {@link VirtioPciDevice} holds its lock around every call.
 */
final class CommonConfig {
    // Field offsets (section 4.1.4.3).
    static final int DEVICE_FEATURE_SELECT = 0x00;
    static final int DEVICE_FEATURE = 0x04;
    static final int DRIVER_FEATURE_SELECT = 0x08;
    static final int DRIVER_FEATURE = 0x0C;
    static final int CONFIG_MSIX_VECTOR = 0x10;
    static final int NUM_QUEUES = 0x12;
    static final int DEVICE_STATUS = 0x14;
    static final int CONFIG_GENERATION = 0x15;
    static final int QUEUE_SELECT = 0x16;
    static final int QUEUE_SIZE = 0x18;
    static final int QUEUE_MSIX_VECTOR = 0x1A;
    static final int QUEUE_ENABLE = 0x1C;
    static final int QUEUE_NOTIFY_OFF = 0x1E;
    static final int QUEUE_DESC = 0x20;
    static final int QUEUE_DRIVER = 0x28;
    static final int QUEUE_DEVICE = 0x30;
    static final int QUEUE_NOTIFY_DATA = 0x38;
    static final int QUEUE_RESET = 0x3A;
    /** Bytes of the structure as virtio 1.2 defines it, rounded up to a DWORD. */
    static final int LENGTH = 0x3C;

    /** "No vector" for the MSI-X vector registers (section 4.1.5.1.2). */
    static final int NO_VECTOR = 0xFFFF;

    /** The transport services this structure needs. */
    interface Host {
        GuestMemory memory();

        /** Vectors in the MSI-X table; vector numbers at or above it are refused. */
        int msixVectors();

        /** Status went to 0: clear ISR, deassert INTx. */
        void transportReset();

        /** DEVICE_NEEDS_RESET was set by the transport itself: raise a configuration interrupt. */
        void raiseConfigChange();
    }

    private static final Logger LOG = LoggerFactory.getLogger(CommonConfig.class);

    private final VirtioDevice device;
    private final Host host;
    private final String name;
    private final int queueCount;
    private final long offeredFeatures;

    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int status;
    private boolean needsReset;
    private int generation;
    private int configVector = NO_VECTOR;
    private int queueSelect;
    private final int[] queueSize;
    private final int[] queueVector;
    private final boolean[] queueEnabled;
    private final long[] queueDesc;
    private final long[] queueDriver;
    private final long[] queueDevice;

    CommonConfig(VirtioDevice device, Host host, String name) {
        this.device = device;
        this.host = host;
        this.name = name;
        this.queueCount = device.queueCount();
        // Section 6: bits 0-23 and 50-63 are device-specific; of the reserved bits 24-49 only the
        // split-ring options SplitQueue implements pass, and VERSION_1 is always offered.
        long deviceBits = 0x0000_0000_00FF_FFFFL | 0xFFFC_0000_0000_0000L;
        long generic = VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX;
        this.offeredFeatures = (device.offeredFeatures() & (deviceBits | generic)) | VirtioFeatures.VERSION_1;
        queueSize = new int[queueCount];
        queueVector = new int[queueCount];
        queueEnabled = new boolean[queueCount];
        queueDesc = new long[queueCount];
        queueDriver = new long[queueCount];
        queueDevice = new long[queueCount];
        for (int q = 0; q < queueCount; q++) {
            int max = device.maxQueueSize(q);
            if (max < 1 || max > QueueLayout.MAX_SIZE || Integer.bitCount(max) != 1) {
                throw new IllegalArgumentException(name + ": queue " + q + " has maximum size " + max
                        + ", not a power of two up to " + QueueLayout.MAX_SIZE);
            }
        }
        resetRegisters();
    }

    /** The features the transport offers: the device's, filtered to what is implemented, plus VERSION_1. */
    long offeredFeatures() {
        return offeredFeatures;
    }

    long driverFeatures() {
        return driverFeatures;
    }

    /** The status the driver reads, DEVICE_NEEDS_RESET included. */
    int status() {
        return status | (needsReset ? DeviceStatus.DEVICE_NEEDS_RESET : 0);
    }

    boolean driverOk() {
        return (status & DeviceStatus.DRIVER_OK) != 0 && !needsReset;
    }

    int configVector() {
        return configVector;
    }

    /** The MSI-X vector of queue {@code q}, or {@link #NO_VECTOR}. */
    int queueVector(int q) {
        return q >= 0 && q < queueCount ? queueVector[q] : NO_VECTOR;
    }

    int generation() {
        return generation;
    }

    /** The device configuration changed (section 4.1.4.3.1: config_generation changes with it). */
    void bumpGeneration() {
        generation = (generation + 1) & 0xFF;
    }

    /** Sets DEVICE_NEEDS_RESET; returns false if it was already set or the device is in reset. */
    boolean markNeedsReset() {
        if (needsReset || status == 0) {
            return false;
        }
        needsReset = true;
        return true;
    }

    long read(int offset, int size) {
        int q = queueSelect;
        boolean queueValid = q < queueCount;
        return switch (field(offset, size)) {
            case DEVICE_FEATURE_SELECT -> deviceFeatureSelect & 0xFFFF_FFFFL;
            case DEVICE_FEATURE -> featureWindow(offeredFeatures, deviceFeatureSelect);
            case DRIVER_FEATURE_SELECT -> driverFeatureSelect & 0xFFFF_FFFFL;
            case DRIVER_FEATURE -> featureWindow(driverFeatures, driverFeatureSelect);
            case CONFIG_MSIX_VECTOR -> configVector;
            case NUM_QUEUES -> queueCount;
            case DEVICE_STATUS -> status();
            case CONFIG_GENERATION -> generation;
            case QUEUE_SELECT -> q;
            case QUEUE_SIZE -> queueValid ? queueSize[q] : 0;
            case QUEUE_MSIX_VECTOR -> queueValid ? queueVector[q] : NO_VECTOR;
            case QUEUE_ENABLE -> queueValid && queueEnabled[q] ? 1 : 0;
            case QUEUE_NOTIFY_OFF -> queueValid ? q : 0;
            case QUEUE_DESC -> queueValid ? part(queueDesc[q], offset, size) : 0;
            case QUEUE_DRIVER -> queueValid ? part(queueDriver[q], offset, size) : 0;
            case QUEUE_DEVICE -> queueValid ? part(queueDevice[q], offset, size) : 0;
            default -> 0; // queue_notify_data and queue_reset belong to features not offered; bad widths
        };
    }

    void write(int offset, int size, long value) {
        int q = queueSelect;
        boolean queueValid = q < queueCount;
        switch (field(offset, size)) {
            case DEVICE_FEATURE_SELECT -> deviceFeatureSelect = (int) value;
            case DRIVER_FEATURE_SELECT -> driverFeatureSelect = (int) value;
            case DRIVER_FEATURE -> writeDriverFeatures(value);
            case CONFIG_MSIX_VECTOR -> configVector = acceptVector((int) value);
            case DEVICE_STATUS -> writeStatus((int) value & 0xFF);
            case QUEUE_SELECT -> queueSelect = (int) value & 0xFFFF;
            case QUEUE_SIZE -> {
                if (queueWritable(q, "queue_size")) {
                    queueSize[q] = (int) value & 0xFFFF; // checked against the maximum at DRIVER_OK
                }
            }
            case QUEUE_MSIX_VECTOR -> {
                if (queueValid) {
                    queueVector[q] = acceptVector((int) value);
                }
            }
            case QUEUE_ENABLE -> {
                // Section 4.1.4.3.2: the driver MUST NOT write 0; enabling is one-way until reset.
                if ((value & 1) != 0 && queueWritable(q, "queue_enable")) {
                    queueEnabled[q] = true;
                }
            }
            case QUEUE_DESC -> {
                if (queueWritable(q, "queue_desc")) {
                    queueDesc[q] = merge(queueDesc[q], offset, size, value);
                }
            }
            case QUEUE_DRIVER -> {
                if (queueWritable(q, "queue_driver")) {
                    queueDriver[q] = merge(queueDriver[q], offset, size, value);
                }
            }
            case QUEUE_DEVICE -> {
                if (queueWritable(q, "queue_device")) {
                    queueDevice[q] = merge(queueDevice[q], offset, size, value);
                }
            }
            default -> LOG.debug("{}: ignoring common config write of {} bytes at 0x{}", name, size,
                    Integer.toHexString(offset));
        }
    }

    /** The field an access of {@code size} bytes at {@code offset} reaches, or -1 if it is not a natural access. */
    private static int field(int offset, int size) {
        return switch (offset) {
            case DEVICE_FEATURE_SELECT, DEVICE_FEATURE, DRIVER_FEATURE_SELECT, DRIVER_FEATURE -> size == 4 ? offset : -1;
            case CONFIG_MSIX_VECTOR, NUM_QUEUES, QUEUE_SELECT, QUEUE_SIZE, QUEUE_MSIX_VECTOR, QUEUE_ENABLE,
                    QUEUE_NOTIFY_OFF, QUEUE_NOTIFY_DATA, QUEUE_RESET -> size == 2 ? offset : -1;
            case DEVICE_STATUS, CONFIG_GENERATION -> size == 1 ? offset : -1;
            case QUEUE_DESC, QUEUE_DRIVER, QUEUE_DEVICE -> size == 4 || size == 8 ? offset : -1;
            case QUEUE_DESC + 4, QUEUE_DRIVER + 4, QUEUE_DEVICE + 4 -> size == 4 ? offset - 4 : -1;
            default -> -1;
        };
    }

    private static long featureWindow(long features, int select) {
        return switch (select) {
            case 0 -> features & 0xFFFF_FFFFL;
            case 1 -> features >>> 32;
            default -> 0;
        };
    }

    private static long part(long value, int offset, int size) {
        if (size == 8) {
            return value;
        }
        return (offset & 4) == 0 ? value & 0xFFFF_FFFFL : value >>> 32;
    }

    private static long merge(long old, int offset, int size, long value) {
        if (size == 8) {
            return value;
        }
        return (offset & 4) == 0 ? (old & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL)
                : (old & 0xFFFF_FFFFL) | (value << 32);
    }

    private void writeDriverFeatures(long value) {
        if ((status & DeviceStatus.FEATURES_OK) != 0) {
            LOG.debug("{}: driver_feature written after FEATURES_OK; ignored", name);
            return;
        }
        switch (driverFeatureSelect) {
            case 0 -> driverFeatures = (driverFeatures & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL);
            case 1 -> driverFeatures = (driverFeatures & 0xFFFF_FFFFL) | (value << 32);
            default -> {
                if (value != 0) {
                    LOG.debug("{}: driver set feature bits in window {}; ignored", name, driverFeatureSelect);
                }
            }
        }
    }

    /** Section 4.1.5.1.2: a vector the table does not have reads back as NO_VECTOR. */
    private int acceptVector(int vector) {
        vector &= 0xFFFF;
        return vector < host.msixVectors() ? vector : NO_VECTOR;
    }

    private boolean queueWritable(int q, String what) {
        if (q >= queueCount) {
            return false;
        }
        if (queueEnabled[q] || (status & DeviceStatus.DRIVER_OK) != 0) {
            LOG.debug("{}: {} of queue {} written after it was enabled; ignored", name, what, q);
            return false;
        }
        return true;
    }

    private void writeStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        int old = status;
        if ((old & ~value) != 0) {
            // Section 2.1.1: the driver MUST NOT clear a status bit; keep what was set.
            LOG.debug("{}: driver tried to clear status bits {} (writing {}); kept", name,
                    DeviceStatus.describe(old & ~value), DeviceStatus.describe(value));
        }
        int added = value & ~old & ~DeviceStatus.DEVICE_NEEDS_RESET;
        int next = old | added;
        if ((added & DeviceStatus.FEATURES_OK) != 0 && !featuresAcceptable()) {
            next &= ~DeviceStatus.FEATURES_OK; // section 3.1.1 step 6: the driver re-reads and sees it clear
        }
        if ((added & DeviceStatus.DRIVER_OK) != 0) {
            if ((next & DeviceStatus.FEATURES_OK) == 0) {
                LOG.warn("{}: driver set DRIVER_OK without FEATURES_OK; ignored", name);
                next &= ~DeviceStatus.DRIVER_OK;
            } else {
                status = next;
                activate();
                return;
            }
        }
        status = next;
    }

    private boolean featuresAcceptable() {
        long unknown = driverFeatures & ~offeredFeatures;
        if (unknown != 0) {
            LOG.warn("{}: driver accepted features 0x{} the device never offered", name, Long.toHexString(unknown));
            return false;
        }
        if (!VirtioFeatures.has(driverFeatures, VirtioFeatures.VERSION_1)) {
            LOG.warn("{}: driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)", name);
            return false;
        }
        return device.acceptsFeatures(driverFeatures);
    }

    private void activate() {
        GuestMemory memory = host.memory();
        SplitQueue[] queues = new SplitQueue[queueCount];
        boolean indirect = VirtioFeatures.has(driverFeatures, VirtioFeatures.INDIRECT_DESC);
        boolean eventIdx = VirtioFeatures.has(driverFeatures, VirtioFeatures.EVENT_IDX);
        for (int q = 0; q < queueCount; q++) {
            if (!queueEnabled[q]) {
                continue;
            }
            try {
                if (queueSize[q] > device.maxQueueSize(q)) {
                    throw new VirtqueueException("size " + queueSize[q] + " exceeds the maximum " + device.maxQueueSize(q));
                }
                queues[q] = new SplitQueue(memory, new QueueLayout(queueSize[q], queueDesc[q], queueDriver[q],
                        queueDevice[q]), indirect, eventIdx);
            } catch (VirtqueueException e) {
                LOG.warn("{}: queue {} is unusable, device needs reset: {}", name, q, e.getMessage());
                needsReset = true;
                host.raiseConfigChange();
                return;
            }
        }
        device.activate(new Activation(memory, driverFeatures, queues));
    }

    /** Section 4.1.4.3.2 / 2.4: writing 0 to device_status resets the device and all queue state. */
    void reset() {
        device.reset();
        resetRegisters();
        host.transportReset();
    }

    private void resetRegisters() {
        status = 0;
        needsReset = false;
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        configVector = NO_VECTOR;
        queueSelect = 0;
        for (int q = 0; q < queueCount; q++) {
            queueSize[q] = device.maxQueueSize(q);
        }
        Arrays.fill(queueVector, NO_VECTOR);
        Arrays.fill(queueEnabled, false);
        Arrays.fill(queueDesc, 0);
        Arrays.fill(queueDriver, 0);
        Arrays.fill(queueDevice, 0);
    }
}
