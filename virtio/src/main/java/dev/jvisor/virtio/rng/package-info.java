/** virtio-rng, the entropy device (virtio 1.2 section 5.4). */
package dev.jvisor.virtio.rng;
