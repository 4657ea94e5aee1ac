package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/** Little-endian access of 1, 2, 4 or 8 data bytes in kvm_run (x86 is little-endian, as is the host). */
final class GuestData {
    private GuestData() {
    }

    static long read(MemorySegment s, long at, int size) {
        return switch (size) {
            case 1 -> s.get(JAVA_BYTE, at) & 0xffL;
            case 2 -> s.get(JAVA_SHORT_UNALIGNED, at) & 0xffffL;
            case 4 -> s.get(JAVA_INT_UNALIGNED, at) & 0xffff_ffffL;
            case 8 -> s.get(JAVA_LONG_UNALIGNED, at);
            default -> throw new IllegalArgumentException("access size " + size);
        };
    }

    static void write(MemorySegment s, long at, int size, long value) {
        switch (size) {
            case 1 -> s.set(JAVA_BYTE, at, (byte) value);
            case 2 -> s.set(JAVA_SHORT_UNALIGNED, at, (short) value);
            case 4 -> s.set(JAVA_INT_UNALIGNED, at, (int) value);
            case 8 -> s.set(JAVA_LONG_UNALIGNED, at, value);
            default -> throw new IllegalArgumentException("access size " + size);
        }
    }
}
