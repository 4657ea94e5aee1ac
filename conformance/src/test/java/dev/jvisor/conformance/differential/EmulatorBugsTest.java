package dev.jvisor.conformance.differential;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.conformance.Backend;
import dev.jvisor.testkit.Mem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Emulator bugs the differential tests found, each pinned down by its smallest case, with the
 * result the Intel SDM requires and native execution shows. Every test runs on both back ends: the
 * KVM run proves the expectation on real hardware (skipped without /dev/kvm), the emulator run
 * fails until the bug is fixed, and stays as a regression test afterwards. {@link KnownEmulatorBug}
 * keeps the open ones out of the random runs meanwhile.
 */
class EmulatorBugsTest {
    private static final int UD = 6, SS = 12;

    /** Compares in hex, so a wrong upper half is easy to see. */
    private static void assertRegister(CaseResult r, dev.jvisor.testkit.Reg reg, String what, long expected) {
        assertThat("%016x".formatted(r.gpr(reg))).as(what).isEqualTo("%016x".formatted(expected));
    }

    /**
     * SDM Vol. 1 §3.4.1.1: a 32-bit destination is zero-extended to 64 bits. A shift whose masked
     * count is 0 still writes its 32-bit destination, so the upper half is cleared (bytes 41 C1 EF 00).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void shiftByZeroStillZeroExtendsA32BitRegister(Backend backend) {
        CaseResult r = SingleCase.of("shr r15d, 0", a -> a.shr(R15D, 0)).reg(R15, 0x0000_0080_2a07_e764L).run(backend);
        assertRegister(r, R15, "r15 after shr r15d, 0", 0x2a07_e764L);
    }

    /** The same for ROL by CL with CL = 32, which masks to 0 (bytes D3 C1, CL = 0x20). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void rotateByMaskedZeroCountStillZeroExtends(Backend backend) {
        CaseResult r = SingleCase.of("rol ecx, cl", a -> a.rol(ECX, CL)).reg(RCX, 0xffff_ffff_0000_0020L).run(backend);
        assertRegister(r, RCX, "rcx after rol ecx, cl with cl = 32", 0x20L);
    }

    /** And for SHLD/SHRD: a count of 32 masks to 0 for 32-bit operands (bytes 0F A4 F6 20). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void doubleShiftByMaskedZeroCountStillZeroExtends(Backend backend) {
        CaseResult r = SingleCase.of("shld esi, esi, 32", a -> a.shld(ESI, ESI, 32)).reg(RSI, 0x95a7_9d2b_ffff_fff9L).run(backend);
        assertRegister(r, RSI, "rsi after shld esi, esi, 32", 0xffff_fff9L);
    }

    /**
     * MOVZX/MOVSX name their destination in ModRM.reg as a 16/32/64-bit register; only the source
     * is a byte register. ModRM.reg = 6 without REX is ESI, not DH (bytes 0F B6 F0).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void movzxIntoEsiWritesEsiNotDh(Backend backend) {
        CaseResult r = SingleCase.of("movzx esi, al", a -> a.movzx(ESI, AL))
                .reg(RAX, 0x1234_5678_9abc_de80L).reg(RSI, -1).reg(RDX, 0x1111_2222_3333_4444L).run(backend);
        assertRegister(r, RSI, "rsi", 0x80L);
        assertRegister(r, RDX, "rdx is not an operand", 0x1111_2222_3333_4444L);
    }

    /** The same with a 16-bit destination and a high-byte source: MOVSX BP, AH (bytes 66 0F BE EC). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void movsxIntoBpWritesBpNotCh(Backend backend) {
        CaseResult r = SingleCase.of("movsx bp, ah", a -> a.movsx(BP, AH))
                .reg(RAX, 0x0000_0000_0000_f300L).reg(RBP, 0x7777_7777_7777_7777L).reg(RCX, 0x5555_5555_5555_5555L).run(backend);
        assertRegister(r, RBP, "rbp", 0x7777_7777_7777_fff3L);
        assertRegister(r, RCX, "rcx is not an operand", 0x5555_5555_5555_5555L);
    }

    /** SDM Vol. 2A §2.1.1: LOCK with a register destination raises #UD (bytes F0 01 C8). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void lockWithARegisterDestinationIsUndefined(Backend backend) {
        CaseResult r = SingleCase.of("lock add eax, ecx", a -> a.lock().add(EAX, ECX)).reg(RAX, 1).reg(RCX, 2).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(UD);
        assertRegister(r, RAX, "rax unchanged", 1);
    }

    /** LOCK is only for the read-modify-write instructions the SDM lists; MOV is not one (bytes F0 89 03). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void lockOnMovIsUndefined(Backend backend) {
        CaseResult r = SingleCase.of("lock mov [rbx], eax", a -> a.lock().mov(Mem.at(RBX), EAX))
                .reg(RBX, SingleCase.SLOT + 0x100).reg(RAX, 0x1234_5678).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(UD);
        assertThat(r.memory(0x100, 4)).as("memory unchanged").isZero();
    }

    /** Nor is CMP, which only reads its destination (bytes F0 39 03). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void lockOnCmpIsUndefined(Backend backend) {
        CaseResult r = SingleCase.of("lock cmp [rbx], eax", a -> a.lock().cmp(Mem.at(RBX), EAX))
                .reg(RBX, SingleCase.SLOT + 0x100).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(UD);
    }

    /**
     * SDM Vol. 3A §6.15 (#SS) and Vol. 1 §3.7.4.1: an access with RBP or RSP as base register is a
     * stack access, so a non-canonical address raises #SS(0), not #GP(0) (bytes 48 8B 45 00).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void nonCanonicalStackAccessRaisesStackFault(Backend backend) {
        CaseResult r = SingleCase.of("mov rax, [rbp]", a -> a.mov(RAX, Mem.at(RBP))).reg(RBP, 0x8000_0000_0000_0000L).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(SS);
        assertThat(r.errorCode()).as("error code").isZero();
    }

    /**
     * IEEE 754-2008 §6.3: x + y with both operands +0 is +0 in every rounding mode; only an exact
     * zero sum of operands with opposite signs is -0 when rounding toward negative infinity.
     * ADDPS with MXCSR.RC = 01 (bytes 0F 58 2B, MXCSR 0x3f80, both operands +0).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void addOfPositiveZerosIsPositiveZeroWhenRoundingDown(Backend backend) {
        CaseResult r = SingleCase.of("addps xmm5, [rbx]", a -> a.modrmInstruction(0, false, new int[]{0x0f, 0x58}, 5, Mem.at(RBX), 0, 0))
                .reg(RBX, SingleCase.SLOT + 0x100).xmm(5, 0, 0).mxcsr(0x3f80).run(backend);
        assertThat("%016x_%016x".formatted(r.state().xmmHigh(5), r.state().xmmLow(5))).as("xmm5: four +0.0f")
                .isEqualTo("%016x_%016x".formatted(0, 0));
    }

    /** The same for doubles: ADDSD (bytes F2 0F 58 2B). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void scalarDoubleAddOfPositiveZerosIsPositiveZeroWhenRoundingDown(Backend backend) {
        CaseResult r = SingleCase.of("addsd xmm5, [rbx]", a -> a.modrmInstruction(0xf2, false, new int[]{0x0f, 0x58}, 5, Mem.at(RBX), 0, 0))
                .reg(RBX, SingleCase.SLOT + 0x100).xmm(5, 0, 0x1234).mxcsr(0x3f80).run(backend);
        assertThat("%016x".formatted(r.state().xmmLow(5))).as("xmm5 low: +0.0").isEqualTo("%016x".formatted(0));
        assertThat(r.state().xmmHigh(5)).as("upper half kept").isEqualTo(0x1234);
    }

    /**
     * A read-modify-write instruction reads its destination with write intent, so a #PF on that
     * read reports a write (error code bit 1, SDM Vol. 3A §4.7): ADD [RBX], RAX on a not-present
     * page gives error code 0x6 (write, user), not 0x4 (bytes 48 01 03).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void readModifyWriteFaultReportsAWrite(Backend backend) {
        long guard = SingleCase.SLOT + CaseBuilder.SLOT_SIZE;
        CaseResult r = SingleCase.of("add [rbx], rax", a -> a.add(Mem.at(RBX), RAX)).reg(RBX, guard + 0x10).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(14);
        assertThat(r.errorCode()).as("#PF error code").isEqualTo(0x6);
        assertThat(r.cr2()).as("cr2").isEqualTo(guard + 0x10);
    }

    /** The same for CMPXCHG8B, whose read is always a locked read for write (bytes 0F C7 0B). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void compareExchangeFaultReportsAWrite(Backend backend) {
        long guard = SingleCase.SLOT + CaseBuilder.SLOT_SIZE;
        CaseResult r = SingleCase.of("cmpxchg8b [rbx]", a -> a.cmpxchg8b(Mem.at(RBX))).reg(RBX, guard).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(14);
        assertThat(r.errorCode()).as("#PF error code").isEqualTo(0x6);
    }

    /**
     * Only RSP and RBP as base register make an access a stack access (SDM Vol. 1 §3.7.4.1); R12 and
     * R13 share their low three encoding bits but use DS, so a non-canonical [R13] raises #GP(0),
     * not #SS(0) (bytes 4D 89 6D 00: mov [r13], r13).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void nonCanonicalAccessThroughR13IsNotAStackAccess(Backend backend) {
        CaseResult r = SingleCase.of("mov [r13], r13", a -> a.mov(Mem.at(R13), R13)).reg(R13, 0x1234_0000_0000_0e3bL).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(13);
        assertThat(r.errorCode()).as("error code").isZero();
    }

    /** The same for an R12 base, encoded through a SIB byte like RSP (bytes 49 8B 04 24: mov rax, [r12]). */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void nonCanonicalAccessThroughR12IsNotAStackAccess(Backend backend) {
        CaseResult r = SingleCase.of("mov rax, [r12]", a -> a.mov(RAX, Mem.at(R12))).reg(R12, 0x8000_0000_0000_0000L).run(backend);
        assertThat(r.vector()).as("exception vector").isEqualTo(13);
    }
}
