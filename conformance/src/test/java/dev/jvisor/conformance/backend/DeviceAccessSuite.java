package dev.jvisor.conformance.backend;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.conformance.GuestVm;
import dev.jvisor.conformance.TestMachine;
import dev.jvisor.conformance.TestMachine.Access;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The same tiny guests must reach the machine model the same way on every back end: port I/O of
 * every size and through the TSS I/O bitmap at CPL3, string port I/O in both directions, MMIO of
 * every size including a read-modify-write, the register state a guest leaves at an exit, state
 * set before a run, self-modifying code, triple faults, and kicks of a running guest.
 */
abstract class DeviceAccessSuite extends BackendSuite {
    private static final int DATA = 0x510, WIDE = 0x1f0, SERIAL = 0x3f8, BYTE_PORT = 0x99;

    @Test
    void portIoOfEverySizeInRealMode() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.mov(AL, 0x5a).out(BYTE_PORT, AL);
        a.mov(DX, WIDE).mov(AX, 0x1234).out(DX, AX).mov(EAX, 0x89ab_cdefL).out(DX, EAX);
        a.in(AL, BYTE_PORT).mov(Mem.abs(0x3000), AL);
        a.in(AX, DX).mov(Mem.abs(0x3002), AX);
        a.in(EAX, DX).mov(Mem.abs(0x3004), EAX);
        exit(a, 7);
        try (GuestVm vm = boot(TinyGuest.realMode().load(a))) {
            vm.machine().portSource(port -> port == BYTE_PORT ? 0xc3 : 0x7654_3210);
            assertThat(runToExit(vm)).isEqualTo(7);
            assertThat(vm.machine().accesses()).containsExactly(
                    new Access("out", BYTE_PORT, 1, 0x5a), new Access("out", WIDE, 2, 0x1234), new Access("out", WIDE, 4, 0x89ab_cdefL),
                    new Access("in", BYTE_PORT, 1, 0xc3), new Access("in", WIDE, 2, 0x3210), new Access("in", WIDE, 4, 0x7654_3210),
                    new Access("out", TestMachine.EXIT_PORT, 1, 7));
            assertThat(vm.memory().readU8(0x3000)).isEqualTo(0xc3);
            assertThat(vm.memory().readU16(0x3002)).isEqualTo(0x3210);
            assertThat(vm.memory().readU32(0x3004)).isEqualTo(0x7654_3210L);
        }
    }

    /**
     * At CPL3 each byte of an access needs its bit clear in the TSS I/O permission bitmap (SDM Vol. 1
     * §19.5.2): a 4-byte OUT to 0x512 touches 0x512–0x515 and 0x514 is denied, so it raises #GP(0).
     */
    @Test
    void userModePortIoFollowsTheTssBitmap() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label handler = a.newLabel("gp");
        a.mov(DX, DATA).mov(EAX, 0x1122_3344).out(DX, EAX);
        a.mov(DX, DATA + 2).in(AX, DX);
        Label faulting = a.here();
        a.out(DX, EAX);                                  // 0x512..0x515: 0x514 is not allowed
        exit(a, 1);                                      // not reached
        a.bind(handler).pop(RAX).out(REPORT32, EAX);     // error code
        a.mov(EAX, Mem.at(RSP)).out(REPORT32, EAX);      // RIP of the faulting OUT
        exit(a, 13);
        TinyGuest guest = TinyGuest.longMode().userMode().load(a).allowUserPorts(DATA, 4)
                .allowUserPorts(TestMachine.EXIT_PORT, 1).interruptGate(13, a.addressOf(handler));
        try (GuestVm vm = boot(guest)) {
            vm.machine().portSource(port -> 0xbeef);
            assertThat(runToExit(vm)).isEqualTo(13);
            long faultingOut = a.addressOf(faulting);
            assertThat(vm.machine().accesses()).containsExactly(
                    new Access("out", DATA, 4, 0x1122_3344), new Access("in", DATA + 2, 2, 0xbeef),
                    new Access("out", REPORT32, 4, 0), new Access("out", REPORT32, 4, faultingOut),
                    new Access("out", TestMachine.EXIT_PORT, 1, 13));
        }
    }

    @Test
    void stringPortIoInBothDirectionsInRealMode() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label msg = a.newLabel("msg");
        a.cld().mov(SI, msg).mov(CX, 5).mov(DX, SERIAL).rep().outsb();
        // DF = 1: three words backwards from the last word of the message.
        a.std().mov(SI, msg).add(SI, 4).mov(CX, 3).mov(DX, WIDE).rep().outsw().cld();
        a.mov(DI, 0x3000).mov(CX, 3).rep().insd();
        a.std().mov(DI, 0x3100).mov(CX, 2).mov(DX, SERIAL).rep().insb().cld();
        exit(a, 0).bind(msg).ascii("jvisor");
        try (GuestVm vm = boot(TinyGuest.realMode().load(a))) {
            int[] next = {0x40};
            vm.machine().portSource(port -> port == WIDE ? 0x1000_0000 + next[0]++ : 0xa0 + next[0]++);
            runToExit(vm);
            assertThat(vm.machine().outs(SERIAL)).containsExactly((long) 'j', (long) 'v', (long) 'i', (long) 's', (long) 'o');
            assertThat(vm.machine().outs(WIDE)).containsExactly(0x726fL, 0x7369L, 0x766aL);   // "or", "is", "jv"
            assertThat(vm.memory().readU32(0x3000)).isEqualTo(0x1000_0040L);
            assertThat(vm.memory().readU32(0x3008)).isEqualTo(0x1000_0042L);
            assertThat(vm.memory().readU8(0x3100)).isEqualTo(0xa0 + 0x43);
            assertThat(vm.memory().readU8(0x30ff)).as("DF = 1 stores downwards").isEqualTo(0xa0 + 0x44);
        }
    }

    @Test
    void stringPortIoInLongMode() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label msg = a.newLabel("msg");
        a.cld().mov(RSI, msg).mov(ECX, 2).mov(DX, WIDE).rep().outsd();
        a.mov(EDI, 0x3000).mov(ECX, 4).rep().insw();
        exit(a, 0).bind(msg).dd(0x1111_2222L, 0x3333_4444L);
        try (GuestVm vm = boot(TinyGuest.longMode().load(a))) {
            int[] next = {1};
            vm.machine().portSource(port -> next[0]++);
            runToExit(vm);
            assertThat(vm.machine().outs(WIDE)).containsExactly(0x1111_2222L, 0x3333_4444L);
            assertThat(vm.memory().readU64(0x3000)).isEqualTo(0x0004_0003_0002_0001L);
            assertThat(vm.vcpu().getRegisters().rdi()).isEqualTo(0x3008);
        }
    }

    @Test
    void mmioOfEverySizeInLongMode() {
        long base = TestMachine.DEVICE_BASE;
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RBX, base);
        a.mov(Mem.at(RBX).bytePtr(), 0x11).mov(Mem.at(RBX, 2).wordPtr(), 0x2233)
                .mov(Mem.at(RBX, 4).dwordPtr(), 0x4455_6677).mov(RAX, 0x8899_aabb_ccdd_eeffL).mov(Mem.at(RBX, 8), RAX);
        a.mov(AL, Mem.at(RBX, 0x10)).mov(Mem.abs(0x31000), AL)
                .mov(AX, Mem.at(RBX, 0x12)).mov(Mem.abs(0x31002), AX)
                .mov(EAX, Mem.at(RBX, 0x14)).mov(Mem.abs(0x31004), EAX)
                .mov(RAX, Mem.at(RBX, 0x18)).mov(Mem.abs(0x31008), RAX);
        a.or(Mem.at(RBX, 0x20).dwordPtr(), 0x100);       // read-modify-write: a read, then a write
        exit(a, 0);
        try (GuestVm vm = bootAndRun(TinyGuest.longMode().load(a))) {
            long rmw = TestMachine.deviceValue(0x20, 4);
            assertThat(vm.machine().accesses().stream().filter(x -> x.kind().startsWith("mmio")).toList()).containsExactly(
                    new Access("mmio-write", base, 1, 0x11), new Access("mmio-write", base + 2, 2, 0x2233),
                    new Access("mmio-write", base + 4, 4, 0x4455_6677), new Access("mmio-write", base + 8, 8, 0x8899_aabb_ccdd_eeffL),
                    new Access("mmio-read", base + 0x10, 1, TestMachine.deviceValue(0x10, 1)),
                    new Access("mmio-read", base + 0x12, 2, TestMachine.deviceValue(0x12, 2)),
                    new Access("mmio-read", base + 0x14, 4, TestMachine.deviceValue(0x14, 4)),
                    new Access("mmio-read", base + 0x18, 8, TestMachine.deviceValue(0x18, 8)),
                    new Access("mmio-read", base + 0x20, 4, rmw), new Access("mmio-write", base + 0x20, 4, rmw | 0x100));
            assertThat(vm.memory().readU8(0x31000)).isEqualTo(TestMachine.deviceValue(0x10, 1));
            assertThat(vm.memory().readU16(0x31002)).isEqualTo(TestMachine.deviceValue(0x12, 2));
            assertThat(vm.memory().readU32(0x31004)).isEqualTo(TestMachine.deviceValue(0x14, 4));
            assertThat(vm.memory().readU64(0x31008)).isEqualTo(TestMachine.deviceValue(0x18, 8));
        }
    }

    @Test
    void mmioInProtectedMode() {
        long base = TestMachine.DEVICE_BASE;
        Asm a = new Asm(32, TinyGuest.CODE);
        a.mov(EBX, base).mov(Mem.at(EBX, 0x40).wordPtr(), 0xabcd).mov(ECX, Mem.at(EBX, 0x44)).mov(Mem.abs(0x31000), ECX);
        exit(a, 0);
        try (GuestVm vm = bootAndRun(TinyGuest.protectedMode().load(a))) {
            assertThat(vm.machine().accesses("mmio-write")).containsExactly(new Access("mmio-write", base + 0x40, 2, 0xabcd));
            assertThat(vm.memory().readU32(0x31000)).isEqualTo(TestMachine.deviceValue(0x44, 4));
        }
    }

    /** What the guest leaves in its registers is what the state API reads after the exit. */
    @Test
    void registersAfterAnExitAreTheGuests() {
        Asm a = new Asm(64, TinyGuest.CODE);
        long[] values = new long[16];
        for (int r = 0; r < 16; r++) {
            values[r] = r == 4 ? 0x6_0000 : 0x0101_0101_0101_0101L * (r + 1) ^ 0x8000_0000_0000_0000L;
        }
        values[0] &= ~0xffL;        // AL carries the exit code 0
        for (int r = 0; r < 16; r++) {
            a.mov(dev.jvisor.testkit.Reg.gpr(r, 64), values[r]);
        }
        a.stc().std();
        a.out(TestMachine.EXIT_PORT, AL);
        long afterOut = a.address();
        a.hlt();
        try (GuestVm vm = bootAndRun(TinyGuest.longMode().load(a))) {
            Registers regs = vm.vcpu().getRegisters();
            assertThat(regs.gprsInEncodingOrder()).containsExactly(values);
            assertThat(regs.rip()).isEqualTo(afterOut);
            assertThat(regs.rflags() & (1 | 1 << 10)).as("CF and DF").isEqualTo(1 | 1 << 10);
            assertThat(vm.vcpu().getSystemRegisters().cs().selector()).isEqualTo(TinyGuest.KERNEL_CS64);
        }
    }

    /** Registers set through the state API before a run are what the guest computes with. */
    @Test
    void registersSetBeforeARunReachTheGuest() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, RBX).add(RAX, R12).out(REPORT32, EAX).shr(RAX, 32).out(REPORT32, EAX);
        exit(a, 0);
        try (GuestVm vm = boot(TinyGuest.longMode().load(a))) {
            Registers r = vm.vcpu().getRegisters();
            vm.vcpu().setRegisters(new Registers(0, 0x1234_5678_0000_0001L, 0, 0, 0, 0, r.rsp(), 0, 0, 0, 0, 0,
                    0x1111_1111_2222_2222L, 0, 0, 0, r.rip(), r.rflags()));
            runToExit(vm);
            assertThat(vm.machine().outs(REPORT32)).containsExactly(0x2222_2223L, 0x2345_6789L);
        }
    }

    /** A guest that rewrites code it is about to run sees the new code (SDM Vol. 3A §11.6). */
    @Test
    void selfModifyingCodeTakesEffect() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label patched = a.newLabel("patched");
        Label site = a.newLabel("site");
        Label loop = a.newLabel("loop");
        a.mov(ECX, 3).xor(EBX, EBX);
        a.bind(loop).lea(RDX, Mem.rip(patched, 1)).mov(Mem.at(RDX), ECX);     // the immediate of "mov eax, imm32"
        a.bind(patched).mov(EAX, 0x7777_7777L).out(REPORT32, EAX);
        a.dec(ECX).j(Cond.NZ, loop);
        // Replace three NOPs by "inc ebx; nop" and run them twice.
        a.lea(RDX, Mem.rip(site)).mov(Mem.at(RDX).wordPtr(), 0xc3ff);
        a.bind(site).nop().nop().nop();
        a.mov(EAX, EBX).out(REPORT32, EAX);
        exit(a, 0);
        try (GuestVm vm = bootAndRun(TinyGuest.longMode().load(a))) {
            assertThat(vm.machine().outs(REPORT32)).containsExactly(3L, 2L, 1L, 1L);
        }
    }

    /** An exception with no IDT ends in a shutdown (triple fault, SDM Vol. 3A §6.15 #DF). */
    @Test
    void tripleFaultShutsTheVcpuDown() {
        Asm a = new Asm(64, TinyGuest.CODE).ud2();
        try (GuestVm vm = boot(TinyGuest.longMode().load(a))) {
            GuestVm.Run run = vm.run(WATCHDOG);
            assertThat(run.watchdogFired()).isFalse();
            assertThat(run.exit()).isInstanceOf(VcpuExit.Shutdown.class);
        }
    }

    /**
     * HLT with interrupts disabled ends the run: the emulator returns {@code Halted} at once (nothing
     * can wake the CPU), KVM with its in-kernel irqchip waits in KVM_RUN until the kick. Either way
     * RIP is past the HLT.
     */
    @Test
    void haltWithInterruptsDisabledEndsTheRun() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.cli().hlt();
        long afterHlt = a.address();
        exit(a, 1);
        try (GuestVm vm = boot(TinyGuest.longMode().load(a))) {
            GuestVm.later(Duration.ofMillis(200), vm.vcpu()::kick);
            GuestVm.Run run = vm.run(WATCHDOG);
            assertThat(run.watchdogFired()).isFalse();
            assertThat(run.exit()).isIn(VcpuExit.HALTED, VcpuExit.KICKED);
            assertThat(vm.vcpu().getRegisters().rip()).isEqualTo(afterHlt);
            assertThat(vm.machine().exitValue(0)).isNull();
        }
    }

    /** A kick stops a guest that never exits by itself; the next run() continues where it stopped. */
    @Test
    void kickStopsASpinningGuestWhichThenResumes() {
        long flag = 0x3000;
        Asm a = new Asm(64, TinyGuest.CODE);
        Label spin = a.here();
        a.cmp(Mem.abs(flag).bytePtr(), 0).j(Cond.E, spin);
        exit(a, 9);
        long spinEnd = a.address();
        // CPL3 runs natively on the nested KVM, so the spin costs nothing there.
        TinyGuest guest = TinyGuest.longMode().userMode().allowUserPorts(TestMachine.EXIT_PORT, 1).load(a);
        try (GuestVm vm = boot(guest)) {
            GuestVm.later(Duration.ofMillis(100), vm.vcpu()::kick);
            GuestVm.Run first = vm.run(WATCHDOG);
            assertThat(first.exit()).isEqualTo(VcpuExit.KICKED);
            assertThat(first.watchdogFired()).isFalse();
            assertThat(vm.machine().exitValue(0)).as("not finished yet").isNull();
            assertThat(vm.vcpu().getRegisters().rip()).isBetween(TinyGuest.CODE, spinEnd);
            vm.memory().writeU8(flag, 1);
            assertThat(runToExit(vm)).isEqualTo(9);
        }
    }
}
