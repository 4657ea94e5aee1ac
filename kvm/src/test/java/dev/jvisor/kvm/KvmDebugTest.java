package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmTestSupport.boot;
import static dev.jvisor.kvm.KvmTestSupport.exit;
import static dev.jvisor.kvm.KvmTestSupport.runBounded;
import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guest debugging through KVM_SET_GUEST_DEBUG on tiny 64-bit guests, at CPL3 (run natively by this
 * host's KVM) and at CPL0 (emulated by the host kernel, PLATFORM.md). What the host's KVM does not
 * honour is skipped with the reason. On the development hosts' software-nested KVM, instruction
 * breakpoints and single-stepping work in CPL0 code (the host's instruction emulator checks them);
 * natively run CPL3 code ignores the debug registers and takes single-step #DBs itself (no IDT: a
 * triple fault); data watchpoints fire in neither.
 */
class KvmDebugTest {
    private static final long DATA = 0x40000;

    /** The program and the addresses of its interesting instructions. */
    private record Program(TinyGuest guest, long second, long third, long afterStore) {
    }

    private static Program program(boolean user) {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label second = a.newLabel();
        Label third = a.newLabel();
        Label afterStore = a.newLabel();
        a.mov(RAX, 0x11);
        a.bind(second).mov(RBX, 0x22);
        a.bind(third).add(RAX, RBX);
        a.mov(Mem.abs(DATA), RAX);
        a.bind(afterStore).nop();
        exit(a, 0x33);
        TinyGuest guest = TinyGuest.longMode().load(a);
        if (user) {
            guest.userMode().allowUserPorts(TestOps.EXIT_PORT, 1);
        }
        return new Program(guest, a.addressOf(second), a.addressOf(third), a.addressOf(afterStore));
    }

    private static VcpuExit runDebug(TestVm t) {
        VcpuExit exit = runBounded(t, t.vcpu());
        assumeTrue(!(exit instanceof VcpuExit.Crashed), () -> "this host's KVM does not support the debug event here: " + exit);
        return exit;
    }

    @ParameterizedTest(name = "cpl{0}")
    @ValueSource(ints = {3, 0})
    void breakpointStopsBeforeTheInstructionAndResumesPastIt(int cpl) {
        Program p = program(cpl == 3);
        try (TestVm t = boot(p.guest())) {
            t.vcpu().setDebug(new DebugSettings(false, List.of(p.third()), List.of()));
            VcpuExit exit = runDebug(t);
            assumeTrue(exit instanceof VcpuExit.Debug, () -> "the breakpoint did not fire at CPL" + cpl + ": " + exit);
            assertThat(exit).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, p.third()));
            assertThat(t.vcpu().getRegisters().rip()).isEqualTo(p.third());
            assertThat(t.vcpu().getRegisters().rbx()).as("the instruction before ran").isEqualTo(0x22);
            assertThat(t.vcpu().getRegisters().rax()).as("the instruction at the breakpoint did not").isEqualTo(0x11);
            // Still armed: the next run executes it and finishes.
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
            assertThat(t.ops().exitValues).containsEntry(0, 0x33L);
            assertThat(t.memory().readU64(DATA)).isEqualTo(0x33);
        }
    }

    @ParameterizedTest(name = "cpl{0}")
    @ValueSource(ints = {3, 0})
    void steppingFromABreakpointExecutesItsInstruction(int cpl) {
        Program p = program(cpl == 3);
        try (TestVm t = boot(p.guest())) {
            t.vcpu().setDebug(new DebugSettings(false, List.of(p.second()), List.of()));
            VcpuExit exit = runDebug(t);
            assumeTrue(exit instanceof VcpuExit.Debug, () -> "the breakpoint did not fire at CPL" + cpl + ": " + exit);
            t.vcpu().setDebug(new DebugSettings(true, List.of(p.second()), List.of()));
            assertThat(runDebug(t)).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, p.third()));
            assertThat(t.vcpu().getRegisters().rbx()).isEqualTo(0x22);
        }
    }

    @ParameterizedTest(name = "cpl{0}")
    @ValueSource(ints = {3, 0})
    void singleStepRunsOneInstruction(int cpl) {
        Program p = program(cpl == 3);
        try (TestVm t = boot(p.guest())) {
            t.vcpu().setDebug(new DebugSettings(true, List.of(), List.of()));
            VcpuExit first = runDebug(t);
            assumeTrue(first instanceof VcpuExit.Debug, () -> "single-step does not stop at CPL" + cpl + ": " + first);
            assertThat(first).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, p.second()));
            assertThat(t.vcpu().getRegisters().rip()).isEqualTo(p.second());
            assertThat(runDebug(t)).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, p.third()));
            t.vcpu().setDebug(DebugSettings.NONE);
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
            assertThat(t.memory().readU64(DATA)).isEqualTo(0x33);
        }
    }

    @ParameterizedTest(name = "cpl{0}")
    @ValueSource(ints = {3, 0})
    void writeWatchpointStopsAfterTheStore(int cpl) {
        Program p = program(cpl == 3);
        try (TestVm t = boot(p.guest())) {
            t.vcpu().setDebug(new DebugSettings(false, List.of(),
                    List.of(new DebugSettings.Watchpoint(DATA, 8, DebugSettings.Kind.WRITE))));
            VcpuExit exit = runDebug(t);
            assumeTrue(exit instanceof VcpuExit.Debug, () -> "the watchpoint did not fire at CPL" + cpl + ": " + exit);
            assertThat(exit).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.WATCHPOINT, DATA));
            assertThat(t.vcpu().getRegisters().rip()).isEqualTo(p.afterStore());
            assertThat(t.memory().readU64(DATA)).isEqualTo(0x33);
            assertThat(runBounded(t, t.vcpu())).isEqualTo(VcpuExit.KICKED);
        }
    }

    @ParameterizedTest(name = "cpl{0}")
    @ValueSource(ints = {3, 0})
    void translateWalksTheGuestPageTables(int cpl) {
        Program p = program(cpl == 3);
        try (TestVm t = boot(p.guest())) {
            assertThat(t.vcpu().translate(TinyGuest.CODE + 0x123)).isEqualTo(TinyGuest.CODE + 0x123);
            assertThat(t.vcpu().translate(0x7f_0000_0000L)).as("beyond the identity-mapped 4 GiB").isEqualTo(-1);
        }
    }
}
