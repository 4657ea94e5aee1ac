/** virtio-blk (virtio 1.2 section 5.2) over an {@code io} disk image. */
package dev.jvisor.virtio.block;
