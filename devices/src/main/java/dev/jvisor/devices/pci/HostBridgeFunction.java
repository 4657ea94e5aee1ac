package dev.jvisor.devices.pci;

/**
 * The host bridge's own function at 00:00.0: class 06/00/00 (bridge, host bridge), no BARs, no
 * interrupt pin. Ids: see {@link PciBus#HOST_BRIDGE_VENDOR_ID}.
 */
final class HostBridgeFunction extends PciDevice {
    static final int HOST_BRIDGE_CLASS = 0x060000;

    HostBridgeFunction() {
        super(PciIdentity.of(PciBus.HOST_BRIDGE_VENDOR_ID, PciBus.HOST_BRIDGE_DEVICE_ID, HOST_BRIDGE_CLASS), false);
    }

    @Override
    public String name() {
        return "host-bridge";
    }
}
