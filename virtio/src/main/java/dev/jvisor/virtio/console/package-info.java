/** virtio-console with one port (virtio 1.2 section 5.3). */
package dev.jvisor.virtio.console;
