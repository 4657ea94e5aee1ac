/**
 * The modern virtio-pci transport (virtio 1.2 section 4.1): {@link dev.jvisor.virtio.pci.VirtioPciDevice}
 * with its capabilities, common configuration, notification area, ISR and MSI-X table.
 */
package dev.jvisor.virtio.pci;
