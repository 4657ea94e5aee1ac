package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmTestSupport.boot;
import static dev.jvisor.kvm.KvmTestSupport.exit;
import static dev.jvisor.kvm.KvmTestSupport.runBounded;
import static dev.jvisor.kvm.KvmTestSupport.runToExit;
import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import dev.jvisor.memory.GuestMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How runs end (kick, triple fault, device failure), several vCPUs, dirty logging and ioeventfd. */
class KvmLifecycleTest {
    @Test
    void kickStopsAUserGuestSpinningNatively() throws Exception {
        assertKickStopsSpin(new Asm(64, TinyGuest.CODE), TinyGuest.longMode().userMode().allowUserPorts(TestOps.READY_PORT, 1));
    }

    @Test
    void kickStopsARealModeGuestSpinning() throws Exception {
        assertKickStopsSpin(new Asm(16, TinyGuest.REAL_CODE), TinyGuest.realMode());
    }

    private static void assertKickStopsSpin(Asm a, TinyGuest guest) throws Exception {
        a.out(TestOps.READY_PORT, AL);
        Label spin = a.here();
        a.jmp(spin);
        try (TestVm t = boot(guest.load(a))) {
            CompletableFuture<VcpuExit> exit = CompletableFuture.supplyAsync(() -> runBounded(t, t.vcpu()),
                    r -> Thread.ofPlatform().start(r));
            assertThat(t.ops().ready.await(60, TimeUnit.SECONDS)).isTrue();
            t.vcpu().kick();
            assertThat(exit.get(70, TimeUnit.SECONDS)).isEqualTo(VcpuExit.KICKED);
            assertThat(t.vcpu().getRegisters().rip() & 0xffff).isEqualTo(a.addressOf(spin) & 0xffff);
            // The guest resumes where it stopped, and can be kicked again.
            KvmTestSupport.kickLater(t.vcpu(), Duration.ofMillis(50));
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
        }
    }

    @Test
    void theVcpuRecordsTheKernelThreadIdOfTheThreadRunningIt() throws Exception {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.out(TestOps.READY_PORT, AL);
        Label spin = a.here();
        a.jmp(spin);
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            assertThat(t.vcpu().hostThreadId()).as("before the first run").isZero();
            CompletableFuture<VcpuExit> exit = CompletableFuture.supplyAsync(() -> runBounded(t, t.vcpu()),
                    r -> Thread.ofPlatform().name("tid-probe").start(r));
            assertThat(t.ops().ready.await(60, TimeUnit.SECONDS)).isTrue();
            int tid = t.vcpu().hostThreadId();
            // proc(5): /proc/self/task/TID/comm is the thread's name (the JVM sets it from the Java name).
            assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/comm")).strip())
                    .isEqualTo("tid-probe");
            assertThat(tid).isNotEqualTo((int) ProcessHandle.current().pid());
            t.vcpu().kick();
            assertThat(exit.get(70, TimeUnit.SECONDS)).isEqualTo(VcpuExit.KICKED);
        }
    }

    @Test
    void aKickBeforeRunMakesTheNextRunReturnAtOnceWithoutLosingState() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        exit(a, 9);
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            t.vcpu().kick();
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
            assertThat(t.ops().exitValues).isEmpty();
            assertThat(runToExit(t)).isEqualTo(9);
        }
    }

    @Test
    void anExceptionWithoutAnIdtEndsInShutdown() {
        Asm a = new Asm(32, TinyGuest.CODE).ud2();
        try (TestVm t = boot(TinyGuest.protectedMode().load(a))) {
            VcpuExit exit = runBounded(t, t.vcpu());
            assertThat(exit).isInstanceOfSatisfying(VcpuExit.Shutdown.class,
                    s -> assertThat(s.detail()).contains("triple fault").contains("code at rip: 0f 0b"));
        }
    }

    @Test
    void aCompletedPortReadSurvivesAKickAndARegisterWrite() {
        // IN AL from port 0x60; the model kicks during the IN exit. KVM must complete the IN
        // (AL = 0x77) before run() returns, and setRegisters must not undo it (PLATFORM.md).
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.in(AL, 0x60).mov(Mem.abs(0x3000), SI).out(TestOps.EXIT_PORT, AL);
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            t.ops().portSource = port -> {
                t.vcpu().kick();
                return 0x77;
            };
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
            Registers r = t.vcpu().getRegisters();
            assertThat(r.rax() & 0xff).isEqualTo(0x77);
            t.vcpu().setRegisters(r.withRsi(0x1234));
            assertThat(runToExit(t)).isEqualTo(0x77);
            assertThat(t.memory().readU16(0x3000)).as("the register write took effect").isEqualTo(0x1234);
        }
    }

    @Test
    void aFailingMachineModelStopsTheRunWithTheCause() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE).mov(AL, 1).out(0x99, AL);
        Label afterOut = a.here();
        exit(a, 0);
        KvmHypervisor kvm = KvmTestSupport.hypervisor();
        try (GuestMemory memory = GuestMemory.flat(1 << 20);
             KvmVm vm = kvm.createVm(new VmSpec(memory, 1, new ThrowingOps(new TestOps())))) {
            KvmVcpu vcpu = vm.vcpus().getFirst();
            TinyGuest.realMode().load(a).build(memory).applyTo(vcpu);
            assertThatThrownBy(vcpu::run).isInstanceOf(HypervisorException.class)
                    .hasMessageContaining("port access to 0x99").hasRootCauseMessage("device on fire");
            assertThat(vcpu.getRegisters().rip()).as("the OUT completed").isEqualTo(a.addressOf(afterOut));
        }
    }

    /** Delegates to a TestOps but fails on port 0x99. */
    private record ThrowingOps(TestOps delegate) implements VmOps {
        @Override
        public long pioRead(int port, int size) {
            return delegate.pioRead(port, size);
        }

        @Override
        public void pioWrite(int port, int size, long value) {
            if (port == 0x99) {
                throw new IllegalStateException("device on fire");
            }
            delegate.pioWrite(port, size, value);
        }

        @Override
        public long mmioRead(long address, int size) {
            return delegate.mmioRead(address, size);
        }

        @Override
        public void mmioWrite(long address, int size, long value) {
            delegate.mmioWrite(address, size, value);
        }
    }

    @Test
    void twoVcpusRunAtTheSameTimeAndSeeTheirOwnApicIds() throws Exception {
        // Each vCPU reads its APIC ID (CPUID.1:EBX[31:24]), raises its flag, then waits for the
        // other's: neither can finish unless both run concurrently. This runs at CPL0 because on a
        // software-nested KVM (kvm_pvm) CPUID at CPL3 executes natively and returns the host's values.
        long flags = 0x50000;
        Asm a = new Asm(64, TinyGuest.CODE);
        Label wait = a.newLabel("wait");
        a.mov(EAX, 1).cpuid().mov(R8D, ECX)
                .shr(EBX, 24).mov(Mem.at(null, RBX, 8, flags).qwordPtr(), 1)
                .mov(ECX, EBX).xor(ECX, 1)
                .bind(wait).pause().cmp(Mem.at(null, RCX, 8, flags).qwordPtr(), 0).j(Cond.E, wait)
                .mov(Mem.at(null, RBX, 8, flags + 0x10), R8)
                .mov(EAX, EBX).out(TestOps.EXIT_PORT, AL);
        try (TestVm t = KvmTestSupport.newVm(2, 4 << 20)) {
            GuestBoot boot = TinyGuest.longMode().load(a).build(t.memory());
            for (KvmVcpu v : t.vm().vcpus()) {
                boot.applyTo(v);
            }
            KvmVcpu second = t.vm().vcpus().get(1);
            assertThat(second.getMpState()).as("APs wait for INIT/SIPI").isEqualTo(KvmVcpu.MpState.UNINITIALIZED);
            second.setMpState(KvmVcpu.MpState.RUNNABLE);
            List<CompletableFuture<VcpuExit>> exits = new ArrayList<>();
            for (KvmVcpu v : t.vm().vcpus()) {
                exits.add(CompletableFuture.supplyAsync(() -> runBounded(t, v), r -> Thread.ofPlatform().start(r)));
            }
            for (CompletableFuture<VcpuExit> e : exits) {
                assertThat(e.get(70, TimeUnit.SECONDS)).isEqualTo(VcpuExit.KICKED);
            }
            assertThat(t.ops().exitValues).containsEntry(0, 0L).containsEntry(1, 1L);
            for (int id = 0; id < 2; id++) {
                long ecx = t.memory().readU64(flags + 0x10 + id * 8L);
                assertThat(ecx & CpuidTable.X2APIC).as("x2APIC hidden from vCPU %d", id).isZero();
            }
        }
    }

    @Test
    void dirtyLogReportsExactlyThePagesTheGuestWrote() {
        Asm a = new Asm(32, TinyGuest.CODE);
        a.mov(Mem.abs(0x200000).dwordPtr(), 1).mov(Mem.abs(0x203010).dwordPtr(), 2).mov(Mem.abs(0x2fffff).bytePtr(), 3);
        exit(a, 0);
        try (TestVm t = boot(TinyGuest.protectedMode().load(a))) {
            t.vm().setDirtyLogging(true);
            t.vm().takeDirtyPages(0);
            runToExit(t);
            assertThat(pages(t.vm().takeDirtyPages(0))).containsExactly(0x200L, 0x203L, 0x2ffL);
            assertThat(pages(t.vm().takeDirtyPages(0))).as("reading clears the log").isEmpty();
            t.memory().writeU32(0x1000, 5);
            assertThat(pages(t.vm().takeDirtyPages(0))).as("writes through GuestMemory count too").containsExactly(1L);
            t.vm().setDirtyLogging(false);
            assertThatThrownBy(() -> t.vm().takeDirtyPages(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    private static List<Long> pages(long[] bitmap) {
        List<Long> out = new ArrayList<>();
        for (int w = 0; w < bitmap.length; w++) {
            for (int b = 0; b < 64; b++) {
                if ((bitmap[w] >>> b & 1) != 0) {
                    out.add(w * 64L + b);
                }
            }
        }
        return out;
    }

    @Test
    void ioEventFdTakesGuestWritesWithoutAnExit() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.mov(AX, 0x1234).mov(DX, 0x700).out(DX, AX).out(DX, AX).mov(AX, 0x5678).out(DX, AX);
        exit(a, 0);
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            try (KvmEventFd any = t.vm().attachIoEventFd(0x700, 2, true, 0x1234)) {
                runToExit(t);
                assertThat(any.drain()).as("two matching writes").isEqualTo(2);
                assertThat(any.drain()).isZero();
            }
            assertThat(t.ops().accesses("out", 0x700)).as("only the non-matching write exits")
                    .extracting(TestOps.Access::value).containsExactly(0x5678L);
        }
    }
}
