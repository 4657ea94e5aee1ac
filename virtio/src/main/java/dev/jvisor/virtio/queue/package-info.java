/**
 * Split virtqueues (virtio 1.2 section 2.7) in guest memory: {@link dev.jvisor.virtio.queue.SplitQueue}
 * takes and returns {@link dev.jvisor.virtio.queue.DescriptorChain}s, validating every chain, and
 * implements notification and interrupt suppression with and without VIRTIO_F_EVENT_IDX.
 */
package dev.jvisor.virtio.queue;
