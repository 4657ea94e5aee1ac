/**
 * Virtio 1.2 devices, independent of their transport: {@link dev.jvisor.virtio.VirtioDevice} and the
 * lifecycle and locking base {@link dev.jvisor.virtio.AbstractVirtioDevice}, plus
 * {@link dev.jvisor.virtio.VirtioPci}, the wiring API the VMM uses to put devices on the PCI bus.
 */
package dev.jvisor.virtio;
