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

/** Small programs in each CPU mode, checked through their port output and final registers. */
class CpuBasicsTest {

    private static Asm stop(Asm a) {
        return a.mov(AL, 0).out(TestEnvironment.STOP, AL);
    }

    @Test
    void realModeWritesAStringToAPort() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label msg = a.newLabel();
        Label loop = a.newLabel();
        a.mov(SI, msg);
        a.bind(loop);
        a.mov(AL, Mem.at(SI)).test(AL, AL);
        Label done = a.newLabel();
        a.j(Cond.Z, done).out(TestEnvironment.CONSOLE, AL).inc(SI).jmp(loop);
        a.bind(done);
        stop(a);
        a.bind(msg);
        a.ascii("hello real mode\0");
        try (CpuHarness h = new CpuHarness(TinyGuest.realMode().load(a))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.env.consoleText()).isEqualTo("hello real mode");
        }
    }

    @Test
    void longModeLoopComputesFibonacci() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 0).mov(RBX, 1).mov(RCX, 90);
        Label loop = a.here();
        a.mov(RDX, RAX).add(RDX, RBX).mov(RAX, RBX).mov(RBX, RDX).loop(loop);
        a.mov(R15, RAX);
        stop(a);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.reg(15)).isEqualTo(2880067194370816120L); // fib(90)
        }
    }

    @Test
    void protectedModeMultiplyAndDivide() {
        Asm a = new Asm(32, TinyGuest.CODE);
        a.mov(EAX, 123456789).mov(ECX, 1000).mul(ECX).div(ECX); // EDX:EAX / ECX back to EAX
        a.mov(EBX, EAX);
        a.mov(EAX, -7).mov(ECX, 2).db(0x99); // CDQ
        a.idiv(ECX); // -3 remainder -1
        a.mov(ESI, EAX).mov(EDI, EDX);
        stop(a);
        try (CpuHarness h = new CpuHarness(TinyGuest.protectedMode().load(a))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.reg(3)).isEqualTo(123456789L);
            assertThat((int) h.reg(6)).isEqualTo(-3);
            assertThat((int) h.reg(7)).isEqualTo(-1);
        }
    }

    @Test
    void divideByZeroIsDeliveredThroughTheIdt() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 10).mov(RCX, 0).div(RCX);
        a.mov(AL, 'n').out(TestEnvironment.CONSOLE, AL);
        stop(a);
        Asm handler = new Asm(64, TinyGuest.CODE + 0x1000);
        handler.mov(AL, 'D').out(TestEnvironment.CONSOLE, AL);
        handler.mov(R14, Mem.at(RSP)); // the pushed RIP of the faulting DIV
        stop(handler);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a).load(handler)
                .interruptGate(0, handler.origin()))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.env.consoleText()).isEqualTo("D");
            assertThat(h.reg(14)).isEqualTo(TinyGuest.CODE + 7 + 7); // two 7-byte MOVs precede the DIV
        }
    }

    @Test
    void selfModifyingCodeIsNeverStale() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label patch = a.newLabel();
        Label loop = a.newLabel();
        a.mov(RCX, 3);
        a.bind(loop);
        a.bind(patch);
        a.mov(AL, 'a'); // B0 61: the immediate is rewritten below
        a.out(TestEnvironment.CONSOLE, AL);
        a.lea(RBX, Mem.rip(patch));
        a.mov(Mem.at(RBX, 1).bytePtr(), 'b');
        a.dec(RCX);
        a.j(Cond.NZ, loop);
        stop(a);
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.env.consoleText()).isEqualTo("abb");
        }
    }

    @Test
    void tripleFaultWithoutIdtShutsDown() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.ud2();
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a))) {
            assertThat(h.run()).isInstanceOf(VcpuExit.Shutdown.class);
        }
    }

    @Test
    void userModeSyscallRoundTrip() {
        Asm user = new Asm(64, TinyGuest.CODE);
        user.mov(RAX, 41).syscall().mov(RBX, RAX);
        user.mov(AL, 'u').out(TestEnvironment.CONSOLE, AL);
        stop(user);
        Asm kernel = new Asm(64, TinyGuest.CODE + 0x2000);
        kernel.mov(R12, RCX).add(RAX, 1);
        kernel.mov(R13, Mem.abs(0x100)); // supervisor may read anything mapped
        kernel.sysretq();
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(user).load(kernel)
                .userMode().allowUserPorts(0xe9, 1).allowUserPorts(0xf4, 1).syscallHandler(kernel.origin()))) {
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.env.consoleText()).isEqualTo("u");
            assertThat(h.reg(3)).isEqualTo(42);
            assertThat(h.cpu.cpl).isEqualTo(3);
        }
    }
}
