package dev.jvisor.devices.pci;

/**
 * What a PCI function says about itself in its header.
 *
 * @param vendorId          PCI-SIG vendor id
 * @param deviceId          vendor-assigned device id
 * @param revision          revision id
 * @param classCode         24-bit class code: base class, sub-class, programming interface (0x060000 = host bridge)
 * @param subsystemVendorId subsystem vendor id (0 if none)
 * @param subsystemId       subsystem id
 * @param interruptPin      INTx pin used: 0 none, 1-4 for INTA-INTD
 * @param multiFunction     whether function 0 of this slot announces further functions (header type bit 7)
 */
public record PciIdentity(int vendorId, int deviceId, int revision, int classCode, int subsystemVendorId,
        int subsystemId, int interruptPin, boolean multiFunction) {
    public PciIdentity {
        requireBits("vendor id", vendorId, 16);
        requireBits("device id", deviceId, 16);
        requireBits("revision", revision, 8);
        requireBits("class code", classCode, 24);
        requireBits("subsystem vendor id", subsystemVendorId, 16);
        requireBits("subsystem id", subsystemId, 16);
        if (vendorId == 0xFFFF) {
            throw new IllegalArgumentException("vendor id 0xFFFF means \"no device\" and cannot be used");
        }
        if (interruptPin < 0 || interruptPin > 4) {
            throw new IllegalArgumentException("interrupt pin must be 0 (none) or 1-4 (INTA-INTD), got " + interruptPin);
        }
    }

    /** A single-function device without subsystem ids or interrupt pin. */
    public static PciIdentity of(int vendorId, int deviceId, int classCode) {
        return new PciIdentity(vendorId, deviceId, 0, classCode, 0, 0, 0, false);
    }

    private static void requireBits(String what, int value, int bits) {
        if (value < 0 || value >= 1 << bits) {
            throw new IllegalArgumentException(String.format("%s must fit in %d bits, got 0x%x", what, bits, value));
        }
    }
}
