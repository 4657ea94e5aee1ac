package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.jvisor.hypervisor.InterruptLines;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Interrupt lines of a KVM VM: {@code KVM_IRQ_LINE} into the in-kernel PIC/IOAPIC pair (KVM's
 * default routing sends GSI 0–15 to both the 8259s and the IOAPIC, 16–23 to the IOAPIC) and
 * {@code KVM_SIGNAL_MSI}. Thread-safe; the ioctl argument buffers are preallocated and shared under
 * a lock, so raising a line does not allocate.
 */
final class KvmInterrupts implements InterruptLines {
    /** Pins of KVM's in-kernel IOAPIC (KVM_IOAPIC_NUM_PINS). */
    static final int GSI_COUNT = 24;
    private static final long MSI_ADDRESS_BASE = 0xfee0_0000L;

    private final NativeFd vmFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment irqLevel = arena.allocate(KvmStructs.IRQ_LEVEL);
    private final MemorySegment msi = arena.allocate(KvmStructs.MSI);
    private final MemorySegment errno = Libc.newErrnoState(arena);
    /** Guarded by this. */
    private boolean closed;

    KvmInterrupts(NativeFd vmFd) {
        this.vmFd = vmFd;
    }

    @Override
    public void setLevel(int gsi, boolean high) {
        if (gsi < 0 || gsi >= GSI_COUNT) {
            throw new IllegalArgumentException("GSI must be 0.." + (GSI_COUNT - 1) + ": " + gsi);
        }
        synchronized (this) {
            checkOpen();
            irqLevel.set(JAVA_INT, 0, gsi);
            irqLevel.set(JAVA_INT, 4, high ? 1 : 0);
            if (Libc.ioctl(errno, vmFd.fd(), Ioctl.KVM_IRQ_LINE.number, irqLevel) < 0) {
                throw new KvmException(Ioctl.KVM_IRQ_LINE.name(), Libc.errno(errno), "GSI " + gsi);
            }
        }
    }

    /** Delivers an MSI; a guest that masked the vector simply does not receive it. */
    @Override
    public void signalMsi(long address, int data) {
        if ((address & ~0xf_ffffL) != MSI_ADDRESS_BASE) {
            throw new IllegalArgumentException(String.format("MSI address 0x%x is outside 0xfee00000-0xfeefffff", address));
        }
        synchronized (this) {
            checkOpen();
            msi.fill((byte) 0);
            msi.set(JAVA_INT, 0, (int) address);
            msi.set(JAVA_INT, 4, (int) (address >>> 32));
            msi.set(JAVA_INT, 8, data);
            if (Libc.ioctl(errno, vmFd.fd(), Ioctl.KVM_SIGNAL_MSI.number, msi) < 0) {
                throw new KvmException(Ioctl.KVM_SIGNAL_MSI.name(), Libc.errno(errno), String.format("address 0x%x", address));
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the VM is closed");
        }
    }

    void close() {
        synchronized (this) {
            if (!closed) {
                closed = true;
                arena.close();
            }
        }
    }
}
