/**
 * The device layer shared by both back ends: {@link dev.jvisor.devices.Bus} address spaces of
 * {@link dev.jvisor.devices.BusDevice}s, {@link dev.jvisor.devices.BusVmOps} (the
 * {@link dev.jvisor.hypervisor.VmOps} the VMM hands to a back end), {@link dev.jvisor.devices.PowerControl}
 * and {@link dev.jvisor.devices.DeviceTimer}. The devices live in subpackages: {@code serial},
 * {@code rtc}, {@code legacy} (i8042, POST code, reset control), {@code acpi} and {@code pci}.
 */
package dev.jvisor.devices;
