package dev.jvisor.kvm;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.VcpuExit;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest-debug state KVM takes in {@code KVM_SET_GUEST_DEBUG}: the control flags and the values
 * of DR0-DR3 and DR7 that implement a {@link DebugSettings} with the CPU's four hardware
 * breakpoints, and the decoding of the {@code KVM_EXIT_DEBUG} that reports a hit. Pure data, no
 * native calls.
 *
 * <p>Breakpoints and watchpoints share the four address registers (Intel SDM Vol. 3B §18.2). A
 * watchpoint must be naturally aligned and 1, 2, 4 or 8 bytes long (§18.2.5); any other range is
 * split into aligned pieces, each taking a register. x86 has no read-only condition, so a
 * {@link DebugSettings.Kind#READ} watchpoint is armed as read/write and also stops on writes.
 */
final class KvmDebugRegisters {
    /** linux/kvm.h and asm/kvm.h KVM_GUESTDBG_* control bits. */
    static final int ENABLE = 0x1, SINGLESTEP = 0x2, USE_HW_BP = 0x2_0000, BLOCKIRQ = 0x10_0000;
    /** The number of address registers (DR0-DR3). */
    static final int SLOTS = 4;
    /** DR7: GE (bit 9), which the SDM recommends setting with global breakpoints (§18.2.4). */
    private static final long DR7_GE = 1L << 9;
    /** DR7 R/W field values (§18.2.4): instruction execution, data writes, data reads or writes. */
    private static final int RW_EXECUTE = 0b00, RW_WRITE = 0b01, RW_READ_WRITE = 0b11;
    /** DR6 bits (§18.2.3): B0-B3 which breakpoint matched, BS single step. */
    private static final long DR6_B_MASK = 0xf, DR6_BS = 1L << 14;
    /** The vectors a debug exit reports: #DB and #BP. */
    static final int DEBUG_VECTOR = 1, BREAKPOINT_VECTOR = 3;

    /** What one address register watches: an instruction breakpoint, or (a piece of) a watchpoint. */
    private record Slot(long address, int length, int rw, long reportedAddress) {
    }

    private final int control;
    private final long[] debugRegisters;
    private final Slot[] slots;

    private KvmDebugRegisters(int control, long[] debugRegisters, Slot[] slots) {
        this.control = control;
        this.debugRegisters = debugRegisters;
        this.slots = slots;
    }

    /**
     * The registers for {@code settings}.
     *
     * @throws HypervisorException if the breakpoints and watchpoints need more than four registers
     */
    static KvmDebugRegisters of(DebugSettings settings) {
        List<Slot> slots = new ArrayList<>();
        for (long address : settings.breakpoints()) {
            slots.add(new Slot(address, 1, RW_EXECUTE, address));
        }
        for (DebugSettings.Watchpoint w : settings.watchpoints()) {
            int rw = w.kind() == DebugSettings.Kind.WRITE ? RW_WRITE : RW_READ_WRITE;
            long at = w.address();
            long end = w.address() + w.length();
            while (at != end) {
                int piece = largestAlignedPiece(at, end - at);
                slots.add(new Slot(at, piece, rw, w.address()));
                at += piece;
            }
        }
        if (slots.size() > SLOTS) {
            throw new HypervisorException("KVM guest debugging has " + SLOTS + " hardware debug registers; these "
                    + settings.breakpoints().size() + " breakpoints and " + settings.watchpoints().size()
                    + " watchpoints need " + slots.size() + " (an unaligned watchpoint takes one per aligned piece)");
        }
        long[] dr = new long[8];
        long dr7 = slots.isEmpty() ? 0 : DR7_GE;
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            dr[i] = s.address();
            // G<i> enables the breakpoint for every task (bit 2i+1); R/W<i> at 16+4i, LEN<i> at 18+4i.
            dr7 |= 1L << (2 * i + 1);
            dr7 |= (long) s.rw() << (16 + 4 * i);
            dr7 |= (long) lengthCode(s.length()) << (18 + 4 * i);
        }
        dr[7] = dr7;
        int control = 0;
        if (settings.active()) {
            control = ENABLE | (slots.isEmpty() ? 0 : USE_HW_BP) | (settings.singleStep() ? SINGLESTEP | BLOCKIRQ : 0);
        }
        return new KvmDebugRegisters(control, dr, slots.toArray(new Slot[0]));
    }

    /** The largest of 8, 4, 2, 1 that {@code address} is aligned to and that fits in {@code remaining}. */
    private static int largestAlignedPiece(long address, long remaining) {
        for (int size = 8; size > 1; size >>= 1) {
            if ((address & (size - 1)) == 0 && remaining >= size) {
                return size;
            }
        }
        return 1;
    }

    /** LEN encodings (§18.2.4): 00 one byte, 01 two, 11 four, 10 eight (IA-32e mode). */
    private static int lengthCode(int length) {
        return switch (length) {
            case 1 -> 0b00;
            case 2 -> 0b01;
            case 4 -> 0b11;
            case 8 -> 0b10;
            default -> throw new IllegalArgumentException("no DR7 length code for " + length + " bytes");
        };
    }

    /** KVM_GUESTDBG_* flags for kvm_guest_debug.control. */
    int control() {
        return control;
    }

    /** This state without {@link #BLOCKIRQ}, for kernels that predate it. */
    int controlWithoutBlockIrq() {
        return control & ~BLOCKIRQ;
    }

    /** debugreg[0..7] for kvm_guest_debug.arch (DR4-DR6 unused). */
    long debugRegister(int n) {
        return debugRegisters[n];
    }

    /**
     * What a {@code KVM_EXIT_DEBUG} with these registers armed means, or null if it is none of the
     * events asked for (a stale #DB after debugging was turned off: the guest simply resumes).
     *
     * @param vector the exception in kvm_run.debug.arch (1 #DB, 3 #BP)
     * @param pc     the linear address of the next instruction
     * @param dr6    the debug status
     */
    VcpuExit.Debug decode(int vector, long pc, long dr6) {
        if (vector == DEBUG_VECTOR) {
            long hits = dr6 & DR6_B_MASK;
            for (int i = 0; i < slots.length; i++) {
                if ((hits & (1L << i)) != 0) {
                    Slot s = slots[i];
                    return s.rw() == RW_EXECUTE
                            ? new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, s.reportedAddress())
                            : new VcpuExit.Debug(VcpuExit.Debug.Reason.WATCHPOINT, s.reportedAddress());
                }
            }
            if ((dr6 & DR6_BS) != 0 || (control & SINGLESTEP) != 0) {
                return new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, pc);
            }
            return null;
        }
        if (vector == BREAKPOINT_VECTOR) {
            // Only with KVM_GUESTDBG_USE_SW_BP, which this back end does not arm; report it rather
            // than lose it.
            return new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, pc);
        }
        return null;
    }
}
