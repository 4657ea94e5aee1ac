package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.vmm.ExitReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A debuggable machine without a guest, for driving {@link GdbSession} through the real
 * {@link RunControl}: fake vCPUs on threads of their own that run the supervisor protocol
 * ({@code beforeRun}, {@code run}, {@code debugEvent}) as {@code VirtualMachine}'s vCPU threads do.
 * A vCPU "runs" until it is kicked; with single-step armed it steps one byte; with breakpoints or
 * watchpoints armed it reports the first of them at once, so a resumed target stops by itself.
 *
 * <p>Virtual memory: linear = physical inside RAM, an alias of RAM at the kernel's high half, one
 * unmapped page, and one page that maps outside RAM (device memory the stub must not touch). The
 * vCPUs refuse more than {@code debugRegisters} breakpoints plus watchpoints, and CR0 with PG but not
 * PE, as a hardware back end would, so the stub's error paths run too.
 */
final class FakeTarget implements AutoCloseable {
    static final int RAM = 1 << 20;
    static final long HIGH_HALF = 0xFFFF_FFFF_8000_0000L;
    static final long UNMAPPED_PAGE = 0x5000;
    static final long DEVICE_PAGE = 0x4000_0000L;

    final RunControl control;
    final List<FakeVcpu> vcpus = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean done;
    private volatile boolean killed;

    FakeTarget(GuestMemory memory, int vcpuCount, boolean holdAtStart, int debugRegisters) {
        for (int i = 0; i < vcpuCount; i++) {
            vcpus.add(new FakeVcpu(i, memory, debugRegisters));
        }
        control = new RunControl(vcpus, holdAtStart);
        for (FakeVcpu v : vcpus) {
            threads.add(Thread.ofVirtual().name("fake-vcpu-" + v.index()).start(() -> runLoop(v)));
        }
    }

    private void runLoop(FakeVcpu v) {
        while (!done) {
            control.beforeRun(v);
            if (done) {
                return;
            }
            if (v.run() instanceof VcpuExit.Debug d) {
                control.debugEvent(v, d);
            }
        }
    }

    /** What {@code GdbServer} does when a debugger connects: stop the target and wait for it. */
    StopRecord attach() throws InterruptedException {
        return control.isStopped() ? control.lastStop() : control.stopAndWait(StopRecord.trap(0), 10, TimeUnit.SECONDS);
    }

    void kill() {
        killed = true;
    }

    boolean killed() {
        return killed;
    }

    /** Ends the machine as {@code VirtualMachine} does: the supervisor hears of it, the vCPU threads end. */
    @Override
    public void close() throws InterruptedException {
        done = true;
        control.machineStopped(new ExitReason.Stopped("the test is over"));
        for (FakeVcpu v : vcpus) {
            v.kick();
        }
        for (Thread t : threads) {
            if (!t.join(java.time.Duration.ofSeconds(10))) {
                throw new AssertionError("fake vCPU thread did not end");
            }
        }
    }

    static final class FakeVcpu implements Vcpu {
        private final int index;
        private final GuestMemory memory;
        private final int debugRegisters;
        private volatile Registers registers;
        private volatile SystemRegisters system = SystemRegisters.reset();
        private volatile FpuState fpu = FpuState.initial();
        private volatile long kernelGsBase;
        private volatile DebugSettings debug = DebugSettings.NONE;
        private boolean kicked;

        FakeVcpu(int index, GuestMemory memory, int debugRegisters) {
            this.index = index;
            this.memory = memory;
            this.debugRegisters = debugRegisters;
            this.registers = Registers.RESET.withRip(0x1000 + index).withRsp(0x8000);
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public VcpuExit run() {
            DebugSettings d = debug;
            if (d.singleStep()) {
                registers = registers.withRip(registers.rip() + 1);
                return new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, registers.rip());
            }
            if (!d.breakpoints().isEmpty()) {
                long at = d.breakpoints().getFirst();
                registers = registers.withRip(at);
                return new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, at);
            }
            if (!d.watchpoints().isEmpty()) {
                return new VcpuExit.Debug(VcpuExit.Debug.Reason.WATCHPOINT, d.watchpoints().getFirst().address());
            }
            synchronized (this) {
                while (!kicked) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                kicked = false;
            }
            return VcpuExit.KICKED;
        }

        @Override
        public synchronized void kick() {
            kicked = true;
            notifyAll();
        }

        @Override
        public Registers getRegisters() {
            return registers;
        }

        @Override
        public void setRegisters(Registers r) {
            registers = r;
        }

        @Override
        public SystemRegisters getSystemRegisters() {
            return system;
        }

        @Override
        public void setSystemRegisters(SystemRegisters s) {
            if ((s.cr0() & SystemRegisters.CR0_PG) != 0 && (s.cr0() & SystemRegisters.CR0_PE) == 0) {
                throw new HypervisorException("CR0.PG without CR0.PE");
            }
            system = s;
        }

        @Override
        public FpuState getFpu() {
            return fpu;
        }

        @Override
        public void setFpu(FpuState f) {
            fpu = f;
        }

        @Override
        public long getMsr(int msr) {
            if (msr != X86RegisterFile.MSR_KERNEL_GS_BASE) {
                throw new HypervisorException("no MSR " + Integer.toHexString(msr));
            }
            return kernelGsBase;
        }

        @Override
        public void setMsr(int msr, long value) {
            if (msr != X86RegisterFile.MSR_KERNEL_GS_BASE) {
                throw new HypervisorException("no MSR " + Integer.toHexString(msr));
            }
            kernelGsBase = value;
        }

        @Override
        public void setDebug(DebugSettings settings) {
            if (settings.breakpoints().size() + settings.watchpoints().size() > debugRegisters) {
                throw new HypervisorException("only " + debugRegisters + " debug registers");
            }
            debug = settings;
        }

        DebugSettings debug() {
            return debug;
        }

        @Override
        public long translate(long linear) {
            if ((linear & ~0xFFFL) == UNMAPPED_PAGE) {
                return -1;
            }
            if ((linear & ~0xFFFL) == DEVICE_PAGE) {
                return memory.totalSize() + 0x1000 + (linear & 0xFFF);
            }
            if (Long.compareUnsigned(linear, RAM) < 0) {
                return linear;
            }
            if (Long.compareUnsigned(linear - HIGH_HALF, RAM) < 0) {
                return linear - HIGH_HALF;
            }
            return -1;
        }
    }
}
