package dev.jvisor.virtio.queue;

/**
 * The driver broke the virtqueue rules (virtio 1.2 section 2.7): a descriptor chain that loops,
 * leaves guest RAM, wraps the address space, nests indirect tables, puts a device-readable buffer
 * after a device-writable one, or a ring index that runs ahead of the queue.
 *
 * <p>This is the device's own report of a bad queue; the device that receives it stops using its
 * queues and sets DEVICE_NEEDS_RESET (section 2.1.2). It is never a host error.
 */
public final class VirtqueueException extends Exception {
    public VirtqueueException(String message) {
        super(message);
    }

    public VirtqueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
