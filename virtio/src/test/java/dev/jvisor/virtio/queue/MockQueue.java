package dev.jvisor.virtio.queue;

import dev.jvisor.memory.GuestMemory;

/**
 * The driver side of a split virtqueue for tests: lays out a descriptor table and both rings in a
 * {@link GuestMemory}, writes descriptors (well-formed or deliberately malformed), publishes chains
 * in the available ring and reads back what the device put in the used ring.
 *
 * <p>Layout: descriptor table at {@code base}, available ring right after it, used ring at the next
 * 4 KiB boundary, and a bump allocator for data buffers starting at {@code dataBase}.
 */
public final class MockQueue {
    /** One buffer of a chain as the driver describes it. */
    public record Buffer(long address, int length, boolean writable) {
        public static Buffer readable(long address, int length) {
            return new Buffer(address, length, false);
        }

        public static Buffer writable(long address, int length) {
            return new Buffer(address, length, true);
        }
    }

    /** One used ring element. */
    public record Used(int head, int length) {
    }

    private final GuestMemory memory;
    private final QueueLayout layout;
    private int nextDescriptor;
    private int availIdx;
    private long nextData;

    public MockQueue(GuestMemory memory, int size, long base, long dataBase) {
        this.memory = memory;
        long avail = base + 16L * size;
        long used = (avail + 6 + 2L * size + 4095) & ~4095L;
        this.layout = new QueueLayout(size, base, avail, used);
        this.nextData = dataBase;
        memory.fill(base, used + 6 + 8L * size - base, (byte) 0);
    }

    public MockQueue(GuestMemory memory, int size) {
        this(memory, size, 0x10000, 0x100000);
    }

    public QueueLayout layout() {
        return layout;
    }

    public GuestMemory memory() {
        return memory;
    }

    public int size() {
        return layout.size();
    }

    /** A device-side queue over this layout. */
    public SplitQueue deviceQueue(boolean indirect, boolean eventIdx) throws VirtqueueException {
        return new SplitQueue(memory, layout, indirect, eventIdx);
    }

    /** Reserves {@code length} bytes of data area (16-byte aligned) and returns its address. */
    public long allocate(int length) {
        long at = nextData;
        nextData = (nextData + length + 15) & ~15L;
        return at;
    }

    /** Allocates a buffer filled with {@code bytes}. */
    public long allocate(byte[] bytes) {
        long at = allocate(bytes.length);
        memory.write(at, bytes);
        return at;
    }

    /** Writes descriptor {@code index} of the table as given, whatever it says. */
    public void writeDescriptor(int index, long address, long length, int flags, int next) {
        writeDescriptorAt(layout.descTable() + 16L * index, address, length, flags, next);
    }

    /** Writes a descriptor anywhere (an indirect table entry). */
    public void writeDescriptorAt(long at, long address, long length, int flags, int next) {
        memory.writeU64(at, address);
        memory.writeU32(at + 8, (int) length);
        memory.writeU16(at + 12, flags);
        memory.writeU16(at + 14, next);
    }

    /** Writes {@code buffers} as a linked chain in fresh table entries, publishes it and returns its head. */
    public int addChain(Buffer... buffers) {
        int head = nextDescriptor;
        for (int i = 0; i < buffers.length; i++) {
            int index = (head + i) % size();
            Buffer b = buffers[i];
            int flags = (b.writable() ? SplitQueue.DESC_F_WRITE : 0) | (i + 1 < buffers.length ? SplitQueue.DESC_F_NEXT : 0);
            writeDescriptor(index, b.address(), b.length(), flags, (index + 1) % size());
        }
        nextDescriptor = (head + buffers.length) % size();
        publish(head);
        return head;
    }

    /** Writes {@code buffers} into an indirect table, one descriptor pointing at it, publishes it. */
    public int addIndirectChain(Buffer... buffers) {
        long table = allocate(16 * buffers.length);
        for (int i = 0; i < buffers.length; i++) {
            Buffer b = buffers[i];
            int flags = (b.writable() ? SplitQueue.DESC_F_WRITE : 0) | (i + 1 < buffers.length ? SplitQueue.DESC_F_NEXT : 0);
            writeDescriptorAt(table + 16L * i, b.address(), b.length(), flags, i + 1);
        }
        int head = nextDescriptor;
        writeDescriptor(head, table, 16L * buffers.length, SplitQueue.DESC_F_INDIRECT, 0);
        nextDescriptor = (head + 1) % size();
        publish(head);
        return head;
    }

    /** Puts {@code head} in the next available ring entry and bumps the available index. */
    public void publish(int head) {
        memory.writeU16(layout.availRing() + 4 + 2L * (availIdx % size()), head);
        availIdx = (availIdx + 1) & 0xFFFF;
        memory.writeU16(layout.availRing() + 2, availIdx);
    }

    /** Sets the available index directly (to model a driver that runs ahead). */
    public void setAvailIdx(int idx) {
        availIdx = idx & 0xFFFF;
        memory.writeU16(layout.availRing() + 2, availIdx);
    }

    public void setAvailFlags(int flags) {
        memory.writeU16(layout.availRing(), flags);
    }

    /** The driver's used_event (event-idx). */
    public void setUsedEvent(int idx) {
        memory.writeU16(layout.availRing() + 4 + 2L * size(), idx);
    }

    /** The device's avail_event (event-idx). */
    public int availEvent() {
        return memory.readU16(layout.usedRing() + 4 + 8L * size());
    }

    public int usedFlags() {
        return memory.readU16(layout.usedRing());
    }

    public int usedIdx() {
        return memory.readU16(layout.usedRing() + 2);
    }

    /** Used ring element {@code i} (free-running index, taken mod size). */
    public Used used(int i) {
        long at = layout.usedRing() + 4 + 8L * (i % size());
        return new Used((int) memory.readU32(at), (int) memory.readU32(at + 4));
    }
}
