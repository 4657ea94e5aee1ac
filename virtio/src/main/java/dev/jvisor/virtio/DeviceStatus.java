package dev.jvisor.virtio;

/** Bits of the device status field (virtio 1.2 section 2.1). */
public final class DeviceStatus {
    /** The guest has noticed the device. */
    public static final int ACKNOWLEDGE = 1;
    /** The guest knows how to drive the device. */
    public static final int DRIVER = 2;
    /** The driver is set up and ready to drive the device. */
    public static final int DRIVER_OK = 4;
    /** The driver has acknowledged the features it understands; feature negotiation is complete. */
    public static final int FEATURES_OK = 8;
    /** The device hit an error it cannot recover from without a reset. */
    public static final int DEVICE_NEEDS_RESET = 64;
    /** The driver gave up on the device. */
    public static final int FAILED = 128;

    private DeviceStatus() {
    }

    /** A readable form for logs: "ACKNOWLEDGE|DRIVER|FEATURES_OK". */
    public static String describe(int status) {
        if (status == 0) {
            return "RESET";
        }
        StringBuilder b = new StringBuilder();
        String[] names = {"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "bit4", "bit5", "DEVICE_NEEDS_RESET", "FAILED"};
        for (int bit = 0; bit < 8; bit++) {
            if ((status & (1 << bit)) != 0) {
                b.append(b.isEmpty() ? "" : "|").append(names[bit]);
            }
        }
        return b.toString();
    }
}
