package dev.jvisor.virtio;

/** Virtio device types used here (virtio 1.2 section 5, "Device Types"). */
public enum DeviceType {
    NET(1),
    BLOCK(2),
    CONSOLE(3),
    ENTROPY(4);

    private final int id;

    DeviceType(int id) {
        this.id = id;
    }

    /** The virtio device id; the PCI device id is {@code 0x1040 + id} (section 4.1.2). */
    public int id() {
        return id;
    }
}
