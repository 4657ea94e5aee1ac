package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskImages;
import dev.jvisor.io.disk.ImageTool;
import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.io.net.slirp.SlirpBackend;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VMM's virtio wiring without a guest: which devices a configuration puts on the PCI bus (read
 * back through the configuration ports as firmware would), what bad drives and interfaces give, and
 * that teardown releases images and ports.
 */
class VirtioWiringTest {
    private static final int PCI_ADDRESS = 0xcf8, PCI_DATA = 0xcfc;
    private static final int VIRTIO_VENDOR = 0x1af4;

    @TempDir
    Path dir;
    private VmConfig base;

    @BeforeEach
    void kernel() throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernels.multibootReporter());
        base = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1, VmConfig.Accel.EMU);
    }

    private Path image(String name, DiskFormat format) throws Exception {
        Path p = dir.resolve(name);
        ImageTool.create(p, format, 8 << 20);
        return p;
    }

    private static VirtualMachine build(VmConfig config, SwitchRegistry switches) throws VmException {
        return MachineBuilder.build(config, new EmuHypervisor(), new ByteArrayOutputStream(), switches);
    }

    /** Vendor and device IDs of bus 0's slots 0-31 (0xffffffff where empty), through 0xCF8/0xCFC. */
    private static List<Long> pciIds(VirtualMachine vm) {
        List<Long> ids = new ArrayList<>();
        for (int slot = 0; slot < 32; slot++) {
            vm.buses().pioWrite(PCI_ADDRESS, 4, 0x8000_0000L | (long) slot << 11);
            ids.add(vm.buses().pioRead(PCI_DATA, 4));
        }
        return ids;
    }

    private static long id(int device) {
        return (long) device << 16 | VIRTIO_VENDOR;
    }

    @Test
    void drivesThenInterfacesThenTheRngTakeTheSlotsAfterTheHostBridge() throws Exception {
        VmConfig config = base.withDrives(List.of(DriveConfig.writable(image("a.qcow2", DiskFormat.QCOW2), DiskFormat.QCOW2),
                        DriveConfig.readOnly(image("b.raw", DiskFormat.RAW), Optional.empty())))
                .withNets(List.of(NetConfig.parse("switch=lab")));
        try (VirtualMachine vm = build(config, new SwitchRegistry())) {
            List<Long> ids = pciIds(vm);
            // virtio 1.2 §4.1.2.1: modern device ID = 0x1040 + device type (blk 2, net 1, rng 4).
            assertThat(ids.subList(1, 5)).containsExactly(id(0x1042), id(0x1042), id(0x1041), id(0x1044));
            assertThat(ids.get(5)).isEqualTo(0xffff_ffffL);
            assertThat(vm.virtio().attached()).extracting(VirtioPciSlot::of).containsExactly(1, 2, 3, 4);
            assertThat(vm.virtio().drives()).extracting(VirtioDevices.Drive::format)
                    .containsExactly(DiskFormat.QCOW2, DiskFormat.RAW);
            assertThat(vm.virtio().drives().get(1).image().readOnly()).isTrue();
        }
    }

    @Test
    void withoutDevicesOnlyTheRngIsThereAndNoRngMeansNothing() throws Exception {
        try (VirtualMachine vm = build(base, new SwitchRegistry())) {
            assertThat(pciIds(vm).get(1)).isEqualTo(id(0x1044));
        }
        try (VirtualMachine vm = build(base.withRng(false), new SwitchRegistry())) {
            assertThat(pciIds(vm).get(1)).isEqualTo(0xffff_ffffL);
            assertThat(vm.virtio().attached()).isEmpty();
        }
    }

    @Test
    void closingTheVmReleasesTheImageLock() throws Exception {
        Path disk = image("disk.raw", DiskFormat.RAW);
        VmConfig config = base.withDrives(List.of(DriveConfig.writable(disk, DiskFormat.RAW)));
        try (VirtualMachine vm = build(config, new SwitchRegistry())) {
            assertThatThrownBy(() -> build(config, new SwitchRegistry())).isInstanceOf(VmException.class)
                    .hasMessage("drive " + disk + " is in use by another VM (locked); readonly=on can share an image"
                            + " with other read-only users");
        }
        try (DiskImage again = DiskImages.open(disk, DiskFormat.RAW, false)) {
            assertThat(again.readOnly()).isFalse();
        }
    }

    @Test
    void theSameFileMayNotBackTwoDrives() throws Exception {
        Path disk = image("disk.qcow2", DiskFormat.QCOW2);
        VmConfig twice = base.withDrives(List.of(DriveConfig.readOnly(disk, Optional.empty()),
                DriveConfig.readOnly(dir.resolve(".").resolve("disk.qcow2"), Optional.empty())));
        assertThatThrownBy(() -> build(twice, new SwitchRegistry())).hasMessageEndingWith("is given twice");
    }

    @Test
    void aFailingDriveReleasesTheDrivesOpenedBeforeIt() throws Exception {
        Path good = image("good.raw", DiskFormat.RAW);
        Path missing = dir.resolve("missing.raw");
        VmConfig config = base.withDrives(List.of(DriveConfig.writable(good, DiskFormat.RAW),
                DriveConfig.writable(missing, DiskFormat.RAW)));
        assertThatThrownBy(() -> build(config, new SwitchRegistry())).hasMessage("drive " + missing + " does not exist");
        try (DiskImage again = DiskImages.open(good, DiskFormat.RAW, false)) {
            assertThat(again.size()).isEqualTo(8 << 20);
        }
    }

    @Test
    void aCorruptQcow2HeaderIsReportedAsSuch() throws Exception {
        Path bad = dir.resolve("bad.qcow2");
        byte[] header = new byte[512];
        header[0] = 'Q';
        header[1] = 'F';
        header[2] = 'I';
        header[3] = (byte) 0xfb;
        header[7] = 7; // version 7
        Files.write(bad, header);
        VmConfig config = base.withDrives(List.of(DriveConfig.writable(bad, DiskFormat.QCOW2)));
        assertThatThrownBy(() -> build(config, new SwitchRegistry())).isInstanceOf(VmException.class)
                .hasMessageStartingWith("drive " + bad + " is not a usable qcow2 image: ");
        VmConfig asRaw = base.withDrives(List.of(DriveConfig.writable(dir.resolve("x.img"), DiskFormat.RAW)));
        assertThatThrownBy(() -> build(asRaw, new SwitchRegistry())).hasMessageContaining("does not exist");
    }

    @Test
    void generatedMacsAreStableAndInterfacesOfTwoVmsShareANamedSwitch() throws Exception {
        SwitchRegistry switches = new SwitchRegistry();
        Path disk = image("vm1.qcow2", DiskFormat.QCOW2);
        VmConfig vm1 = base.withDrives(List.of(DriveConfig.writable(disk, DiskFormat.QCOW2)))
                .withNets(List.of(NetConfig.parse("switch=lan"), NetConfig.parse("switch=lan")));
        MacAddress first;
        try (VirtualMachine a = build(vm1, switches);
             VirtualMachine b = build(base.withNets(List.of(NetConfig.parse("switch=lan"))), switches)) {
            first = a.virtio().nics().getFirst().mac();
            assertThat(a.virtio().nics().get(1).mac()).isNotEqualTo(first);
            assertThat(switches.getOrCreate("lan").ports()).hasSize(3);
            // A third VM whose generated MAC is b's (same setup, no drive) is refused with a hint.
            assertThatThrownBy(() -> build(base.withNets(List.of(NetConfig.parse("switch=lan"))), switches))
                    .hasMessageContaining("--net switch=lan: MAC address").hasMessageContaining("give the interface its own mac=");
            try (VirtualMachine c = build(base.withNets(List.of(NetConfig.parse("switch=lan,mac=02:00:00:00:00:07"))), switches)) {
                assertThat(c.virtio().nics().getFirst().mac()).isEqualTo(MacAddress.parse("02:00:00:00:00:07"));
            }
        }
        try (VirtualMachine again = build(vm1, new SwitchRegistry())) {
            assertThat(again.virtio().nics().getFirst().mac()).isEqualTo(first);
        }
    }

    @Test
    void aHostForwardOnABusyPortFailsBeforeBoot() throws Exception {
        assumeTrue(SlirpBackend.isAvailable(), "libslirp0 is not installed");
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            VmConfig config = base.withNets(List.of(NetConfig.parse("user,hostfwd=tcp:127.0.0.1:" + busy.getLocalPort() + "-:22")));
            assertThatThrownBy(() -> build(config, new SwitchRegistry())).isInstanceOf(VmException.class)
                    .hasMessageStartingWith("--net user: ");
        }
    }

    /** The PCI slot of an attached device. */
    private static final class VirtioPciSlot {
        static int of(dev.jvisor.virtio.VirtioPci.Attached a) {
            return a.slot();
        }
    }
}
