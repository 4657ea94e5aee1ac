package dev.jvisor.virtio.queue;

import dev.jvisor.memory.GuestMemory;

/**
 * Where the driver put one split virtqueue (virtio 1.2 section 2.7): its size and the guest physical
 * addresses of the descriptor table, the available ring ("driver area") and the used ring ("device
 * area").
 *
 * @param size       number of descriptors, a power of two from 1 to 32768 (section 2.7: "Queue Size
 *                   value is always a power of 2", maximum 32768)
 * @param descTable  16-byte aligned, {@code 16 * size} bytes
 * @param availRing  2-byte aligned, {@code 6 + 2 * size} bytes (flags, idx, ring, used_event)
 * @param usedRing   4-byte aligned, {@code 6 + 8 * size} bytes (flags, idx, ring, avail_event)
 */
public record QueueLayout(int size, long descTable, long availRing, long usedRing) {
    /** The largest split queue the specification allows. */
    public static final int MAX_SIZE = 32768;

    /** Bytes of one descriptor: le64 addr, le32 len, le16 flags, le16 next. */
    public static final int DESCRIPTOR_SIZE = 16;

    /** Bytes of the descriptor table. */
    public long descTableBytes() {
        return (long) DESCRIPTOR_SIZE * size;
    }

    /** Bytes of the available ring, including the used_event word at its end. */
    public long availRingBytes() {
        return 6L + 2L * size;
    }

    /** Bytes of the used ring, including the avail_event word at its end. */
    public long usedRingBytes() {
        return 6L + 8L * size;
    }

    /**
     * Checks the layout against section 2.7's alignment table and against guest RAM.
     *
     * @throws VirtqueueException naming the first problem found
     */
    public void validate(GuestMemory memory) throws VirtqueueException {
        if (size < 1 || size > MAX_SIZE || Integer.bitCount(size) != 1) {
            throw new VirtqueueException("queue size " + size + " is not a power of two between 1 and " + MAX_SIZE);
        }
        checkArea(memory, "descriptor table", descTable, descTableBytes(), 16);
        checkArea(memory, "available ring", availRing, availRingBytes(), 2);
        checkArea(memory, "used ring", usedRing, usedRingBytes(), 4);
    }

    private static void checkArea(GuestMemory memory, String what, long address, long length, int alignment)
            throws VirtqueueException {
        if ((address & (alignment - 1)) != 0) {
            throw new VirtqueueException(String.format("%s at 0x%x is not %d-byte aligned", what, address, alignment));
        }
        if (address + length < address || !memory.isRam(address, length)) {
            throw new VirtqueueException(String.format(
                    "%s [0x%x, +0x%x) is not inside one region of guest RAM", what, address, length));
        }
    }
}
