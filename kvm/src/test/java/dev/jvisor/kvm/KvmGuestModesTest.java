package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmTestSupport.boot;
import static dev.jvisor.kvm.KvmTestSupport.exit;
import static dev.jvisor.kvm.KvmTestSupport.runToExit;
import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Tiny guests in each CPU mode, started directly in that mode, talking to the test machine model. */
class KvmGuestModesTest {
    private static final int CONSOLE = 0x3f8, DATA_PORT = 0x500;

    @Test
    void realModeGuestWritesAStringToAPort() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label msg = a.newLabel("msg");
        Label next = a.newLabel("next");
        a.mov(SI, msg).mov(CX, 13).mov(DX, CONSOLE).bind(next).lods(8).out(DX, AL).loop(next);
        exit(a, 7).bind(msg).ascii("Hello, world!");
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            assertThat(runToExit(t)).isEqualTo(7);
            assertThat(t.ops().text(CONSOLE)).isEqualTo("Hello, world!");
        }
    }

    @Test
    void stringIoMovesManyElementsInBothDirections() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label msg = a.newLabel("msg");
        // rep outsb: 6 bytes from DS:SI to the console; rep insw: 4 words from port 0x200 to ES:DI.
        a.cld().mov(SI, msg).mov(CX, 6).mov(DX, CONSOLE).rep().outsb();
        a.mov(DI, 0x3000).mov(CX, 4).mov(DX, 0x200).rep().insw();
        exit(a, 0).bind(msg).ascii("jvisor");
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            int[] next = {0x4140};
            t.ops().portSource = port -> port == 0x200 ? next[0]++ : 0xff;
            runToExit(t);
            assertThat(t.ops().text(CONSOLE)).isEqualTo("jvisor");
            assertThat(t.ops().accesses("in", 0x200)).hasSize(4).allMatch(x -> x.size() == 2);
            assertThat(new String(t.memory().read(0x3000, 8), StandardCharsets.ISO_8859_1)).isEqualTo("@AAABACA");
            assertThat(t.memory().readU16(0x3000)).isEqualTo(0x4140);
            assertThat(t.memory().readU16(0x3006)).isEqualTo(0x4143);
        }
    }

    @Test
    void portReadsOfEverySizeReachTheGuest() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.in(AL, 0x60).mov(Mem.abs(0x3000), AL);
        a.mov(DX, 0x1f0).in(AX, DX).mov(Mem.abs(0x3002), AX);
        a.in(EAX, DX).mov(Mem.abs(0x3004), EAX);
        exit(a, 0);
        try (TestVm t = boot(TinyGuest.realMode().load(a))) {
            t.ops().portSource = port -> port == 0x60 ? 0x5a : 0x89abcdef;
            runToExit(t);
            assertThat(t.memory().readU8(0x3000)).isEqualTo(0x5a);
            assertThat(t.memory().readU16(0x3002)).isEqualTo(0xcdef);
            assertThat(t.memory().readU32(0x3004)).isEqualTo(0x89abcdefL);
        }
    }

    @Test
    void protectedModeGuestComputesAndStores() {
        Asm a = new Asm(32, TinyGuest.CODE);
        Label sum = a.newLabel("sum");
        a.mov(ECX, 100).xor(EAX, EAX).bind(sum).add(EAX, ECX).loop(sum);
        a.mov(DX, DATA_PORT).out(DX, EAX).mov(Mem.abs(0x20000), EAX);
        exit(a, 32);
        try (TestVm t = boot(TinyGuest.protectedMode().load(a))) {
            assertThat(runToExit(t)).isEqualTo(32);
            assertThat(t.ops().accesses("out", DATA_PORT)).singleElement()
                    .satisfies(x -> assertThat(x.size()).isEqualTo(4))
                    .satisfies(x -> assertThat(x.value()).isEqualTo(5050));
            assertThat(t.memory().readU32(0x20000)).isEqualTo(5050);
        }
    }

    @Test
    void longModeKernelGuestUsesSixtyFourBitRegisters() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, 0x1234_5678_9abc_def0L).mov(R9, RAX).shr(R9, 32).mov(Mem.abs(0x30000), RAX);
        a.mov(DX, DATA_PORT).out(DX, EAX).mov(EAX, R9D).out(DX, EAX);
        exit(a, 64);
        try (TestVm t = boot(TinyGuest.longMode().load(a))) {
            assertThat(runToExit(t)).isEqualTo(64);
            assertThat(t.ops().accesses("out", DATA_PORT)).extracting(TestOps.Access::value)
                    .containsExactly(0x9abc_def0L, 0x1234_5678L);
            assertThat(t.memory().readU64(0x30000)).isEqualTo(0x1234_5678_9abc_def0L);
        }
    }

    @Test
    void longModeUserGuestRunsALongComputation() {
        long n = 100_000_000L;
        Asm a = new Asm(64, TinyGuest.CODE);
        Label top = a.newLabel("top");
        a.mov(RCX, n).xor(EAX, EAX).bind(top).add(RAX, RCX).dec(RCX).j(dev.jvisor.testkit.Cond.NZ, top);
        a.mov(DX, DATA_PORT).out(DX, EAX).shr(RAX, 32).out(DX, EAX);
        exit(a, 3);
        // A 4-byte OUT at CPL3 needs all four ports allowed in the TSS I/O bitmap (SDM Vol. 1 §19.5.2).
        TinyGuest guest = TinyGuest.longMode().userMode().allowUserPorts(DATA_PORT, 4).allowUserPorts(TestOps.EXIT_PORT, 1).load(a);
        try (TestVm t = boot(guest)) {
            assertThat(runToExit(t)).isEqualTo(3);
            var outs = t.ops().accesses("out", DATA_PORT);
            long result = outs.get(0).value() | outs.get(1).value() << 32;
            assertThat(result).isEqualTo(n * (n + 1) / 2);
            assertThat(t.vcpu().getSystemRegisters().cs().dpl()).as("still at CPL3").isEqualTo(3);
        }
    }

    @Test
    void mmioReachesTheTestDeviceInEverySize() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RBX, TestOps.DEVICE_BASE);
        a.mov(Mem.at(RBX).bytePtr(), 0x11).mov(Mem.at(RBX, 2).wordPtr(), 0x2233)
                .mov(Mem.at(RBX, 4).dwordPtr(), 0x44556677).mov(RAX, 0x8899_aabb_ccdd_eeffL).mov(Mem.at(RBX, 8), RAX);
        a.mov(AL, Mem.at(RBX, 0x10)).mov(Mem.abs(0x31000), AL)
                .mov(AX, Mem.at(RBX, 0x12)).mov(Mem.abs(0x31002), AX)
                .mov(EAX, Mem.at(RBX, 0x14)).mov(Mem.abs(0x31004), EAX)
                .mov(RAX, Mem.at(RBX, 0x18)).mov(Mem.abs(0x31008), RAX);
        exit(a, 0);
        try (TestVm t = boot(TinyGuest.longMode().load(a))) {
            runToExit(t);
            long base = TestOps.DEVICE_BASE;
            assertThat(t.ops().accesses().stream().filter(x -> x.kind().startsWith("mmio")).toList()).containsExactly(
                    new TestOps.Access("mmio-write", base, 1, 0x11),
                    new TestOps.Access("mmio-write", base + 2, 2, 0x2233),
                    new TestOps.Access("mmio-write", base + 4, 4, 0x44556677),
                    new TestOps.Access("mmio-write", base + 8, 8, 0x8899_aabb_ccdd_eeffL),
                    new TestOps.Access("mmio-read", base + 0x10, 1, 0xa1),
                    new TestOps.Access("mmio-read", base + 0x12, 2, 0xb2b1),
                    new TestOps.Access("mmio-read", base + 0x14, 4, 0xc4c3c2c1L),
                    new TestOps.Access("mmio-read", base + 0x18, 8, 0xd8d7d6d5d4d3d2d1L));
            assertThat(t.memory().readU8(0x31000)).isEqualTo(0xa1);
            assertThat(t.memory().readU16(0x31002)).isEqualTo(0xb2b1);
            assertThat(t.memory().readU32(0x31004)).isEqualTo(0xc4c3c2c1L);
            assertThat(t.memory().readU64(0x31008)).isEqualTo(0xd8d7d6d5d4d3d2d1L);
        }
    }
}
