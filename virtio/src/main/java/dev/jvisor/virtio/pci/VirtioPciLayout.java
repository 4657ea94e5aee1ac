package dev.jvisor.virtio.pci;

/**
 * Where the modern virtio-pci transport puts its structures: the vendor capability types of
 * virtio 1.2 section 4.1.4 and the layout of the single memory BAR that holds them all. Each
 * structure gets its own 4 KiB page, so that a guest may map them separately and the MSI-X table
 * and PBA do not share a page with other registers (PCI 3.0 section 6.8.2).
 */
public final class VirtioPciLayout {
    /** PCI vendor id of virtio devices (section 4.1.2). */
    public static final int VENDOR_ID = 0x1AF4;
    /** Modern device ids are {@code 0x1040 + virtio device id} (section 4.1.2). */
    public static final int DEVICE_ID_BASE = 0x1040;
    /** Section 4.1.2.1: non-transitional devices have revision 1 or higher... */
    public static final int REVISION = 1;
    /** ...and a subsystem device id of 0x40 or higher. */
    public static final int SUBSYSTEM_ID = 0x0040;

    /** PCI capability ids. */
    public static final int CAP_ID_VENDOR = 0x09;
    public static final int CAP_ID_MSIX = 0x11;

    /** {@code cfg_type} values of {@code struct virtio_pci_cap} (section 4.1.4). */
    public static final int CFG_COMMON = 1;
    public static final int CFG_NOTIFY = 2;
    public static final int CFG_ISR = 3;
    public static final int CFG_DEVICE = 4;
    public static final int CFG_PCI = 5;

    /** Offsets within {@code struct virtio_pci_cap}. */
    public static final int CAP_LEN = 2;
    public static final int CAP_CFG_TYPE = 3;
    public static final int CAP_BAR = 4;
    public static final int CAP_ID = 5;
    public static final int CAP_OFFSET = 8;
    public static final int CAP_LENGTH = 12;
    /** {@code notify_off_multiplier} in the notify capability. */
    public static final int CAP_NOTIFY_MULTIPLIER = 16;
    /** {@code pci_cfg_data} in the PCI configuration access capability. */
    public static final int CAP_PCI_CFG_DATA = 16;
    /** Bytes of a plain virtio capability, of the notify and of the PCI access capability. */
    public static final int CAP_SIZE = 16;
    public static final int NOTIFY_CAP_SIZE = 20;
    public static final int PCI_CFG_CAP_SIZE = 20;
    /** Bytes of the MSI-X capability (PCI 3.0 section 6.8.2). */
    public static final int MSIX_CAP_SIZE = 12;

    /** The BAR register that holds every structure: a 64-bit memory BAR, non-prefetchable (ISR reads clear). */
    public static final int BAR_INDEX = 0;
    public static final long BAR_SIZE = 0x8000;
    public static final int COMMON_OFFSET = 0x0000;
    public static final int ISR_OFFSET = 0x1000;
    public static final int DEVICE_OFFSET = 0x2000;
    public static final int NOTIFY_OFFSET = 0x3000;
    public static final int MSIX_TABLE_OFFSET = 0x4000;
    public static final int MSIX_PBA_OFFSET = 0x5000;
    /** Each structure's page. */
    public static final int PAGE = 0x1000;
    /** Queue {@code q} is notified at {@code NOTIFY_OFFSET + q * NOTIFY_MULTIPLIER}. */
    public static final int NOTIFY_MULTIPLIER = 4;

    private VirtioPciLayout() {
    }
}
