package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Breakpoints, single-stepping and watchpoints of the emulator (what the GDB stub builds on). */
class DebugTest {
    private static final long DATA = 0x20_0000;

    @Test
    void breakpointStopsBeforeTheInstructionAndResumesOverIt() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 1);
        Label bp = a.here();
        a.add(RAX, 10).add(RAX, 100);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            long at = a.addressOf(bp);
            h.cpu.setDebug(new DebugSettings(false, List.of(at), List.of()));
            assertThat(h.run()).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, at));
            assertThat(h.cpu.rip).isEqualTo(at);
            assertThat(h.reg(0)).isEqualTo(1); // not executed yet
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED); // continues over the breakpoint
            assertThat(h.reg(0) & 0xff).isEqualTo(0); // AL was zeroed by the final mov
        }
    }

    @Test
    void singleStepStopsAfterEachInstruction() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 5).add(RAX, 2).mov(RBX, RAX);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            h.cpu.setDebug(new DebugSettings(true, List.of(), List.of()));
            VcpuExit e1 = h.run();
            assertThat(e1).isInstanceOf(VcpuExit.Debug.class);
            assertThat(h.reg(0)).isEqualTo(5);
            h.run();
            assertThat(h.reg(0)).isEqualTo(7);
            assertThat(h.reg(3)).isNotEqualTo(7);
            h.run();
            assertThat(h.reg(3)).isEqualTo(7);
            assertThat(h.cpu.instructions).isEqualTo(3);
        }
    }

    @Test
    void writeWatchpointReportsTheStoreButNotReads() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RBX, DATA).mov(RAX, Mem.at(RBX, 8)); // a read: not reported by a write watch
        a.mov(RCX, 0x42).mov(Mem.at(RBX, 8), RCX);
        Label after = a.here();
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            h.cpu.setDebug(new DebugSettings(false, List.of(),
                    List.of(new DebugSettings.Watchpoint(DATA + 8, 8, DebugSettings.Kind.WRITE))));
            assertThat(h.run()).isEqualTo(new VcpuExit.Debug(VcpuExit.Debug.Reason.WATCHPOINT, DATA + 8));
            assertThat(h.cpu.rip).isEqualTo(a.addressOf(after)); // reported after the store
            assertThat(h.memory.readU64(DATA + 8)).isEqualTo(0x42);
        }
    }

    @Test
    void translateWalksThePageTablesWithoutSideEffects() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            assertThat(h.cpu.translate(0x12_3456)).isEqualTo(0x12_3456); // identity-mapped
            assertThat(h.cpu.translate(0x7fff_0000_0000L)).isEqualTo(-1);
            assertThat(h.cpu.cr2).isZero();
        }
    }
}
