package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Two emulated CPUs on two threads hammer shared counters with locked instructions: no update may
 * be lost (SDM Vol. 3A §9.1.2.2), whatever the interleaving.
 */
class SmpAtomicsTest {
    private static final long COUNTERS = 0x20_0000;
    private static final int ROUNDS = 200_000;

    @Test
    void lockedIncrementsXaddAndCmpxchgLoopsLoseNothingAcrossTwoCpus() throws Exception {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RSI, COUNTERS).mov(RCX, ROUNDS);
        Label loop = a.here();
        a.lock().inc(Mem.at(RSI).qwordPtr());                    // counter 0: lock inc
        a.mov(RAX, 1).lock().xadd(Mem.at(RSI, 8), RAX);         // counter 1: lock xadd
        Label retry = a.here();                                  // counter 2: cmpxchg loop
        a.mov(RAX, Mem.at(RSI, 16)).lea(RDX, Mem.at(RAX, 1));
        a.lock().cmpxchg(Mem.at(RSI, 16), RDX).j(Cond.NZ, retry);
        a.lock().add(Mem.at(RSI, 24).dwordPtr(), 1);             // counter 3: 32-bit lock add
        a.mov(RAX, 1).xchg(Mem.at(RSI, 32), RAX);                // counter 4: xchg (implicitly locked)
        a.dec(RCX).j(Cond.NZ, loop);
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);

        try (GuestMemory memory = GuestMemory.flat(16 << 20)) {
            GuestBoot boot = TinyGuest.longMode().load(a).build(memory);
            CodeCache cache = new CodeCache();
            CompletableFuture<VcpuExit>[] runs = new CompletableFuture[2];
            for (int i = 0; i < 2; i++) {
                TestEnvironment env = new TestEnvironment();
                Cpu cpu = new Cpu(i, 2, memory, env);
                env.cpu = cpu;
                cpu.setSystemRegisters(boot.systemRegisters());
                cpu.setRegisters(boot.registers().withRsp(TinyGuest.KERNEL_STACK_TOP - 0x1000L * i));
                Executor ex = new Executor(cpu, cache);
                runs[i] = new CompletableFuture<>();
                CompletableFuture<VcpuExit> done = runs[i];
                Thread.ofPlatform().start(() -> done.complete(ex.run()));
            }
            assertThat(runs[0].get()).isEqualTo(VcpuExit.KICKED);
            assertThat(runs[1].get()).isEqualTo(VcpuExit.KICKED);
            assertThat(memory.readU64(COUNTERS)).isEqualTo(2L * ROUNDS);
            assertThat(memory.readU64(COUNTERS + 8)).isEqualTo(2L * ROUNDS);
            assertThat(memory.readU64(COUNTERS + 16)).isEqualTo(2L * ROUNDS);
            assertThat(memory.readU32(COUNTERS + 24)).isEqualTo(2L * ROUNDS);
        }
    }
}
