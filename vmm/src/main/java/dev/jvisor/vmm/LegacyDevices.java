package dev.jvisor.vmm;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.PowerControl;
import dev.jvisor.devices.acpi.AcpiPm;
import dev.jvisor.devices.legacy.I8042;
import dev.jvisor.devices.legacy.PostCodePort;
import dev.jvisor.devices.legacy.ResetControlPort;
import dev.jvisor.devices.pci.IntxRouting;
import dev.jvisor.devices.pci.PciBus;
import dev.jvisor.devices.pci.PciEcam;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.rtc.CmosMemorySize;
import dev.jvisor.devices.rtc.CmosRtc;
import dev.jvisor.devices.serial.Uart16550;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.machine.MemoryMap;
import java.io.OutputStream;
import java.time.Clock;

import static dev.jvisor.machine.PlatformLayout.*;

/**
 * The PC board's fixed devices, attached at the addresses {@link dev.jvisor.machine.PlatformLayout}
 * gives (and the firmware tables announce): COM1, the CMOS RTC, the i8042, the POST port, the reset
 * control port, the ACPI PM blocks and the PCI host bridge with its ECAM window. Explicit wiring, in
 * the manner of Firecracker's {@code attach_*} functions.
 */
final class LegacyDevices implements AutoCloseable {
    final Uart16550 com1;
    final CmosRtc rtc;
    final AcpiPm acpiPm;
    final PciBus pci;
    final PostCodePort post = new PostCodePort();

    LegacyDevices(Vm vm, MemoryMap map, Bus ports, Bus mmio, OutputStream serialOut, PowerControl power) {
        var lines = vm.interrupts();
        com1 = new Uart16550(serialOut, lines, COM1_IRQ);
        ports.register("com1", COM1_PORT, 8, com1);

        long below4g = Math.min(map.ramBytes(), map.lowRamEnd());
        rtc = new CmosRtc(Clock.systemUTC(), lines, RTC_IRQ, new CmosMemorySize(below4g, map.ramBytes() - below4g));
        ports.register("cmos-rtc", RTC_PORT, 2, rtc);

        I8042 i8042 = new I8042(power, lines, I8042_KEYBOARD_IRQ, 12);
        ports.register("i8042-data", I8042_DATA_PORT, 1, i8042.dataPort());
        ports.register("i8042-command", I8042_COMMAND_PORT, 1, i8042.commandPort());
        ports.register("post", POST_PORT, 1, post);
        ports.register("reset-control", RESET_CONTROL_PORT, 1, new ResetControlPort(power));

        acpiPm = new AcpiPm(power, lines, ACPI_SCI_IRQ, ACPI_S5_SLP_TYP, true, vm::guestNanos);
        ports.register("acpi-pm1a-evt", ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN, acpiPm.eventBlock());
        ports.register("acpi-pm1a-cnt", ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN, acpiPm.controlBlock());
        ports.register("acpi-pm-tmr", ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, acpiPm.timerBlock());

        pci = new PciBus(ports, mmio, lines, IntxRouting.rotating(PCI_INTX_GSI_BASE, PCI_INTX_GSI_COUNT));
        new PciHostBridge(pci).registerOn(ports);
        PciEcam ecam = new PciEcam(pci, PCIE_BUS_LAST - PCIE_BUS_FIRST + 1);
        mmio.register("pcie-ecam", PCIE_ECAM_BASE, ecam.length(), ecam);
    }

    @Override
    public void close() {
        rtc.close();
        acpiPm.close();
    }
}
