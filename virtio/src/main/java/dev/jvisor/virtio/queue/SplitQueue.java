package dev.jvisor.virtio.queue;

import dev.jvisor.memory.GuestMemory;
import dev.jvisor.memory.GuestMemoryException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The device side of one split virtqueue (virtio 1.2 section 2.7) in guest memory: takes available
 * descriptor chains, validating each one ({@link #pop}), returns them through the used ring
 * ({@link #addUsed}) and decides when the driver needs an interrupt ({@link #needsInterrupt}) and
 * whether the driver should notify the device ({@link #enableNotifications}), with or without
 * VIRTIO_F_EVENT_IDX.
 *
 * <p>Guest memory is reached only through {@link GuestMemory}; the three ring areas are checked once
 * here ({@link QueueLayout#validate}) and then accessed through slices, which is why no ring access
 * can leave guest RAM afterwards. Every descriptor a chain uses is checked when the chain is taken.
 *
 * <p>Ordering with the driver on other CPUs follows sections 2.7.13 and 2.7.8: the available index is read
 * before the ring entries and descriptors it publishes (acquire); used elements are written before
 * the used index (release); and the index store is ordered before reading the driver's suppression
 * fields (full fence), so that a driver adding buffers at that moment is never missed.
 *
 * <p>Not thread-safe: one thread at a time (the device's queue lock) uses a queue.
 */
public final class SplitQueue {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Descriptor flags (section 2.7.5). */
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    /** Available ring flag: the driver asks for no interrupts (section 2.7.7). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** Used ring flag: the device asks for no notifications (section 2.7.10). */
    public static final int USED_F_NO_NOTIFY = 1;

    /**
     * The most descriptors one indirect table may hold. Section 2.7.5.3 bounds a table only by its
     * 32-bit length; Linux may build tables longer than the queue (it warns only without indirect
     * support), so the bound is the largest queue size rather than this queue's size.
     */
    public static final int MAX_INDIRECT_DESCRIPTORS = QueueLayout.MAX_SIZE;

    /** The largest total of readable or of writable bytes a chain may describe: the used ring's le32. */
    private static final long MAX_CHAIN_BYTES = 0xFFFF_FFFFL;

    private final GuestMemory memory;
    private final QueueLayout layout;
    private final int size;
    private final int mask;
    private final boolean indirectAllowed;
    private final boolean eventIdx;
    private final MemorySegment desc;
    private final MemorySegment avail;
    private final MemorySegment used;

    /** Free-running (mod 2^16) index of the next available ring entry to take. */
    private int nextAvail;
    /** Free-running (mod 2^16) index of the next used ring entry to fill. */
    private int nextUsed;
    /** The used index the driver last saw an interrupt decision for (event-idx bookkeeping). */
    private int signalledUsed;
    /** Whether {@link #signalledUsed} holds a real value (false until the first decision). */
    private boolean signalledUsedValid;

    /**
     * @param indirectAllowed whether VIRTIO_F_INDIRECT_DESC was negotiated
     * @param eventIdx        whether VIRTIO_F_EVENT_IDX was negotiated
     * @throws VirtqueueException if the layout is misaligned or not in guest RAM
     */
    public SplitQueue(GuestMemory memory, QueueLayout layout, boolean indirectAllowed, boolean eventIdx)
            throws VirtqueueException {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.layout = Objects.requireNonNull(layout, "layout");
        layout.validate(memory);
        this.size = layout.size();
        this.mask = size - 1;
        this.indirectAllowed = indirectAllowed;
        this.eventIdx = eventIdx;
        this.desc = memory.slice(layout.descTable(), layout.descTableBytes());
        this.avail = memory.slice(layout.availRing(), layout.availRingBytes());
        this.used = memory.slice(layout.usedRing(), layout.usedRingBytes());
        // Both free-running indices start at 0 when the driver enables the queue (section 2.7.6,
        // 2.7.8); the driver zeroes the rings before handing them over.
    }

    public int size() {
        return size;
    }

    public QueueLayout layout() {
        return layout;
    }

    public GuestMemory memory() {
        return memory;
    }

    public boolean eventIdx() {
        return eventIdx;
    }

    /** Free-running index of the next available entry the device will take. */
    public int nextAvail() {
        return nextAvail;
    }

    /** Free-running index of the next used entry the device will write. */
    public int nextUsed() {
        return nextUsed;
    }

    /**
     * How many chains the driver has made available and the device has not taken yet.
     *
     * @throws VirtqueueException if the driver's index is more than a queue's worth ahead
     */
    public int availableCount() throws VirtqueueException {
        int availIdx = Short.toUnsignedInt(avail.get(U16, 2));
        int pending = (availIdx - nextAvail) & 0xFFFF;
        if (pending > size) {
            throw new VirtqueueException(String.format(
                    "available index %d is %d entries ahead of the device's %d in a queue of %d",
                    availIdx, pending, nextAvail, size));
        }
        return pending;
    }

    /** Whether at least one chain is available. */
    public boolean hasAvailable() throws VirtqueueException {
        return availableCount() > 0;
    }

    /**
     * Takes the next available chain into {@code chain}, validating every descriptor.
     *
     * @return false if the driver has made nothing available
     * @throws VirtqueueException if the ring or chain breaks section 2.7's rules; the queue is then
     *                            unusable until the device is reset
     */
    public boolean pop(DescriptorChain chain) throws VirtqueueException {
        if (availableCount() == 0) {
            return false;
        }
        // Section 2.7.13.3: read the ring entry and descriptors only after seeing the index.
        VarHandle.acquireFence();
        int head = Short.toUnsignedInt(avail.get(U16, 4L + 2L * (nextAvail & mask)));
        if (head >= size) {
            throw new VirtqueueException(String.format(
                    "available ring entry %d names descriptor %d in a queue of %d", nextAvail & mask, head, size));
        }
        walk(head, chain);
        nextAvail = (nextAvail + 1) & 0xFFFF;
        return true;
    }

    /** Gives back the chain taken last, as if it had not been popped (a device that found no room for it). */
    public void undoPop() {
        nextAvail = (nextAvail - 1) & 0xFFFF;
    }

    /**
     * Puts chain {@code head} in the used ring with {@code written} bytes written into its
     * device-writable buffers, and publishes the new used index.
     */
    public void addUsed(int head, long written) {
        if (head < 0 || head >= size) {
            throw new IllegalArgumentException("descriptor " + head + " is not a head of a queue of " + size);
        }
        long element = 4L + 8L * (nextUsed & mask);
        used.set(U32, element, head);
        used.set(U32, element + 4, (int) Math.min(written, MAX_CHAIN_BYTES));
        nextUsed = (nextUsed + 1) & 0xFFFF;
        // Section 2.7.8: the element must be visible before the index that covers it.
        VarHandle.releaseFence();
        used.set(U16, 2, (short) nextUsed);
        memory.noteWrite(layout.usedRing() + element, 8);
        memory.noteWrite(layout.usedRing() + 2, 2);
    }

    /**
     * Whether the driver wants an interrupt for the used entries added since the previous call
     * (section 2.7.7): with event-idx, when the used index has passed the driver's used_event;
     * otherwise unless it set VIRTQ_AVAIL_F_NO_INTERRUPT.
     */
    public boolean needsInterrupt() {
        // Order the used index store before reading the driver's suppression fields: otherwise a
        // driver that re-enables interrupts right now could be missed (the device-side mirror of 2.7.13.4).
        VarHandle.fullFence();
        int newUsed = nextUsed;
        if (!eventIdx) {
            return (Short.toUnsignedInt(avail.get(U16, 0)) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        int old = signalledUsed;
        boolean valid = signalledUsedValid;
        signalledUsed = newUsed;
        signalledUsedValid = true;
        if (!valid) {
            return true;
        }
        int usedEvent = Short.toUnsignedInt(avail.get(U16, 4L + 2L * size));
        return needEvent(usedEvent, newUsed, old);
    }

    /**
     * The event-index test of section 2.7.7.2: whether moving the index from {@code old} to
     * {@code newIdx} crossed {@code event}, all mod 2^16.
     */
    public static boolean needEvent(int event, int newIdx, int old) {
        return ((newIdx - event - 1) & 0xFFFF) < ((newIdx - old) & 0xFFFF);
    }

    /**
     * Asks the driver not to notify while the device is busy taking chains anyway (without
     * event-idx: VIRTQ_USED_F_NO_NOTIFY; with it, the device simply leaves avail_event behind).
     */
    public void disableNotifications() {
        if (!eventIdx) {
            used.set(U16, 0, (short) USED_F_NO_NOTIFY);
            memory.noteWrite(layout.usedRing(), 2);
        }
    }

    /**
     * Asks the driver to notify on its next addition and re-checks the ring: a chain the driver
     * added before seeing the request would otherwise wait forever.
     *
     * @return whether chains are available (the caller should keep processing)
     */
    public boolean enableNotifications() throws VirtqueueException {
        if (eventIdx) {
            used.set(U16, 4L + 8L * size, (short) nextAvail);
            memory.noteWrite(layout.usedRing() + 4 + 8L * size, 2);
        } else {
            used.set(U16, 0, (short) 0);
            memory.noteWrite(layout.usedRing(), 2);
        }
        VarHandle.fullFence();
        return hasAvailable();
    }

    // ---- chain walking ----

    private void walk(int head, DescriptorChain chain) throws VirtqueueException {
        chain.start(memory, head);
        boolean sawWritable = false;
        int index = head;
        int steps = 0;
        while (true) {
            if (++steps > size) {
                throw new VirtqueueException(String.format(
                        "chain from head %d has more than %d descriptors (a loop?)", head, size));
            }
            long base = (long) QueueLayout.DESCRIPTOR_SIZE * index;
            long addr = desc.get(U64, base);
            long len = Integer.toUnsignedLong(desc.get(U32, base + 8));
            int flags = Short.toUnsignedInt(desc.get(U16, base + 12));
            int next = Short.toUnsignedInt(desc.get(U16, base + 14));
            if ((flags & DESC_F_INDIRECT) != 0) {
                if ((flags & DESC_F_NEXT) != 0) {
                    throw new VirtqueueException(String.format(
                            "descriptor %d of chain %d sets both INDIRECT and NEXT (section 2.7.5.3.1)", index, head));
                }
                walkIndirect(head, index, addr, len, chain, sawWritable);
                return;
            }
            sawWritable = addBuffer(head, "descriptor " + index, addr, len, flags, chain, sawWritable);
            if ((flags & DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= size) {
                throw new VirtqueueException(String.format(
                        "descriptor %d of chain %d links to %d, beyond the queue of %d", index, head, next, size));
            }
            index = next;
        }
    }

    private void walkIndirect(int head, int index, long tableAddr, long tableLen, DescriptorChain chain,
            boolean sawWritable) throws VirtqueueException {
        if (!indirectAllowed) {
            throw new VirtqueueException(String.format(
                    "descriptor %d of chain %d is INDIRECT but VIRTIO_F_INDIRECT_DESC was not negotiated", index, head));
        }
        if (tableLen == 0 || tableLen % QueueLayout.DESCRIPTOR_SIZE != 0
                || tableLen / QueueLayout.DESCRIPTOR_SIZE > MAX_INDIRECT_DESCRIPTORS) {
            throw new VirtqueueException(String.format(
                    "indirect table of chain %d has length %d: not a non-zero multiple of 16 up to %d descriptors",
                    head, tableLen, MAX_INDIRECT_DESCRIPTORS));
        }
        if ((tableAddr & 0xF) != 0 || !inRam(tableAddr, tableLen)) {
            throw new VirtqueueException(String.format(
                    "indirect table of chain %d at [0x%x, +0x%x) is misaligned or not in guest RAM", head, tableAddr, tableLen));
        }
        int entries = (int) (tableLen / QueueLayout.DESCRIPTOR_SIZE);
        int i = 0;
        int steps = 0;
        try {
            while (true) {
                if (++steps > entries) {
                    throw new VirtqueueException(String.format(
                            "indirect table of chain %d loops (more than its %d descriptors)", head, entries));
                }
                long at = tableAddr + (long) QueueLayout.DESCRIPTOR_SIZE * i;
                long addr = memory.readU64(at);
                long len = memory.readU32(at + 8);
                int flags = memory.readU16(at + 12);
                int next = memory.readU16(at + 14);
                if ((flags & DESC_F_INDIRECT) != 0) {
                    throw new VirtqueueException(String.format(
                            "indirect descriptor %d of chain %d is itself INDIRECT (section 2.7.5.3.1)", i, head));
                }
                sawWritable = addBuffer(head, "indirect descriptor " + i, addr, len, flags, chain, sawWritable);
                if ((flags & DESC_F_NEXT) == 0) {
                    return;
                }
                if (next >= entries) {
                    throw new VirtqueueException(String.format(
                            "indirect descriptor %d of chain %d links to %d, beyond its table of %d",
                            i, head, next, entries));
                }
                i = next;
            }
        } catch (GuestMemoryException e) {
            // Cannot happen after the inRam check above; kept so a changed memory map is still a report.
            throw new VirtqueueException("indirect table of chain " + head + " became unreadable", e);
        }
    }

    private boolean addBuffer(int head, String which, long addr, long len, int flags, DescriptorChain chain,
            boolean sawWritable) throws VirtqueueException {
        boolean writable = (flags & DESC_F_WRITE) != 0;
        if (!writable && sawWritable) {
            throw new VirtqueueException(String.format(
                    "%s of chain %d is device-readable after a device-writable one (section 2.7.4.2)", which, head));
        }
        if (len > Integer.MAX_VALUE) {
            throw new VirtqueueException(String.format(
                    "%s of chain %d is %d bytes long; buffers over 2 GiB are not supported", which, head, len));
        }
        if (len != 0 && !inRam(addr, len)) {
            throw new VirtqueueException(String.format(
                    "%s of chain %d covers [0x%x, +0x%x), which wraps or is not in guest RAM", which, head, addr, len));
        }
        if ((writable ? chain.writableLength() : chain.readableLength()) + len > MAX_CHAIN_BYTES) {
            throw new VirtqueueException(String.format(
                    "chain %d describes more than 4 GiB of %s buffers", head, writable ? "writable" : "readable"));
        }
        if (len != 0) {
            chain.add(addr, (int) len, writable);
        }
        return sawWritable || writable;
    }

    private boolean inRam(long addr, long len) {
        return addr + len >= addr && memory.isRam(addr, len);
    }
}
