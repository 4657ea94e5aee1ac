/**
 * PCI: bus 0 with its host bridge, configuration mechanism #1 and ECAM, and the
 * {@link dev.jvisor.devices.pci.PciDevice} base class that PCI devices (virtio-pci) extend.
 */
package dev.jvisor.devices.pci;
