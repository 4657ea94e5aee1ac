package dev.jvisor.emu.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Atomic read-modify-write of guest memory for LOCK-prefixed instructions and XCHG when a VM has
 * several vCPUs (SDM Vol. 3A §9.1.2.2): the update is a compare-and-set on the host memory, so it is
 * atomic against every other vCPU's plain loads and stores too, as on hardware.
 *
 * <p>Byte and word operands are updated through the aligned 4- or 8-byte word that contains them.
 * An operand no aligned word contains (a split lock), or one in MMIO or translated code, falls back
 * to a VM-wide lock around an ordinary read and write — atomic against other locked operations only,
 * which is all split locks ever guaranteed in practice.
 *
 * <p>One instance per CPU, reused: {@link #begin}, then {@link #load}/{@link #compareAndSet} in a
 * retry loop, then {@link #end}. No allocation.
 */
final class AtomicSlot {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final Cpu cpu;
    private MemorySegment ram;
    private long linear;
    private long wordOffset;
    private int wordSize;
    private int shift;
    private long mask;
    private int size;
    private long word;
    private java.util.concurrent.locks.ReentrantLock fallbackLock;

    AtomicSlot(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Prepares an atomic access of {@code size} bytes at {@code va}; faults as a write would. */
    void begin(long va, int size) {
        this.linear = va;
        this.size = size;
        this.mask = Insn.mask(size);
        Mmu m = cpu.mmu;
        long off = ((va & 0xfff) + size <= 0x1000) ? m.hostForWrite(va) : -1;
        if (off < 0) {
            m.probeWrite(va, size);
            startFallback();
            return;
        }
        int w = ((off & ~3L) + 4 >= off + size) ? 4 : ((off & ~7L) + 8 >= off + size) ? 8 : 0;
        if (w == 0) {
            startFallback();
            return;
        }
        fallbackLock = null;
        ram = m.ram;
        wordSize = w;
        wordOffset = off & -w;
        shift = (int) (off - wordOffset) * 8;
    }

    private void startFallback() {
        java.util.concurrent.locks.ReentrantLock lock = cpu.mmu.codeCache.splitLock;
        lock.lock();
        fallbackLock = lock;
    }

    /** The operand's current value (zero-extended). */
    long load() {
        if (fallbackLock != null) {
            return cpu.mmu.read(linear, size);
        }
        word = wordSize == 8 ? (long) LONG.getVolatile(ram, wordOffset)
                : ((int) INT.getVolatile(ram, wordOffset)) & 0xffff_ffffL;
        return (word >>> shift) & mask;
    }

    /** Stores {@code value} if the operand still holds what {@link #load} returned. */
    boolean compareAndSet(long value) {
        if (fallbackLock != null) {
            cpu.mmu.write(linear, size, value);
            return true;
        }
        long updated = (word & ~(mask << shift)) | ((value & mask) << shift);
        if (wordSize == 8) {
            return LONG.compareAndSet(ram, wordOffset, word, updated);
        }
        return INT.compareAndSet(ram, wordOffset, (int) word, (int) updated);
    }

    /** Ends the access (releases the fallback lock if one was taken). */
    void end() {
        if (fallbackLock != null) {
            java.util.concurrent.locks.ReentrantLock lock = fallbackLock;
            fallbackLock = null;
            lock.unlock();
        }
    }
}
