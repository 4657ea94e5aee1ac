package dev.jvisor.virtio.queue;

import dev.jvisor.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One validated descriptor chain taken from a {@link SplitQueue}: the head index to return in the
 * used ring and the chain's buffers, flattened (indirect tables already followed), device-readable
 * buffers first and device-writable ones after them (virtio 1.2 section 2.7.4.2 requires that
 * order).
 *
 * <p>By the time a chain is handed out every buffer has been checked to lie in guest RAM, so the
 * copy helpers here fail only on a device's own mistake (an offset beyond the chain). A chain is a
 * reusable container: {@link SplitQueue#pop} refills it, and devices that process one request at a
 * time keep one instance to avoid allocating per request. Not thread-safe.
 */
public final class DescriptorChain {
    private GuestMemory memory;
    private int head = -1;
    private int count;
    private int readableCount;
    private long readableBytes;
    private long writableBytes;
    private long[] addresses = new long[8];
    private int[] lengths = new int[8];

    /** The descriptor index of the chain's head, which the used ring reports back to the driver. */
    public int head() {
        return head;
    }

    /** The memory the buffers live in. */
    public GuestMemory memory() {
        return memory;
    }

    /** Number of buffers (device-readable and device-writable). */
    public int segmentCount() {
        return count;
    }

    /** Number of device-readable buffers; they are segments {@code 0 .. readableSegments()-1}. */
    public int readableSegments() {
        return readableCount;
    }

    /** Total bytes the device may read. */
    public long readableLength() {
        return readableBytes;
    }

    /** Total bytes the device may write. */
    public long writableLength() {
        return writableBytes;
    }

    /** Guest physical address of segment {@code i}. */
    public long address(int i) {
        return addresses[checkSegment(i)];
    }

    /** Length of segment {@code i} in bytes. */
    public int length(int i) {
        return lengths[checkSegment(i)];
    }

    /** Whether segment {@code i} is device-writable. */
    public boolean isWritable(int i) {
        return checkSegment(i) >= readableCount;
    }

    /** A view of segment {@code i}'s guest memory, for zero-copy I/O. Writers must call {@link GuestMemory#noteWrite}. */
    public MemorySegment slice(int i) {
        checkSegment(i);
        return memory.slice(addresses[i], lengths[i]);
    }

    /**
     * Copies {@code len} bytes of the device-readable part, starting {@code offset} bytes into it,
     * into {@code dst}.
     *
     * @throws IndexOutOfBoundsException if the range is not inside the readable part
     */
    public void read(long offset, byte[] dst, int dstOffset, int len) {
        if (offset < 0 || len < 0 || offset > readableBytes - len) {
            throw new IndexOutOfBoundsException(String.format(
                    "read of %d bytes at %d outside the %d readable bytes of the chain", len, offset, readableBytes));
        }
        int i = 0;
        while (len > 0) {
            if (offset >= lengths[i]) {
                offset -= lengths[i++];
                continue;
            }
            int chunk = (int) Math.min(len, lengths[i] - offset);
            memory.read(addresses[i] + offset, dst, dstOffset, chunk);
            dstOffset += chunk;
            len -= chunk;
            offset = 0;
            i++;
        }
    }

    /**
     * Copies {@code len} bytes of {@code src} into the device-writable part, starting {@code offset}
     * bytes into it.
     *
     * @throws IndexOutOfBoundsException if the range is not inside the writable part
     */
    public void write(long offset, byte[] src, int srcOffset, int len) {
        if (offset < 0 || len < 0 || offset > writableBytes - len) {
            throw new IndexOutOfBoundsException(String.format(
                    "write of %d bytes at %d outside the %d writable bytes of the chain", len, offset, writableBytes));
        }
        int i = readableCount;
        while (len > 0) {
            if (offset >= lengths[i]) {
                offset -= lengths[i++];
                continue;
            }
            int chunk = (int) Math.min(len, lengths[i] - offset);
            memory.write(addresses[i] + offset, src, srcOffset, chunk);
            srcOffset += chunk;
            len -= chunk;
            offset = 0;
            i++;
        }
    }

    /** Writes one byte at {@code offset} into the device-writable part. */
    public void writeByte(long offset, int value) {
        if (offset < 0 || offset >= writableBytes) {
            throw new IndexOutOfBoundsException(String.format(
                    "byte write at %d outside the %d writable bytes of the chain", offset, writableBytes));
        }
        int i = readableCount;
        while (offset >= lengths[i]) {
            offset -= lengths[i++];
        }
        memory.writeU8(addresses[i] + offset, value);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("chain head ").append(head).append(':');
        for (int i = 0; i < count; i++) {
            b.append(String.format(" %s[0x%x,+%d]", i < readableCount ? "r" : "w", addresses[i], lengths[i]));
        }
        return b.toString();
    }

    // ---- filled by SplitQueue ----

    void start(GuestMemory memory, int head) {
        this.memory = memory;
        this.head = head;
        count = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
    }

    /** Appends a buffer; the caller has already checked direction order and RAM. */
    void add(long address, int length, boolean writable) {
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        addresses[count] = address;
        lengths[count] = length;
        count++;
        if (writable) {
            writableBytes += Integer.toUnsignedLong(length);
        } else {
            readableCount++;
            readableBytes += Integer.toUnsignedLong(length);
        }
    }

    private int checkSegment(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("segment " + i + " of a chain of " + count);
        }
        return i;
    }
}
