package dev.jvisor.virtio.pci;

import static dev.jvisor.virtio.pci.VirtioPciLayout.*;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.devices.pci.PciConfigSpace;
import dev.jvisor.virtio.DeviceStatus;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.MockQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Register-level tests of the modern virtio-pci transport, with no guest. */
class VirtioPciTransportTest {
    private final ProbeDevice device = new ProbeDevice();
    private final PciBench bench = new PciBench(device);

    @AfterEach
    void close() {
        bench.close();
    }

    @Test
    void identifiesAsAModernVirtioDevice() {
        assertThat(bench.cfgRead(PciConfigSpace.VENDOR_ID, 2)).isEqualTo(0x1AF4);
        assertThat(bench.cfgRead(PciConfigSpace.DEVICE_ID, 2)).isEqualTo(0x1040 + 3);
        assertThat(bench.cfgRead(PciConfigSpace.REVISION_ID, 1)).isEqualTo(1);
        assertThat(bench.cfgRead(PciConfigSpace.SUBSYSTEM_VENDOR_ID, 2)).isEqualTo(0x1AF4);
        assertThat(bench.cfgRead(PciConfigSpace.SUBSYSTEM_ID, 2)).isGreaterThanOrEqualTo(0x40);
        assertThat(bench.cfgRead(PciConfigSpace.REVISION_ID, 4) >>> 8).isEqualTo(0x078000);
        assertThat(bench.cfgRead(PciConfigSpace.INTERRUPT_PIN, 1)).isEqualTo(1);
        assertThat(bench.cfgRead(PciConfigSpace.STATUS, 2) & PciConfigSpace.STATUS_CAPABILITIES).isNotZero();
    }

    @Test
    void capabilityWalkFindsEveryStructureInsideTheBar() {
        assertThat(bench.capabilities).containsOnlyKeys(CFG_COMMON, CFG_NOTIFY, CFG_ISR, CFG_DEVICE, CFG_PCI);
        for (int type : new int[] {CFG_COMMON, CFG_NOTIFY, CFG_ISR, CFG_DEVICE}) {
            int cap = bench.capabilities.get(type);
            long offset = bench.cfgRead(cap + CAP_OFFSET, 4);
            long length = bench.cfgRead(cap + CAP_LENGTH, 4);
            assertThat(bench.cfgRead(cap + CAP_BAR, 1)).isEqualTo(0);
            assertThat(offset + length).isLessThanOrEqualTo(BAR_SIZE);
        }
        assertThat(bench.cfgRead(bench.capabilities.get(CFG_COMMON) + CAP_LENGTH, 4)).isGreaterThanOrEqualTo(0x38);
        assertThat(bench.cfgRead(bench.capabilities.get(CFG_COMMON) + CAP_LEN, 1)).isEqualTo(16);
        assertThat(bench.cfgRead(bench.capabilities.get(CFG_NOTIFY) + CAP_LEN, 1)).isEqualTo(20);
        assertThat(bench.cfgRead(bench.capabilities.get(CFG_NOTIFY) + CAP_NOTIFY_MULTIPLIER, 4)).isEqualTo(4);
        assertThat(bench.cfgRead(bench.capabilities.get(CFG_DEVICE) + CAP_LENGTH, 4)).isEqualTo(8);
        // BAR 0 is a 64-bit memory BAR: type bits 10b in bits 2:1, sized by writing all ones.
        assertThat(bench.cfgRead(PciConfigSpace.BAR0, 4) & 0x7).isEqualTo(0x4);
        // MSI-X: three vectors (two queues and configuration), table and PBA in BAR 0.
        assertThat(bench.msixCapability).isNotZero();
        assertThat(bench.cfgRead(bench.msixCapability + 2, 2) & 0x7FF).isEqualTo(2);
        assertThat(bench.cfgRead(bench.msixCapability + 4, 4)).isEqualTo(MSIX_TABLE_OFFSET);
        assertThat(bench.cfgRead(bench.msixCapability + 8, 4)).isEqualTo(MSIX_PBA_OFFSET);
    }

    @Test
    void offersVersion1AndTheSupportedRingFeaturesOnly() {
        long features = bench.deviceFeatures();
        assertThat(features).isEqualTo(VirtioFeatures.VERSION_1 | VirtioFeatures.INDIRECT_DESC
                | VirtioFeatures.EVENT_IDX | ProbeDevice.FEATURE_PROBE);
        bench.common(CommonConfig.DEVICE_FEATURE_SELECT, 4, 7);
        assertThat(bench.common(CommonConfig.DEVICE_FEATURE, 4)).isZero();
    }

    @Test
    void featuresOkSticksForAValidSubset() {
        assertThat(bench.negotiate(VirtioFeatures.VERSION_1 | ProbeDevice.FEATURE_PROBE)).isTrue();
        bench.common(CommonConfig.DRIVER_FEATURE_SELECT, 4, 0);
        assertThat(bench.common(CommonConfig.DRIVER_FEATURE, 4)).isEqualTo(ProbeDevice.FEATURE_PROBE);
        // Changes after FEATURES_OK are ignored.
        bench.common(CommonConfig.DRIVER_FEATURE, 4, 0);
        assertThat(bench.common(CommonConfig.DRIVER_FEATURE, 4)).isEqualTo(ProbeDevice.FEATURE_PROBE);
    }

    @Test
    void featuresOkIsRefusedWithoutVersion1OrWithUnofferedBits() {
        assertThat(bench.negotiate(ProbeDevice.FEATURE_PROBE)).isFalse();
        assertThat(bench.negotiate(VirtioFeatures.VERSION_1 | VirtioFeatures.RING_PACKED)).isFalse();
        assertThat(bench.negotiate(VirtioFeatures.VERSION_1 | 1L << 7)).isFalse();
        assertThat(bench.status()).isEqualTo(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    }

    @Test
    void driverOkWithoutFeaturesOkDoesNotActivate() {
        bench.common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
        bench.common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK);
        assertThat(bench.status() & DeviceStatus.DRIVER_OK).isZero();
        assertThat(device.events()).doesNotContain("activate");
    }

    @Test
    void statusBitsCannotBeClearedExceptByReset() {
        bench.negotiate(VirtioFeatures.VERSION_1);
        bench.common(CommonConfig.DEVICE_STATUS, 1, DeviceStatus.ACKNOWLEDGE);
        assertThat(bench.status()).isEqualTo(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    }

    @Test
    void queueRegistersStartAtTheirResetValues() {
        assertThat(bench.common(CommonConfig.NUM_QUEUES, 2)).isEqualTo(2);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 1);
        assertThat(bench.common(CommonConfig.QUEUE_SIZE, 2)).isEqualTo(64);
        assertThat(bench.common(CommonConfig.QUEUE_ENABLE, 2)).isZero();
        assertThat(bench.common(CommonConfig.QUEUE_NOTIFY_OFF, 2)).isEqualTo(1);
        assertThat(bench.common(CommonConfig.QUEUE_MSIX_VECTOR, 2)).isEqualTo(0xFFFF);
        assertThat(bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2)).isEqualTo(0xFFFF);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 2);
        assertThat(bench.common(CommonConfig.QUEUE_SIZE, 2)).as("a queue that does not exist").isZero();
    }

    @Test
    void driverOkActivatesTheDeviceWithTheEnabledQueues() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(VirtioFeatures.EVENT_IDX, q0);

        assertThat(bench.status()).isEqualTo(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER
                | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK);
        assertThat(device.events()).as("negotiation starts with a reset").containsExactly("reset", "activate");
        assertThat(device.lastActivation.queue(0).layout()).isEqualTo(q0.layout());
        assertThat(device.lastActivation.queue(1)).as("queue 1 was never enabled").isNull();
        assertThat(device.lastActivation.has(VirtioFeatures.EVENT_IDX)).isTrue();
        assertThat(device.lastActivation.queue(0).eventIdx()).isTrue();
    }

    @Test
    void queueRegistersAreFrozenOnceEnabled() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.negotiate(VirtioFeatures.VERSION_1);
        bench.setUpQueue(0, q0);
        bench.common(CommonConfig.QUEUE_SIZE, 2, 8);
        bench.common(CommonConfig.QUEUE_DESC, 4, 0x5000);
        assertThat(bench.common(CommonConfig.QUEUE_SIZE, 2)).isEqualTo(16);
        assertThat(bench.common(CommonConfig.QUEUE_DESC, 8)).isEqualTo(q0.layout().descTable());
        assertThat(bench.common(CommonConfig.QUEUE_ENABLE, 2)).isEqualTo(1);
    }

    @Test
    void writingZeroToStatusResetsEverything() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q0);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 0);

        bench.common(CommonConfig.DEVICE_STATUS, 1, 0);

        assertThat(bench.status()).isZero();
        assertThat(device.events()).containsExactly("reset", "activate", "reset");
        assertThat(bench.common(CommonConfig.QUEUE_ENABLE, 2)).isZero();
        assertThat(bench.common(CommonConfig.QUEUE_SIZE, 2)).isEqualTo(64);
        assertThat(bench.common(CommonConfig.QUEUE_DESC, 8)).isZero();
        bench.common(CommonConfig.DRIVER_FEATURE_SELECT, 4, 0);
        assertThat(bench.common(CommonConfig.DRIVER_FEATURE, 4)).isZero();
        // After reset a notification does nothing: the device is inactive.
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);
        assertThat(q0.usedIdx()).isZero();
    }

    @Test
    void intxQueueInterruptSetsIsrAndTheLineUntilIsrIsRead() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q0);
        long buffer = q0.allocate(8);
        q0.addChain(writable(buffer, 8));

        bench.notifyQueue(0);

        assertThat(q0.usedIdx()).isEqualTo(1);
        assertThat(q0.used(0).length()).isEqualTo(8);
        assertThat(bench.memory.readU8(buffer + 7)).isEqualTo(0xAB);
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isTrue();
        assertThat(bench.cfgRead(PciConfigSpace.STATUS, 2) & PciConfigSpace.STATUS_INTERRUPT).isNotZero();
        assertThat(bench.readIsr()).isEqualTo(1);
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
        assertThat(bench.readIsr()).as("read clears").isZero();
    }

    @Test
    void intxDisableInTheCommandRegisterKeepsTheLineLow() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q0);
        bench.cfgWrite(PciConfigSpace.COMMAND, 2, PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_INTX_DISABLE);
        q0.addChain(writable(q0.allocate(8), 8));
        bench.notifyQueue(0);
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
        assertThat(bench.readIsr()).isEqualTo(1);
    }

    @Test
    void configChangeRaisesIsrBitOneAndBumpsTheGeneration() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        long generation = bench.common(CommonConfig.CONFIG_GENERATION, 1);
        device.changeConfig();
        assertThat(bench.common(CommonConfig.CONFIG_GENERATION, 1)).isEqualTo(generation + 1);
        assertThat(bench.readIsr()).as("no interrupt before DRIVER_OK").isZero();
        bench.start(0, q0);
        device.changeConfig();
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isTrue();
        assertThat(bench.readIsr()).isEqualTo(2);
    }

    @Test
    void deviceConfigurationIsReachableThroughTheBar() {
        long cfg = bench.structure(CFG_DEVICE);
        assertThat(bench.read(cfg, 4)).isEqualTo(0x1234_5678L);
        assertThat(bench.read(cfg + 1, 2)).isEqualTo(0x3456);
        bench.write(cfg + 4, 4, 0xCAFEL);
        assertThat(bench.read(cfg + 4, 4)).isEqualTo(0xCAFEL);
        assertThat(bench.read(cfg + 6, 4)).as("beyond the configuration space").isZero();
    }

    @Test
    void unusableQueueAtDriverOkMeansNeedsReset() {
        bench.negotiate(VirtioFeatures.VERSION_1);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 0);
        bench.common(CommonConfig.QUEUE_DESC, 8, 0x7FFF_0000_0000L); // not RAM
        bench.common(CommonConfig.QUEUE_ENABLE, 2, 1);
        bench.driverOk();

        assertThat(bench.status() & DeviceStatus.DEVICE_NEEDS_RESET).isNotZero();
        assertThat(device.events()).doesNotContain("activate");
        assertThat(bench.readIsr()).isEqualTo(2);
    }

    @Test
    void queueSizeAboveTheMaximumMeansNeedsReset() {
        MockQueue big = new MockQueue(bench.memory, 128, 0x10000, 0x100000);
        bench.negotiate(VirtioFeatures.VERSION_1);
        bench.setUpQueue(0, big);
        bench.driverOk();
        assertThat(bench.status() & DeviceStatus.DEVICE_NEEDS_RESET).isNotZero();
    }

    @Test
    void malformedChainMeansNeedsResetAndAConfigInterrupt() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q0);
        q0.writeDescriptor(0, 0x100000, 4, 1, 0); // NEXT to itself: a loop
        q0.publish(0);

        bench.notifyQueue(0);

        assertThat(bench.status() & DeviceStatus.DEVICE_NEEDS_RESET).isNotZero();
        assertThat(bench.pci.deviceStatus()).isEqualTo(bench.status());
        assertThat(bench.readIsr()).isEqualTo(2);
        assertThat(q0.usedIdx()).isZero();
        // Reset clears the condition and the device works again after a new setup.
        bench.common(CommonConfig.DEVICE_STATUS, 1, 0);
        assertThat(bench.status()).isZero();
        MockQueue fresh = new MockQueue(bench.memory, 16, 0x20000, 0x200000);
        bench.start(0, fresh);
        fresh.addChain(writable(fresh.allocate(2), 2));
        bench.notifyQueue(0);
        assertThat(fresh.usedIdx()).isEqualTo(1);
    }

    @Test
    void notificationsForUnknownQueuesAreIgnored() {
        MockQueue q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
        bench.start(0, q0);
        bench.write(bench.structure(CFG_NOTIFY) + 4 * 9, 2, 9);
        bench.write(bench.structure(CFG_NOTIFY) + 2, 2, 0);
        assertThat(bench.status() & DeviceStatus.DEVICE_NEEDS_RESET).isZero();
    }

    @Test
    void oddAccessWidthsToTheCommonStructureAreIgnored() {
        bench.common(CommonConfig.QUEUE_SELECT, 1, 1);
        assertThat(bench.common(CommonConfig.QUEUE_SELECT, 2)).isZero();
        assertThat(bench.common(CommonConfig.NUM_QUEUES, 4)).isZero();
        assertThat(bench.read(0x3F, 1)).isZero();
    }

    @Test
    void pciConfigurationAccessCapabilityReachesTheBar() {
        int cap = bench.capabilities.get(CFG_PCI);
        // Read num_queues (2 bytes at common + 0x12) through the window.
        bench.cfgWrite(cap + CAP_BAR, 1, 0);
        bench.cfgWrite(cap + CAP_OFFSET, 4, COMMON_OFFSET + CommonConfig.NUM_QUEUES);
        bench.cfgWrite(cap + CAP_LENGTH, 4, 2);
        assertThat(bench.cfgRead(cap + CAP_PCI_CFG_DATA, 4) & 0xFFFF).isEqualTo(2);
        // Write device_status through the window, then read it back through the BAR.
        bench.cfgWrite(cap + CAP_OFFSET, 4, COMMON_OFFSET + CommonConfig.DEVICE_STATUS);
        bench.cfgWrite(cap + CAP_LENGTH, 4, 1);
        bench.cfgWrite(cap + CAP_PCI_CFG_DATA, 4, DeviceStatus.ACKNOWLEDGE);
        assertThat(bench.status()).isEqualTo(DeviceStatus.ACKNOWLEDGE);
        assertThat(bench.cfgRead(cap + CAP_PCI_CFG_DATA, 1)).isEqualTo(DeviceStatus.ACKNOWLEDGE);
        // A misaligned or oversized window does nothing.
        bench.cfgWrite(cap + CAP_LENGTH, 4, 3);
        bench.cfgWrite(cap + CAP_PCI_CFG_DATA, 4, 0);
        assertThat(bench.status()).isEqualTo(DeviceStatus.ACKNOWLEDGE);
    }
}
