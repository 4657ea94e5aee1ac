package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmStructs.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One KVM vCPU: its fd, its mmap'd {@code kvm_run}, the {@code KVM_RUN} loop and the state ioctls.
 *
 * <p>Threading: {@link #run()} must be called on one platform thread at a time (kicks signal the OS
 * thread inside {@code KVM_RUN}); {@link #kick()} may be called from any thread; the state accessors
 * only while {@code run()} is not executing. The exit path allocates nothing: port and MMIO data
 * move between {@code kvm_run} and {@link VmOps} as primitives.
 */
public final class KvmVcpu implements Vcpu {
    /** KVM's multiprocessing states (linux/kvm.h KVM_MP_STATE_*). */
    public enum MpState { RUNNABLE, UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED }

    static final int EXIT_UNKNOWN = 0, EXIT_EXCEPTION = 1, EXIT_IO = 2, EXIT_DEBUG = 4, EXIT_HLT = 5, EXIT_MMIO = 6,
            EXIT_SHUTDOWN = 8, EXIT_FAIL_ENTRY = 9, EXIT_INTR = 10, EXIT_INTERNAL_ERROR = 17, EXIT_SYSTEM_EVENT = 24;
    private static final int IO_OUT = 1;
    private static final long KVM_RUN_NUMBER = Ioctl.KVM_RUN.number;

    private final KvmVm vm;
    private final int index;
    private final NativeFd fd;
    private final VmOps ops;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment run;
    private final MemorySegment runErrno;
    private final AtomicBoolean kickPending = new AtomicBoolean();
    private final Object kickLock = new Object();
    /** Guarded by kickLock: whether a thread is inside run(), its pthread handle, and whether closed. */
    private boolean running;
    private boolean closed;
    private long runningThread;
    /** Guarded by kickLock: the thread whose kernel thread id {@link #hostThreadId} holds. */
    private Thread tidOwner;
    private volatile int hostThreadId;
    private long exits;
    /** The armed guest-debug state (breakpoints, watchpoints, single-step); see {@link #setDebug}. */
    private volatile KvmDebugRegisters debug = KvmDebugRegisters.of(DebugSettings.NONE);
    private volatile DebugSettings debugSettings = DebugSettings.NONE;
    /** Set by a breakpoint exit: the next run() executes the instruction at RIP instead of stopping again. */
    private boolean resumeOverBreakpoint;
    private long breakpointAddress;

    KvmVcpu(KvmVm vm, int index, NativeFd fd, long mmapSize, VmOps ops) {
        this.vm = vm;
        this.index = index;
        this.fd = fd;
        this.ops = ops;
        try {
            this.runErrno = Libc.newErrnoState(arena);
            long address = Libc.mmapShared(runErrno, fd.fd(), mmapSize);
            if (address == -1L) {
                throw new KvmException("mmap kvm_run", Libc.errno(runErrno), "vCPU " + index);
            }
            // Safe: the segment covers exactly the kvm_run mapping just made (KVM_GET_VCPU_MMAP_SIZE
            // bytes); the arena's cleanup unmaps it once, after which the segment is unusable.
            this.run = MemorySegment.ofAddress(address).reinterpret(mmapSize, arena,
                    s -> Libc.unmapQuietly(address, mmapSize));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public int index() {
        return index;
    }

    /**
     * The kernel thread id (gettid(2)) of the thread that last entered {@link #run()}, or 0 before the
     * first run. A service uses it to give the vCPU thread a scheduling priority or CPU affinity
     * (setpriority(2), sched_setaffinity(2)); it stays valid while that thread keeps running this vCPU.
     */
    public int hostThreadId() {
        return hostThreadId;
    }

    /** Number of port and MMIO exits handled so far (for benchmarks and statistics). */
    public long exitCount() {
        return exits;
    }

    @Override
    public VcpuExit run() {
        if (Thread.currentThread().isVirtual()) {
            throw new HypervisorException("vCPU " + index + " must run on a platform thread, not a virtual thread:"
                    + " kicks signal the OS thread that is inside KVM_RUN");
        }
        KickSignal.signal();
        synchronized (kickLock) {
            if (closed) {
                throw new IllegalStateException("vCPU " + index + " is closed");
            }
            if (running) {
                throw new IllegalStateException("vCPU " + index + " is already running on another thread");
            }
            runningThread = KickSignal.currentThread();
            running = true;
            Thread self = Thread.currentThread();
            if (tidOwner != self) { // once per thread, not once per run
                tidOwner = self;
                hostThreadId = Libc.gettid();
            }
        }
        try {
            if (resumeOverBreakpoint) {
                resumeOverBreakpoint = false;
                VcpuExit exit = stepOverBreakpoint();
                if (exit != null) {
                    return exit;
                }
            }
            return loop();
        } finally {
            synchronized (kickLock) {
                running = false;
            }
        }
    }

    private VcpuExit loop() {
        final MemorySegment r = run;
        final MemorySegment errno = runErrno;
        final int vcpuFd = fd.fd();
        while (true) {
            if (Libc.ioctl(errno, vcpuFd, KVM_RUN_NUMBER, 0L) < 0) {
                int e = Libc.errno(errno);
                if (e == Libc.EINTR) {
                    // Clear first, then consume the kick: a kick landing in between leaves
                    // immediate_exit set and is seen by the next run() (see kick()).
                    r.set(JAVA_BYTE, RUN_IMMEDIATE_EXIT, (byte) 0);
                    if (kickPending.getAndSet(false)) {
                        return VcpuExit.KICKED;
                    }
                    continue;
                }
                throw new KvmException(Ioctl.KVM_RUN.name(), e, "vCPU " + index);
            }
            int reason = r.get(JAVA_INT, RUN_EXIT_REASON);
            if (reason == EXIT_IO) {
                handle(r, true);
            } else if (reason == EXIT_MMIO) {
                handle(r, false);
            } else {
                VcpuExit exit = lifecycleExit(reason);
                if (exit != null) {
                    return exit;
                }
            }
        }
    }

    private void handle(MemorySegment r, boolean io) {
        exits++;
        try {
            if (io) {
                handleIo(r);
            } else {
                handleMmio(r);
            }
        } catch (RuntimeException e) {
            completePendingExit();
            throw new HypervisorException("vCPU " + index + ": the machine model failed on a "
                    + (io ? String.format("port access to 0x%x", r.get(JAVA_SHORT, RUN_IO_PORT) & 0xffff)
                    : String.format("MMIO access to 0x%x", r.get(JAVA_LONG, RUN_MMIO_PHYS_ADDR))), e);
        }
    }

    /** KVM_EXIT_IO: {@code count} elements of {@code size} bytes at {@code data_offset} in the kvm_run mapping. */
    private void handleIo(MemorySegment r) {
        boolean out = r.get(JAVA_BYTE, RUN_IO_DIRECTION) == IO_OUT;
        int size = r.get(JAVA_BYTE, RUN_IO_SIZE) & 0xff;
        int port = r.get(JAVA_SHORT, RUN_IO_PORT) & 0xffff;
        long count = r.get(JAVA_INT, RUN_IO_COUNT) & 0xffff_ffffL;
        long data = r.get(JAVA_LONG, RUN_IO_DATA_OFFSET);
        if (size != 1 && size != 2 && size != 4 || data < 0 || data + count * size > r.byteSize()) {
            throw new IllegalStateException(String.format("malformed KVM_EXIT_IO: size %d count %d data_offset 0x%x",
                    size, count, data));
        }
        for (long i = 0; i < count; i++) {
            long at = data + i * size;
            if (out) {
                ops.pioWrite(port, size, GuestData.read(r, at, size));
            } else {
                GuestData.write(r, at, size, ops.pioRead(port, size));
            }
        }
    }

    /** KVM_EXIT_MMIO: up to 8 bytes in {@code mmio.data}; odd lengths (split accesses) go byte by byte. */
    private void handleMmio(MemorySegment r) {
        long address = r.get(JAVA_LONG, RUN_MMIO_PHYS_ADDR);
        int len = r.get(JAVA_INT, RUN_MMIO_LEN);
        boolean write = r.get(JAVA_BYTE, RUN_MMIO_IS_WRITE) != 0;
        if (len < 1 || len > 8) {
            throw new IllegalStateException("malformed KVM_EXIT_MMIO: length " + len);
        }
        if (Integer.bitCount(len) == 1) {
            if (write) {
                ops.mmioWrite(address, len, GuestData.read(r, RUN_MMIO_DATA, len));
            } else {
                GuestData.write(r, RUN_MMIO_DATA, len, ops.mmioRead(address, len));
            }
            return;
        }
        for (int i = 0; i < len; i++) {
            if (write) {
                ops.mmioWrite(address + i, 1, r.get(JAVA_BYTE, RUN_MMIO_DATA + i) & 0xff);
            } else {
                r.set(JAVA_BYTE, RUN_MMIO_DATA + i, (byte) ops.mmioRead(address + i, 1));
            }
        }
    }

    /** Exits that end run(); null for those that just re-enter the guest. */
    private VcpuExit lifecycleExit(int reason) {
        return switch (reason) {
            case EXIT_HLT -> VcpuExit.HALTED;
            case EXIT_DEBUG -> debugExit();
            case EXIT_INTR -> null;
            case EXIT_SHUTDOWN -> new VcpuExit.Shutdown(CrashDetails.shutdown(this));
            case EXIT_FAIL_ENTRY -> new VcpuExit.Crashed(CrashDetails.failEntry(this, run.get(JAVA_LONG, RUN_FAIL_ENTRY_REASON),
                    run.get(JAVA_INT, RUN_FAIL_ENTRY_CPU)));
            case EXIT_INTERNAL_ERROR -> new VcpuExit.Crashed(CrashDetails.internalError(this, run));
            case EXIT_SYSTEM_EVENT -> CrashDetails.systemEvent(this, run.get(JAVA_INT, RUN_SYSTEM_EVENT_TYPE));
            case EXIT_EXCEPTION -> new VcpuExit.Crashed(CrashDetails.exception(this, run.get(JAVA_INT, RUN_EX_EXCEPTION),
                    run.get(JAVA_INT, RUN_EX_ERROR_CODE)));
            default -> new VcpuExit.Crashed(CrashDetails.unexpected(this, reason, run.get(JAVA_LONG, RUN_HW_EXIT_REASON)));
        };
    }

    /** KVM_EXIT_DEBUG: what it reports, or null (re-enter) for a #DB that matches nothing armed. */
    private VcpuExit debugExit() {
        VcpuExit.Debug d = debug.decode(run.get(JAVA_INT, RUN_DEBUG_EXCEPTION), run.get(JAVA_LONG, RUN_DEBUG_PC),
                run.get(JAVA_LONG, RUN_DEBUG_DR6));
        if (d != null && d.reason() == VcpuExit.Debug.Reason.BREAKPOINT) {
            resumeOverBreakpoint = true;
            breakpointAddress = d.address();
        }
        return d;
    }

    /**
     * Executes the instruction at a breakpoint just reported, so that resuming does not stop at it
     * again: one single step with that breakpoint disarmed, then the full settings again. (RFLAGS.RF
     * would do this on hardware, SDM Vol. 3B §18.3.1.1, but this host's KVM emulates CPL0 code and
     * its emulator ignores RF.)
     *
     * @return the exit to report, or null to go on running
     */
    private VcpuExit stepOverBreakpoint() {
        DebugSettings armed = debugSettings;
        List<Long> others = armed.breakpoints().stream().filter(b -> b != breakpointAddress).toList();
        applyDebug(new DebugSettings(true, others, armed.watchpoints()));
        VcpuExit exit;
        try {
            exit = loop();
        } finally {
            applyDebug(armed);
        }
        if (exit == VcpuExit.KICKED) {
            resumeOverBreakpoint = true; // the instruction may not have run yet
            return exit;
        }
        if (exit instanceof VcpuExit.Debug d && d.reason() == VcpuExit.Debug.Reason.STEP && !armed.singleStep()) {
            return null;
        }
        return exit;
    }

    /**
     * Arms breakpoints, watchpoints and single-stepping with KVM_SET_GUEST_DEBUG and the four
     * hardware debug registers (see {@link KvmDebugRegisters}). Breakpoints are instruction
     * breakpoints in DR0-DR3, never int3 patches: this host's KVM cannot execute int3 at CPL0
     * (PLATFORM.md). While single-stepping, interrupts are held back (KVM_GUESTDBG_BLOCKIRQ where
     * the kernel has it) so that a step stays in the code being debugged, as on the emulator.
     *
     * @throws HypervisorException if the settings need more than four debug registers or KVM
     *                             refuses them
     */
    @Override
    public void setDebug(DebugSettings settings) {
        applyDebug(settings);
        debugSettings = settings;
        if (!settings.active()) {
            resumeOverBreakpoint = false;
        }
    }

    private void applyDebug(DebugSettings settings) {
        KvmDebugRegisters regs = KvmDebugRegisters.of(settings);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(GUEST_DEBUG);
            s.set(JAVA_INT, 0, regs.control());
            for (int i = 0; i < 8; i++) {
                s.set(JAVA_LONG, GUEST_DEBUG_DEBUGREG + i * 8L, regs.debugRegister(i));
            }
            if (fd.tryIoctl(Ioctl.KVM_SET_GUEST_DEBUG, s) < 0) {
                // Kernels before 5.16 reject KVM_GUESTDBG_BLOCKIRQ; step without it there.
                s.set(JAVA_INT, 0, regs.controlWithoutBlockIrq());
                fd.ioctl(Ioctl.KVM_SET_GUEST_DEBUG, s, context());
            }
        }
        debug = regs;
    }

    /**
     * Lets KVM finish an exit whose result user space has supplied (an IN or MMIO read) without
     * running guest code: a KVM_RUN with immediate_exit set completes the instruction, then returns
     * EINTR. Needed before the vCPU is left or its registers set (PLATFORM.md).
     */
    private void completePendingExit() {
        run.set(JAVA_BYTE, RUN_IMMEDIATE_EXIT, (byte) 1);
        Libc.ioctl(runErrno, fd.fd(), KVM_RUN_NUMBER, 0L);
        if (!kickPending.get()) {
            run.set(JAVA_BYTE, RUN_IMMEDIATE_EXIT, (byte) 0);
        }
    }

    /** Stops a running vCPU or makes its next run() return at once; a no-op once the vCPU is closed. */
    @Override
    public void kick() {
        synchronized (kickLock) {
            if (closed) {
                return;
            }
            kickPending.set(true);
            run.set(JAVA_BYTE, RUN_IMMEDIATE_EXIT, (byte) 1);
            if (running) {
                // The thread cannot leave run() (and so cannot end) while we hold kickLock.
                KickSignal.send(runningThread);
            }
        }
    }

    @Override
    public Registers getRegisters() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(REGS);
            fd.ioctl(Ioctl.KVM_GET_REGS, s, context());
            return KvmState.readRegisters(s);
        }
    }

    @Override
    public void setRegisters(Registers registers) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(REGS);
            KvmState.writeRegisters(s, registers);
            fd.ioctl(Ioctl.KVM_SET_REGS, s, context());
        }
    }

    @Override
    public SystemRegisters getSystemRegisters() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(SREGS);
            fd.ioctl(Ioctl.KVM_GET_SREGS, s, context());
            return KvmState.readSystemRegisters(s);
        }
    }

    /** Sets the system registers, keeping KVM's pending-interrupt bitmap as it is. */
    @Override
    public void setSystemRegisters(SystemRegisters registers) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(SREGS);
            fd.ioctl(Ioctl.KVM_GET_SREGS, s, context());
            KvmState.writeSystemRegisters(s, registers);
            fd.ioctl(Ioctl.KVM_SET_SREGS, s, context());
        }
    }

    /**
     * x87 and SSE state. KVM_GET_FPU leaves MXCSR out (the kernel never fills kvm_fpu.mxcsr), so it
     * is read from the FXSAVE area of the vCPU's XSAVE image.
     */
    @Override
    public FpuState getFpu() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(FPU);
            fd.ioctl(Ioctl.KVM_GET_FPU, s, context());
            MemorySegment x = a.allocate(XSAVE);
            fd.ioctl(Ioctl.KVM_GET_XSAVE, x, context());
            s.set(JAVA_INT, KvmStructs.offset(FPU, "mxcsr"), x.get(JAVA_INT, XSAVE_MXCSR));
            return KvmState.readFpu(s);
        }
    }

    /**
     * Sets x87 and SSE state, MXCSR included, by writing the FXSAVE area of the vCPU's XSAVE image
     * (KVM_SET_FPU would drop MXCSR) and marking x87 and SSE state present in XSTATE_BV so the
     * kernel uses the new values rather than the initial ones. Other XSAVE components are kept.
     *
     * @throws KvmException with EINVAL if MXCSR sets reserved bits
     */
    @Override
    public void setFpu(FpuState fpu) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(XSAVE);
            fd.ioctl(Ioctl.KVM_GET_XSAVE, x, context());
            KvmState.writeFxsaveArea(x, fpu);
            x.set(JAVA_LONG, XSAVE_XSTATE_BV, x.get(JAVA_LONG, XSAVE_XSTATE_BV) | XFEATURE_FP_SSE);
            fd.ioctl(Ioctl.KVM_SET_XSAVE, x, context());
        }
    }

    @Override
    public long getMsr(int msr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = msrs(a, msr, 0);
            if (fd.ioctl(Ioctl.KVM_GET_MSRS, s, context()) != 1) {
                throw new HypervisorException(String.format("MSR 0x%x cannot be read on KVM vCPU %d", msr, index));
            }
            return s.get(JAVA_LONG, MSRS_HEADER.byteSize() + 8);
        }
    }

    @Override
    public void setMsr(int msr, long value) {
        try (Arena a = Arena.ofConfined()) {
            if (fd.ioctl(Ioctl.KVM_SET_MSRS, msrs(a, msr, value), context()) != 1) {
                throw new HypervisorException(String.format("MSR 0x%x cannot be set to 0x%x on KVM vCPU %d", msr, value, index));
            }
        }
    }

    private static MemorySegment msrs(Arena a, int msr, long value) {
        MemorySegment s = a.allocate(MSRS_HEADER.byteSize() + MSR_ENTRY.byteSize(), 8);
        s.set(JAVA_INT, 0, 1);
        s.set(JAVA_INT, MSRS_HEADER.byteSize(), msr);
        s.set(JAVA_LONG, MSRS_HEADER.byteSize() + 8, value);
        return s;
    }

    /** The local APIC's register page (struct kvm_lapic_state, 1 KiB). */
    public byte[] getLapicState() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(LAPIC_STATE);
            fd.ioctl(Ioctl.KVM_GET_LAPIC, s, context());
            return s.toArray(JAVA_BYTE);
        }
    }

    /** Restores the local APIC's register page; {@code state} must be 1024 bytes. */
    public void setLapicState(byte[] state) {
        if (state.length != LAPIC_STATE.byteSize()) {
            throw new IllegalArgumentException("LAPIC state is " + LAPIC_STATE.byteSize() + " bytes, got " + state.length);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(LAPIC_STATE);
            MemorySegment.copy(state, 0, s, JAVA_BYTE, 0, state.length);
            fd.ioctl(Ioctl.KVM_SET_LAPIC, s, context());
        }
    }

    /**
     * The multiprocessing state. With the in-kernel irqchip, vCPUs other than 0 start
     * {@link MpState#UNINITIALIZED} (waiting for INIT/SIPI, SDM Vol. 3A §9.4); a test that starts
     * such a vCPU directly sets it {@link MpState#RUNNABLE}.
     */
    public MpState getMpState() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(MP_STATE);
            fd.ioctl(Ioctl.KVM_GET_MP_STATE, s, context());
            int v = s.get(JAVA_INT, 0);
            if (v < 0 || v >= MpState.values().length) {
                throw new HypervisorException("vCPU " + index + " reports an unknown MP state " + v);
            }
            return MpState.values()[v];
        }
    }

    public void setMpState(MpState state) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(MP_STATE);
            s.set(JAVA_INT, 0, state.ordinal());
            fd.ioctl(Ioctl.KVM_SET_MP_STATE, s, context());
        }
    }

    /** The guest-physical address of linear address {@code linear} in the current mode, or -1. */
    @Override
    public long translate(long linear) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(TRANSLATION);
            s.set(JAVA_LONG, 0, linear);
            fd.ioctl(Ioctl.KVM_TRANSLATE, s, context());
            return s.get(JAVA_BYTE, 16) != 0 ? s.get(JAVA_LONG, 8) : -1;
        }
    }

    KvmVm vm() {
        return vm;
    }

    NativeFd fd() {
        return fd;
    }

    void setCpuid(List<CpuidTable.Entry> entries) {
        try (Arena a = Arena.ofConfined()) {
            fd.ioctl(Ioctl.KVM_SET_CPUID2, CpuidTable.toStruct(a, entries), context());
        }
    }

    private String context() {
        return "vCPU " + index;
    }

    /** Unmaps kvm_run and closes the vCPU fd. The vCPU must not be running. */
    void close() {
        synchronized (kickLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            arena.close();
        } finally {
            fd.close();
        }
    }
}
