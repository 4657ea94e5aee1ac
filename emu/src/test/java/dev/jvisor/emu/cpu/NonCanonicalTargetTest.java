package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A control transfer to a non-canonical address raises #GP(0) at the transfer itself, which has no
 * other effect (SDM Vol. 2 JMP/CALL/RET/Jcc/LOOP/IRET, "IF tempRIP is not canonical THEN #GP(0)";
 * Vol. 3A §6.14.1 for gates): the exception frame holds the branch's own RIP and the stack pointer
 * and counter it started with. The emulator used to load the target into RIP and fault on the next
 * fetch, so handlers saw the non-canonical target as the faulting RIP, CALL had already pushed and
 * RET, LOOP and IRET had already popped or counted (found while fuzzing guest code). Each case
 * runs interpreted and with every block compiled.
 */
class NonCanonicalTargetTest {
    private static final long NON_CANONICAL = 0x0000_8000_0000_0000L;
    private static final long HANDLER = 0x20000;
    private static final long STACK = 0x6_0000;
    /** The last page below the canonical hole, mapped to physical 0x30000 by {@link #mapTopPage}. */
    private static final long TOP_PAGE = 0x0000_7fff_ffff_f000L;
    private static final long TOP_CODE = TOP_PAGE + 0xff0;

    /** What the #GP handler saw: error code, the frame's RIP and RSP, and RCX at the fault. */
    private record Fault(long errorCode, long rip, long rsp, long rcx) {
    }

    private static Fault run(Asm code, boolean compiled, java.util.function.Consumer<CpuHarness> setup) {
        // #GP handler: pop the error code into RBX, the frame's RIP into R8 and its RSP into R9.
        Asm h = new Asm(64, HANDLER);
        h.pop(RBX).pop(R8).pop(RDX).pop(RDX).pop(R9);
        h.mov(AL, 0).out(TestEnvironment.STOP, AL);
        TinyGuest g = TinyGuest.longMode().load(code).load(h).entry(code.origin()).interruptGate(13, HANDLER);
        try (CpuHarness x = new CpuHarness(g)) {
            setup.accept(x);
            x.cpu.r[4] = STACK;
            VcpuExit exit = compiled ? x.executor.runWithEveryBlockCompiled() : x.run();
            assertThat(exit).isEqualTo(VcpuExit.KICKED);
            assertThat(x.env.stopValue).as("the #GP handler ran").isEqualTo(0);
            return new Fault(x.reg(3), x.reg(8), x.reg(9), x.reg(1));
        }
    }

    private static Fault run(Asm code, boolean compiled) {
        return run(code, compiled, h -> {
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void jmpThroughARegister(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, NON_CANONICAL);
        long at = a.addressOf(a.here());
        a.db(0xff, 0xe0); // jmp rax
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.errorCode()).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void callThroughARegisterPushesNothing(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, NON_CANONICAL);
        long at = a.addressOf(a.here());
        a.db(0xff, 0xd0); // call rax
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.rsp()).isEqualTo(STACK);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void retPopsNothing(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, NON_CANONICAL).push(RAX);
        long at = a.addressOf(a.here());
        a.db(0xc3); // ret
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.rsp()).isEqualTo(STACK - 8);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void retImmediatePopsNothing(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, NON_CANONICAL).push(RAX);
        long at = a.addressOf(a.here());
        a.db(0xc2, 0x08, 0x00); // ret 8
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.rsp()).isEqualTo(STACK - 8);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void iretqRestoresEverything(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        // An IRETQ frame: SS, RSP, RFLAGS, CS, RIP (non-canonical).
        a.push(TinyGuest.KERNEL_DS).push(STACK - 0x100).push(2).push(TinyGuest.KERNEL_CS64);
        a.mov(RAX, NON_CANONICAL).push(RAX);
        long at = a.addressOf(a.here());
        a.db(0x48, 0xcf); // iretq
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.rsp()).isEqualTo(STACK - 40);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void farJumpIntoSixtyFourBitCode(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        // m16:64 far pointer at 0x21000: offset, then the 64-bit kernel code selector.
        a.mov(RBX, 0x21000).mov(RAX, NON_CANONICAL).mov(Mem.at(RBX), RAX);
        a.mov(Mem.at(RBX, 8).wordPtr(), TinyGuest.KERNEL_CS64);
        long at = a.addressOf(a.here());
        a.db(0x48, 0xff, 0x2b); // jmp far [rbx] (REX.W: m16:64)
        Fault f = run(a, compiled);
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.errorCode()).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void interruptGateWithANonCanonicalHandler(boolean compiled) {
        Asm a = new Asm(64, TinyGuest.CODE);
        long at = a.addressOf(a.here());
        a.db(0xcd, 0x40); // int 0x40, whose gate points at a non-canonical offset
        Fault f = run(a, compiled, h -> {
            long gate = TinyGuest.IDT + 0x40 * 16L;
            // Present 64-bit interrupt gate, DPL 0, kernel code, offset 0x0000_8000_0000_0000.
            h.memory.writeU64(gate, (long) TinyGuest.KERNEL_CS64 << 16 | 0x8eL << 40);
            h.memory.writeU64(gate + 8, NON_CANONICAL >>> 32);
        });
        assertThat(f.rip()).isEqualTo(at);
        assertThat(f.errorCode()).as("#GP(EXT), EXT = 0 for INT n").isZero();
        assertThat(f.rsp()).isEqualTo(STACK);
    }

    /** Maps the last canonical low page (0x7FFF_FFFF_F000) to physical 0x30000, tables at 0x40000. */
    private static void mapTopPage(CpuHarness h) {
        long pdpt = 0x40000, pd = 0x41000, pt = 0x42000;
        h.memory.writeU64(TinyGuest.PML4 + 255 * 8, pdpt | 7);
        h.memory.writeU64(pdpt + 511 * 8, pd | 7);
        h.memory.writeU64(pd + 511 * 8, pt | 7);
        h.memory.writeU64(pt + 511 * 8, 0x30000 | 7);
    }

    /** Relative branches at the top of the canonical low half whose targets lie past it. */
    @ParameterizedTest
    @ValueSource(strings = {
        "eb10",         // jmp +0x10
        "e910000000",   // jmp +0x10 (rel32)
        "7410",         // jz +0x10, taken (ZF set below)
        "e810000000",   // call +0x10: nothing pushed
        "e210"})        // loop +0x10: RCX not decremented
    void relativeBranchesPastTheCanonicalBoundary(String hex) {
        for (boolean compiled : new boolean[] {false, true}) {
            byte[] branch = java.util.HexFormat.of().parseHex(hex);
            Asm a = new Asm(64, TinyGuest.CODE);
            a.mov(RCX, 5).xor(EAX, EAX); // ZF = 1
            a.mov(RDX, TOP_CODE).jmp(RDX);
            Fault f = run(a, compiled, h -> {
                mapTopPage(h);
                h.memory.write(0x30000 + 0xff0, branch);
            });
            assertThat(f.rip()).as("%s, compiled %b", hex, compiled).isEqualTo(TOP_CODE);
            assertThat(f.rsp()).as("%s, compiled %b", hex, compiled).isEqualTo(STACK);
            assertThat(f.rcx()).as("%s, compiled %b", hex, compiled).isEqualTo(5);
        }
    }
}
