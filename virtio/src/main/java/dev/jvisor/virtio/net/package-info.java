/** virtio-net (virtio 1.2 section 5.1) over an {@code io} network back end. */
package dev.jvisor.virtio.net;
