package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.CtrlReg;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

/**
 * The x87 control side on whole guests: pending unmasked exceptions reported as #MF at the next
 * waiting instruction (and not at non-waiting ones), CR0.NE, #NM from CR0.TS/EM and FWAIT's TS+MP,
 * the FSTENV/FSAVE images in 64-bit, 32-bit protected, 16-bit and real-mode layouts with FIP, FCS,
 * FOP, FDP and FDS, FLDCW/FNSTCW, FNCLEX, FNINIT, FNSTSW AX, and the encodings that must raise #UD.
 */
class X87ControlTest {
    static final long DATA = 0x200000;
    static final long HANDLER = TinyGuest.CODE + 0x1000;

    private static Asm stop(Asm a) {
        return a.mov(AL, 0).out(TestEnvironment.STOP, AL);
    }

    @Test
    void unmaskedExceptionIsReportedAtTheNextWaitingInstruction() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RSI, DATA);
        a.db(0xdb, 0xe3); // fninit
        a.db(0xd9, 0x2e); // fldcw [rsi]  (0x037b: zero divide unmasked)
        a.db(0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9); // fld1; fldz; fdivp st1, st0 -> 1/0
        a.db(0xdf, 0xe0); // fnstsw ax: non-waiting, no fault
        a.mov(R8, RAX);
        a.db(0xd9, 0x7e, 0x08); // fnstcw [rsi+8]: non-waiting
        a.mov(R9, 1);
        Label faulting = a.here();
        a.db(0xd9, 0xe8); // fld1: waiting -> #MF
        a.mov(R10, 1);
        stop(a);
        Asm h = new Asm(64, HANDLER);
        h.mov(R11, Mem.at(RSP)); // the pushed RIP
        h.db(0xdf, 0xe0).mov(R12, RAX); // fnstsw ax
        h.db(0xdb, 0xe2).db(0xdf, 0xe0).mov(R13, RAX); // fnclex; fnstsw ax
        stop(h);
        try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a).load(h).interruptGate(16, HANDLER))) {
            c.memory.writeU16(DATA, 0x037b);
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(c.reg(8) & 0xffff).as("B, TOP = 6, ES and ZE after the division").isEqualTo(0xb084);
            assertThat(c.reg(9)).isEqualTo(1);
            assertThat(c.reg(10)).as("the faulting FLD1 did not complete").isZero();
            assertThat(c.reg(11)).isEqualTo(a.addressOf(faulting));
            assertThat(c.reg(13) & 0x80ff).as("FNCLEX clears the flags, ES and B").isZero();
            assertThat(c.cpu.fpu.top).as("FDIVP did not pop, FLD1 did not push").isEqualTo(6);
        }
    }

    @Test
    void withoutCr0NeThereIsNoMf() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, CtrlReg.CR0).and(RAX, ~0x20L).mov(CtrlReg.CR0, RAX); // clear CR0.NE
        a.mov(RSI, DATA);
        a.db(0xdb, 0xe3, 0xd9, 0x2e); // fninit; fldcw [rsi]
        a.db(0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9); // 1/0 with ZE unmasked
        a.db(0x9b, 0xd9, 0xe8); // fwait; fld1
        a.mov(R10, 1);
        stop(a);
        try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a))) {
            c.memory.writeU16(DATA, 0x037b);
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(c.reg(10)).isEqualTo(1);
            assertThat(c.cpu.fpu.statusWord() & 0x80).as("still pending").isEqualTo(0x80);
        }
    }

    @Test
    void taskSwitchedAndEmulationRaiseDeviceNotAvailable() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RAX, CtrlReg.CR0).or(RAX, 8).mov(CtrlReg.CR0, RAX); // CR0.TS
        a.mov(R15, 0);
        a.db(0x9b); // fwait: TS with MP -> #NM
        a.db(0xdb, 0xe3, 0xd9, 0xe8); // fninit; fld1 (after CLTS in the handler)
        a.mov(RAX, CtrlReg.CR0).or(RAX, 4).mov(CtrlReg.CR0, RAX); // CR0.EM
        a.db(0x9b); // fwait ignores EM
        a.db(0xd9, 0xe8); // fld1 -> #NM again
        stop(a);
        Asm h = new Asm(64, HANDLER);
        h.add(R15, 1);
        h.mov(RAX, CtrlReg.CR0).and(RAX, ~0xcL).mov(CtrlReg.CR0, RAX); // clear TS and EM
        h.iretq();
        try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a).load(h).interruptGate(7, HANDLER))) {
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(c.reg(15)).as("#NM for FWAIT with TS and for FLD1 with EM").isEqualTo(2);
            assertThat(c.cpu.fpu.top).as("two FLD1 after FNINIT").isEqualTo(6);
        }
    }

    @Test
    void fnstenvIn64BitModeRecordsTheLastInstructionAndOperand() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RSI, DATA);
        a.db(0xd9, 0x2e); // fldcw [rsi]: control instructions leave FIP alone
        Label load = a.here();
        a.db(0xdd, 0x46, 0x08); // fld qword [rsi+8]
        a.db(0xd9, 0x76, 0x20); // fnstenv [rsi+32]
        a.db(0xd9, 0x7e, 0x40); // fnstcw [rsi+64]
        stop(a);
        try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a))) {
            c.memory.writeU16(DATA, 0x0240); // PC = 53 bits, all exceptions unmasked
            c.memory.writeU64(DATA + 8, Double.doubleToRawLongBits(-2.0));
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            long env = DATA + 32;
            assertThat(c.memory.readU32(env)).isEqualTo(0xffff_0240L);
            assertThat(c.memory.readU32(env + 4)).isEqualTo(0xffff_3800L); // TOP = 7
            assertThat(c.memory.readU32(env + 8)).isEqualTo(0xffff_3fffL); // ST(0) valid
            assertThat(c.memory.readU32(env + 12)).as("FIP").isEqualTo(a.addressOf(load));
            assertThat(c.memory.readU32(env + 16)).as("FOP:FCS").isEqualTo((0x546L << 16) | TinyGuest.KERNEL_CS64);
            assertThat(c.memory.readU32(env + 20)).as("FDP").isEqualTo(DATA + 8);
            assertThat(c.memory.readU32(env + 24)).as("FDS").isEqualTo(0xffff_0000L | TinyGuest.KERNEL_DS);
            assertThat(c.memory.readU16(DATA + 64)).as("FNSTENV masked all exceptions").isEqualTo(0x027f);
        }
    }

    @Test
    void fsaveAndFrstorRoundTripIn32BitAnd16BitLayouts() {
        Asm a = new Asm(32, TinyGuest.CODE);
        a.mov(ESI, (int) DATA);
        a.db(0xd9, 0xeb, 0xd9, 0xe8, 0xd9, 0xee); // fldpi; fld1; fldz
        a.db(0xdd, 0x36); // fnsave [esi]: 108 bytes, then FNINIT
        a.db(0xdf, 0xe0).mov(EBX, EAX); // fnstsw ax -> after FNINIT: 0
        a.db(0xdd, 0x26); // frstor [esi]
        a.db(0x66, 0xdd, 0x76, 0x70); // o16 fnsave [esi+112]: 94 bytes
        a.db(0x66, 0xdd, 0x66, 0x70); // o16 frstor [esi+112]
        a.db(0x66, 0xd9, 0x76, 0x70); // o16 fnstenv [esi+112]
        stop(a);
        try (CpuHarness c = new CpuHarness(TinyGuest.protectedMode().load(a))) {
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(c.reg(3) & 0xffff).isZero();
            assertThat(c.memory.readU32(DATA + 4) & 0xffff).isEqualTo(0x2800); // TOP = 5
            assertThat(c.memory.readU32(DATA + 8) & 0xffff).as("zero, valid, valid").isEqualTo(0x07ff | (1 << 10));
            assertThat(c.memory.readU64(DATA + 28)).isEqualTo(0); // ST(0) = +0
            assertThat(c.memory.readU64(DATA + 48)).isEqualTo(0xc90f_daa2_2168_c235L); // ST(2) = pi
            assertThat(c.memory.readU16(DATA + 56)).isEqualTo(0x4000);
            long env16 = DATA + 112;
            assertThat(c.memory.readU16(env16)).isEqualTo(0x037f);
            assertThat(c.memory.readU16(env16 + 2)).isEqualTo(0x2800);
            assertThat(c.memory.readU16(env16 + 4)).isEqualTo(0x07ff | (1 << 10));
            assertThat(c.memory.readU16(env16 + 8)).as("FCS").isEqualTo(TinyGuest.KERNEL_CS32);
            assertThat(c.cpu.fpu.top).isEqualTo(5);
            assertThat(c.cpu.fpu.mant[7]).isEqualTo(0xc90f_daa2_2168_c235L);
        }
    }

    @Test
    void realModeEnvironmentHoldsLinearPointersAndTheOpcode() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        a.mov(SI, 0x2000);
        Label load = a.here();
        a.db(0xd9, 0x44, 0x04); // fld dword [si+4]
        a.db(0xd9, 0x34); // fnstenv [si] (16-bit real-mode layout)
        a.db(0x66, 0xd9, 0x74, 0x20); // o32 fnstenv [si+32] (32-bit real-mode layout)
        stop(a);
        try (CpuHarness c = new CpuHarness(TinyGuest.realMode().load(a))) {
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            long ip = a.addressOf(load); // CS = 0: the linear address is the offset
            assertThat(c.memory.readU16(0x2000 + 6)).isEqualTo((int) ip & 0xffff);
            assertThat(c.memory.readU16(0x2000 + 8)).isEqualTo((int) (ip >>> 16 & 0xf) << 12 | 0x144);
            assertThat(c.memory.readU16(0x2000 + 10)).isEqualTo(0x2004);
            assertThat(c.memory.readU32(0x2020 + 12)).isEqualTo(0xffff_0000L | (ip & 0xffff));
            assertThat(c.memory.readU32(0x2020 + 16)).isEqualTo((ip >>> 16) << 12 | 0x144);
            assertThat(c.memory.readU32(0x2020 + 20)).isEqualTo(0xffff_2004L);
        }
    }

    @Test
    void controlWordStatusWordAndInit() {
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RSI, DATA);
        a.db(0xd9, 0x2e, 0xd9, 0x7e, 0x02); // fldcw [rsi]; fnstcw [rsi+2]
        a.db(0xd9, 0xe8, 0xd9, 0xee, 0xd8, 0xd9); // fld1; fldz; fcomp st1: 0 < 1
        a.db(0xdf, 0xe0, 0x9e); // fnstsw ax; sahf -> CF from C0
        a.set(dev.jvisor.testkit.Cond.B, BL);
        a.db(0xdb, 0xe3, 0xd9, 0x7e, 0x04); // fninit; fnstcw [rsi+4]
        a.db(0xdf, 0xe0).mov(R8, RAX);
        stop(a);
        try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a))) {
            c.memory.writeU16(DATA, 0xf07f);
            assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(c.memory.readU16(DATA + 2)).as("reserved bits 13-15 read as 0").isEqualTo(0x107f);
            assertThat(c.reg(3) & 0xff).as("C0 (less) became CF").isEqualTo(1);
            assertThat(c.memory.readU16(DATA + 4)).isEqualTo(0x037f);
            assertThat(c.reg(8) & 0xffff).isZero();
            assertThat(c.cpu.fpu.ftw).isEqualTo(0xffff);
        }
    }

    @Test
    void invalidEncodingsRaiseUndefinedOpcode() {
        int[][] encodings = {
            {0xf0, 0xd9, 0xe8}, // LOCK FLD1
            {0xdb, 0x0e}, // FISTTP m32 (SSE3)
            {0xdd, 0x0e}, // FISTTP m64
            {0xdf, 0x0e}, // FISTTP m16
            {0xd9, 0xd1}, {0xd9, 0xe2}, {0xd9, 0xef}, {0xd9, 0x0e}, // reserved D9 slots
            {0xda, 0xe8}, {0xdb, 0xe5}, {0xdb, 0xf8}, {0xdd, 0xf0}, {0xde, 0xd8}, {0xdf, 0xe1}, {0xdf, 0xf8},
            {0xdb, 0x26}, {0xdd, 0x2e},
        };
        for (int[] enc : encodings) {
            Asm a = new Asm(64, TinyGuest.CODE);
            a.mov(RSI, DATA).mov(R15, 0);
            a.db(enc);
            a.mov(R15, 1);
            stop(a);
            Asm h = new Asm(64, HANDLER);
            h.mov(R15, 6);
            stop(h);
            try (CpuHarness c = new CpuHarness(TinyGuest.longMode().load(a).load(h).interruptGate(6, HANDLER))) {
                assertThat(c.run()).isEqualTo(VcpuExit.KICKED);
                assertThat(c.reg(15)).as("#UD for %s", java.util.Arrays.toString(enc)).isEqualTo(6);
            }
        }
    }
}
