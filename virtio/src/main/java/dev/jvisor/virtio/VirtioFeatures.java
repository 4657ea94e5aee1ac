package dev.jvisor.virtio;

/**
 * Feature bits that are not specific to one device type (virtio 1.2 section 6, "Reserved Feature
 * Bits"), as bit masks of the 64-bit feature word.
 */
public final class VirtioFeatures {
    /** Descriptors may point to indirect tables (section 2.7.5.3). */
    public static final long INDIRECT_DESC = 1L << 28;
    /** used_event / avail_event suppression (section 2.7.7, 2.7.10). */
    public static final long EVENT_IDX = 1L << 29;
    /** The device follows this specification rather than the legacy interface; required here. */
    public static final long VERSION_1 = 1L << 32;
    /** The device sits behind an IOMMU / needs platform DMA translation (not offered). */
    public static final long ACCESS_PLATFORM = 1L << 33;
    /** Packed virtqueues (not offered). */
    public static final long RING_PACKED = 1L << 34;

    private VirtioFeatures() {
    }

    /** Whether every bit of {@code feature} is set in {@code features}. */
    public static boolean has(long features, long feature) {
        return (features & feature) == feature;
    }
}
