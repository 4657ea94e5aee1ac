package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.InterruptLines;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.memory.MemoryRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A KVM VM: the VM fd with its in-kernel irqchip and PIT, one memory slot per guest RAM region, the
 * vCPUs, and the eventfds attached to it. Created by {@link KvmHypervisor#createVm}.
 *
 * <p>Beyond {@link Vm}: irqfd and ioeventfd registration and dirty-page logging. Thread-safe,
 * except that {@link #close()} requires every vCPU to be stopped.
 */
public final class KvmVm implements Vm {
    /**
     * KVM's private pages for real-mode support on Intel (one identity-map page, then three TSS
     * pages), just below the 16 MiB BIOS window under 4 GiB, where QEMU puts them too. Guest RAM
     * must not overlap them.
     */
    public static final long IDENTITY_MAP_ADDRESS = 0xfeff_c000L, TSS_ADDRESS = 0xfeff_d000L, PRIVATE_END = 0xff00_0000L;
    private static final int MEM_LOG_DIRTY_PAGES = 1;
    private static final int PIT_SPEAKER_DUMMY = 1;
    private static final int IRQFD_DEASSIGN = 1, IOEVENTFD_DATAMATCH = 1, IOEVENTFD_PIO = 2, IOEVENTFD_DEASSIGN = 4;

    private final NativeFd vmFd;
    private final GuestMemory memory;
    private final List<KvmVcpu> created = new ArrayList<>();
    private final List<KvmVcpu> vcpus;
    private final KvmInterrupts interrupts;
    private final Set<KvmEventFd> eventFds = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean dirtyLogging;

    KvmVm(NativeFd vmFd, VmSpec spec, long runMmapSize, List<CpuidTable.Entry> supportedCpuid) {
        this.vmFd = vmFd;
        this.memory = spec.memory();
        this.interrupts = new KvmInterrupts(vmFd);
        try {
            for (MemoryRegion r : memory.regions()) {
                if (r.guestBase() < PRIVATE_END && r.guestEnd() > IDENTITY_MAP_ADDRESS) {
                    throw new HypervisorException(String.format("guest RAM [0x%x, 0x%x) overlaps KVM's private pages at "
                            + "[0x%x, 0x%x)", r.guestBase(), r.guestEnd(), IDENTITY_MAP_ADDRESS, PRIVATE_END));
                }
            }
            // Order matters: the identity map before any vCPU, the irqchip before the PIT and vCPUs.
            try (Arena a = Arena.ofConfined()) {
                MemorySegment address = a.allocate(JAVA_LONG);
                address.set(JAVA_LONG, 0, IDENTITY_MAP_ADDRESS);
                vmFd.ioctl(Ioctl.KVM_SET_IDENTITY_MAP_ADDR, address);
                vmFd.ioctl(Ioctl.KVM_SET_TSS_ADDR, TSS_ADDRESS);
                vmFd.ioctl(Ioctl.KVM_CREATE_IRQCHIP, 0);
                // The dummy speaker port (0x61) is handled in the kernel, as Linux's PIT calibration expects.
                MemorySegment pit = a.allocate(KvmStructs.PIT_CONFIG);
                pit.set(JAVA_INT, 0, PIT_SPEAKER_DUMMY);
                vmFd.ioctl(Ioctl.KVM_CREATE_PIT2, pit);
            }
            for (MemoryRegion r : memory.regions()) {
                setMemoryRegion(r, 0);
            }
            for (int i = 0; i < spec.vcpus(); i++) {
                NativeFd fd = new NativeFd(vmFd.ioctl(Ioctl.KVM_CREATE_VCPU, i, "vCPU " + i), "vCPU " + i);
                KvmVcpu vcpu;
                try {
                    vcpu = new KvmVcpu(this, i, fd, runMmapSize, spec.ops());
                } catch (RuntimeException e) {
                    fd.close();
                    throw e;
                }
                created.add(vcpu);
                vcpu.setCpuid(CpuidTable.forVcpu(supportedCpuid, i, spec.vcpus()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.vcpus = List.copyOf(created);
    }

    private void setMemoryRegion(MemoryRegion r, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(KvmStructs.MEMORY_REGION);
            s.set(JAVA_INT, 0, r.slot());
            s.set(JAVA_INT, 4, flags);
            s.set(JAVA_LONG, 8, r.guestBase());
            s.set(JAVA_LONG, 16, r.size());
            // The slot's host address: the region's mapping, which GuestMemory keeps alive until it
            // is closed, after this VM (VmSpec: the caller closes memory after the VM).
            s.set(JAVA_LONG, 24, r.host().address());
            vmFd.ioctl(Ioctl.KVM_SET_USER_MEMORY_REGION, s, "slot " + r.slot());
        }
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public List<KvmVcpu> vcpus() {
        return vcpus;
    }

    @Override
    public InterruptLines interrupts() {
        return interrupts;
    }

    /** Attaches a new eventfd as an irqfd for {@code gsi}: signalling it raises an edge on that line. */
    public KvmEventFd attachIrqfd(int gsi) {
        if (gsi < 0 || gsi >= KvmInterrupts.GSI_COUNT) {
            throw new IllegalArgumentException("GSI must be 0.." + (KvmInterrupts.GSI_COUNT - 1) + ": " + gsi);
        }
        NativeFd efd = KvmEventFd.newEventFd();
        try {
            irqfd(efd, gsi, 0);
        } catch (RuntimeException e) {
            efd.close();
            throw e;
        }
        return register(efd, () -> irqfd(efd, gsi, IRQFD_DEASSIGN), "irqfd for GSI " + gsi);
    }

    private void irqfd(NativeFd efd, int gsi, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(KvmStructs.IRQFD);
            s.set(JAVA_INT, 0, efd.fd());
            s.set(JAVA_INT, 4, gsi);
            s.set(JAVA_INT, 8, flags);
            vmFd.ioctl(Ioctl.KVM_IRQFD, s, "GSI " + gsi);
        }
    }

    /**
     * Attaches a new eventfd that KVM signals, without an exit, whenever the guest writes
     * {@code length} bytes (1, 2, 4 or 8) to port or MMIO {@code address}.
     */
    public KvmEventFd attachIoEventFd(long address, int length, boolean pio) {
        return attachIoEventFd(address, length, pio, false, 0);
    }

    /** Like {@link #attachIoEventFd(long, int, boolean)}, but only for writes of value {@code datamatch}. */
    public KvmEventFd attachIoEventFd(long address, int length, boolean pio, long datamatch) {
        return attachIoEventFd(address, length, pio, true, datamatch);
    }

    private KvmEventFd attachIoEventFd(long address, int length, boolean pio, boolean match, long datamatch) {
        if (length != 1 && length != 2 && length != 4 && (length != 8 || pio)) {
            throw new IllegalArgumentException("ioeventfd length must be 1, 2, 4 (or 8 for MMIO): " + length);
        }
        if (pio ? address < 0 || address + length > 0x10000 : address < 0) {
            throw new IllegalArgumentException(String.format("ioeventfd address 0x%x is out of range", address));
        }
        int flags = (pio ? IOEVENTFD_PIO : 0) | (match ? IOEVENTFD_DATAMATCH : 0);
        NativeFd efd = KvmEventFd.newEventFd();
        try {
            ioeventfd(efd, address, length, flags, datamatch);
        } catch (RuntimeException e) {
            efd.close();
            throw e;
        }
        String what = String.format("ioeventfd for %s 0x%x", pio ? "port" : "MMIO", address);
        return register(efd, () -> ioeventfd(efd, address, length, flags | IOEVENTFD_DEASSIGN, datamatch), what);
    }

    private void ioeventfd(NativeFd efd, long address, int length, int flags, long datamatch) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(KvmStructs.IOEVENTFD);
            s.set(JAVA_LONG, 0, datamatch);
            s.set(JAVA_LONG, 8, address);
            s.set(JAVA_INT, 16, length);
            s.set(JAVA_INT, 20, efd.fd());
            s.set(JAVA_INT, 24, flags);
            vmFd.ioctl(Ioctl.KVM_IOEVENTFD, s, String.format("address 0x%x", address));
        }
    }

    private KvmEventFd register(NativeFd efd, Runnable deassign, String what) {
        KvmEventFd[] self = new KvmEventFd[1];
        self[0] = KvmEventFd.attached(efd, () -> {
            eventFds.remove(self[0]);
            if (!vmFd.isClosed()) {
                deassign.run();
            }
        }, what);
        eventFds.add(self[0]);
        return self[0];
    }

    /**
     * Turns dirty-page logging on or off for every memory slot, and software dirty tracking of the
     * {@link GuestMemory} (writes by devices) with it.
     */
    public void setDirtyLogging(boolean on) {
        for (MemoryRegion r : memory.regions()) {
            setMemoryRegion(r, on ? MEM_LOG_DIRTY_PAGES : 0);
        }
        memory.setDirtyTracking(on);
        dirtyLogging = on;
    }

    /**
     * The pages of slot {@code slot} written since the last call (or since logging was enabled),
     * one bit per 4 KiB page (bit {@code p % 64} of word {@code p / 64}), by the guest (from KVM's
     * dirty log) or through {@link GuestMemory}. Reading clears the log.
     */
    public long[] takeDirtyPages(int slot) {
        if (!dirtyLogging) {
            throw new IllegalStateException("dirty logging is off; call setDirtyLogging(true) first");
        }
        if (slot < 0 || slot >= memory.regions().size()) {
            throw new IllegalArgumentException("no memory slot " + slot);
        }
        MemoryRegion r = memory.regions().get(slot);
        int words = (int) ((r.size() / 4096 + 63) / 64);
        long[] bits = new long[words];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bitmap = a.allocate(words * 8L, 8);
            MemorySegment log = a.allocate(KvmStructs.DIRTY_LOG);
            log.set(JAVA_INT, 0, slot);
            // Safe: a raw pointer to a bitmap of exactly ceil(pages / 64) words, alive until the
            // arena closes after the ioctl; the kernel writes at most that many bytes to it.
            log.set(JAVA_LONG, 8, bitmap.address());
            vmFd.ioctl(Ioctl.KVM_GET_DIRTY_LOG, log, "slot " + slot);
            MemorySegment.copy(bitmap, JAVA_LONG, 0, bits, 0, words);
        }
        long[] software = new long[words];
        memory.dirtyBitmap(slot).drainTo(software);
        for (int i = 0; i < words; i++) {
            bits[i] |= software[i];
        }
        return bits;
    }

    /** Detaches every eventfd, closes the vCPUs and the VM. Idempotent; the vCPUs must be stopped. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException failure = null;
        for (KvmEventFd e : List.copyOf(eventFds)) {
            try {
                e.close();
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        for (KvmVcpu v : created) {
            try {
                v.close();
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        interrupts.close();
        vmFd.close();
        if (failure != null) {
            throw failure;
        }
    }
}
