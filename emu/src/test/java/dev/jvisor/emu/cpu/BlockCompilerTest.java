package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

/** A compiled block behaves exactly as the interpreted one: results, RIP, counts and faults. */
class BlockCompilerTest {
    private static Block translate(CpuHarness h, long linear) {
        long host = h.cpu.mmu.fetchHostOffset(linear);
        return new Translator(h.cpu).translate(linear, host, 0, 64);
    }

    @Test
    void compiledLoopBodyComputesWhatTheInterpreterComputes() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RCX, 1000).mov(RAX, 0).mov(RSI, 0x20_0000);
        Label loop = a.here();
        a.add(RAX, RCX).mov(Mem.at(RSI), RAX).mov(RDX, Mem.at(RSI)).dec(RCX).j(Cond.NZ, loop);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            Block body = translate(h, a.addressOf(loop));
            CompiledBlock compiled = new BlockCompiler().compile(body);
            h.cpu.r[1] = 3;
            h.cpu.r[0] = 10;
            h.cpu.r[6] = 0x20_0000;
            compiled.run(h.cpu);
            assertThat(h.cpu.r[0]).isEqualTo(13);
            assertThat(h.cpu.r[2]).isEqualTo(13);
            assertThat(h.cpu.r[1]).isEqualTo(2);
            assertThat(h.cpu.rip).isEqualTo(a.addressOf(loop)); // the JNZ was taken
            assertThat(h.cpu.instructions).isEqualTo(5);
        }
    }

    @Test
    void aFaultInsideACompiledBlockNamesTheFaultingInstruction() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label block = a.here();
        a.mov(RAX, 1).mov(RBX, Mem.at(RCX)).mov(RAX, 2);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            Block b = translate(h, a.addressOf(block));
            CompiledBlock compiled = new BlockCompiler().compile(b);
            h.cpu.r[1] = 0x7fff_0000_0000L; // not mapped: #PF on the second instruction
            CpuException e = org.junit.jupiter.api.Assertions.assertThrows(CpuException.class, () -> compiled.run(h.cpu));
            assertThat(e.vector()).isEqualTo(CpuException.PF);
            assertThat(h.cpu.faultIndex).isEqualTo(1);
            assertThat(h.cpu.r[0]).isEqualTo(1);
        }
    }

    @Test
    void theWholeGuestRunsTheSameWithEveryBlockCompiled() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 0).mov(RBX, 1).mov(RCX, 90);
        Label loop = a.here();
        a.mov(RDX, RAX).add(RDX, RBX).mov(RAX, RBX).mov(RBX, RDX).loop(loop);
        a.mov(R15, RAX);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            // Drive the executor's compile path directly: compile every block on first sight.
            Executor ex = h.executor;
            assertThat(ex.runWithEveryBlockCompiled()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.reg(15)).isEqualTo(2880067194370816120L);
            assertThat(ex.compiledBlocks()).isPositive();
        }
    }
}
