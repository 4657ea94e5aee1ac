package dev.jvisor.virtio.pci;

import dev.jvisor.hypervisor.InterruptLines;
import java.util.Objects;

/**
 * An MSI-X table and pending bit array (PCI Local Bus Specification 3.0, section 6.8.2): per
 * vector a message address, data and a mask bit, plus the function-wide enable and mask bits of
 * the capability's Message Control register.
 *
 * <p>A vector fired while masked (by its own mask bit or the function mask) sets its pending bit;
 * it is delivered, and the bit cleared, as soon as both masks are clear (section 6.8.2.9). Vectors
 * come out of reset masked. Accesses are DWORD or aligned QWORD (section 6.8.2: "software must use
 * aligned full DWORD or aligned full QWORD transactions"); others read as zero and are ignored.
 *
 * <p>Not thread-safe: the owning transport serialises calls (it holds its device lock).
 */
public final class MsixTable {
    /** Bytes per table entry: address low, address high, data, vector control. */
    public static final int ENTRY_SIZE = 16;
    private static final int VECTOR_MASKED = 1;

    private final InterruptLines interrupts;
    private final int size;
    private final int[] words;
    private final long[] pending;
    private boolean enabled;
    private boolean functionMasked;
    private long delivered;

    /** @param size number of vectors, 1 to 2048 */
    public MsixTable(InterruptLines interrupts, int size) {
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        if (size < 1 || size > 2048) {
            throw new IllegalArgumentException("an MSI-X table has 1 to 2048 vectors, not " + size);
        }
        this.size = size;
        this.words = new int[size * 4];
        this.pending = new long[(size + 63) / 64];
        for (int v = 0; v < size; v++) {
            words[v * 4 + 3] = VECTOR_MASKED;
        }
    }

    /** Number of vectors. */
    public int size() {
        return size;
    }

    /** Bytes of the table. */
    public int tableBytes() {
        return size * ENTRY_SIZE;
    }

    /** Bytes of the pending bit array (whole QWORDs). */
    public int pbaBytes() {
        return pending.length * 8;
    }

    public boolean enabled() {
        return enabled;
    }

    /** How many messages have been sent (for tests and statistics). */
    public long deliveredCount() {
        return delivered;
    }

    /**
     * Applies the Message Control register's enable and function mask bits; releases pending
     * messages that are no longer masked.
     */
    public void setControl(boolean enable, boolean functionMask) {
        this.enabled = enable;
        this.functionMasked = functionMask;
        releasePending();
    }

    /** Whether vector {@code v} is masked by its own mask bit. */
    public boolean isMasked(int v) {
        return (words[checkVector(v) * 4 + 3] & VECTOR_MASKED) != 0;
    }

    /** Whether vector {@code v}'s pending bit is set. */
    public boolean isPending(int v) {
        checkVector(v);
        return (pending[v >>> 6] & (1L << v)) != 0;
    }

    /**
     * Sends vector {@code v}, or marks it pending while it is masked. Does nothing while MSI-X is
     * disabled (the caller falls back to INTx then).
     */
    public void fire(int v) {
        checkVector(v);
        if (!enabled) {
            return;
        }
        if (functionMasked || (words[v * 4 + 3] & VECTOR_MASKED) != 0) {
            pending[v >>> 6] |= 1L << v;
            return;
        }
        send(v);
    }

    /** A guest read of the table at {@code offset} (relative to the table start). */
    public long readTable(long offset, int size) {
        if (!validAccess(offset, size, tableBytes())) {
            return 0;
        }
        int word = (int) (offset >>> 2);
        long value = words[word] & 0xFFFF_FFFFL;
        if (size == 8) {
            value |= (words[word + 1] & 0xFFFF_FFFFL) << 32;
        }
        return value;
    }

    /** A guest write of the table; the message address keeps bits 1:0 zero and control only bit 0. */
    public void writeTable(long offset, int size, long value) {
        if (!validAccess(offset, size, tableBytes())) {
            return;
        }
        int word = (int) (offset >>> 2);
        storeWord(word, (int) value);
        if (size == 8) {
            storeWord(word + 1, (int) (value >>> 32));
        }
        releasePending();
    }

    /** A guest read of the pending bit array (writes to it are ignored: it is read-only). */
    public long readPba(long offset, int size) {
        if (!validAccess(offset, size, pbaBytes())) {
            return 0;
        }
        long qword = pending[(int) (offset >>> 3)];
        return size == 8 ? qword : (qword >>> (8 * (offset & 4))) & 0xFFFF_FFFFL;
    }

    private void storeWord(int word, int value) {
        switch (word & 3) {
            case 0 -> words[word] = value & ~3; // the address is DWORD aligned
            case 3 -> words[word] = value & VECTOR_MASKED; // other control bits are reserved
            default -> words[word] = value;
        }
    }

    private void releasePending() {
        if (!enabled || functionMasked) {
            return;
        }
        for (int i = 0; i < pending.length; i++) {
            long bits = pending[i];
            while (bits != 0) {
                int v = i * 64 + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if ((words[v * 4 + 3] & VECTOR_MASKED) == 0) {
                    pending[i] &= ~(1L << v);
                    send(v);
                }
            }
        }
    }

    private void send(int v) {
        long address = (words[v * 4] & 0xFFFF_FFFFL) | (words[v * 4 + 1] & 0xFFFF_FFFFL) << 32;
        delivered++;
        interrupts.signalMsi(address, words[v * 4 + 2]);
    }

    private static boolean validAccess(long offset, int size, int limit) {
        return (size == 4 || size == 8) && (offset & (size - 1)) == 0 && offset >= 0 && offset + size <= limit;
    }

    private int checkVector(int v) {
        if (v < 0 || v >= size) {
            throw new IllegalArgumentException("MSI-X vector " + v + " outside a table of " + size);
        }
        return v;
    }
}
