package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import org.junit.jupiter.api.Test;

/** FXSAVE/FXRSTOR area layout in both formats, round trips, alignment and MXCSR checks; LDMXCSR/STMXCSR. */
class FxsaveTest extends SseTest {
    private static final int AREA = 0x100;

    /** A recognisable x87/SSE state: TOP=5, ST(0)=1.0, ST(1)=-0, ST(2)=NaN-free denormal, rest empty. */
    private static void setState(Cpu c) {
        X87 f = c.fpu;
        f.fcw = 0x027f;
        f.setStatusWord(0x2800 | 0x21); // TOP=5, PE and IE flags
        for (int i = 0; i < 8; i++) {
            f.mant[i] = 0x1111_1111_1111_1111L * (i + 1);
            f.se[i] = 0x4000 + i;
        }
        f.mant[5] = 1L << 63; // ST(0) = 1.0
        f.se[5] = 0x3fff;
        f.mant[6] = 0; // ST(1) = -0
        f.se[6] = 0x8000;
        f.mant[7] = 1; // ST(2) denormal
        f.se[7] = 0;
        f.ftw = 0xffff & ~(3 << 10) & ~(3 << 12) & ~(3 << 14) | (1 << 12) | (2 << 14); // R5 valid, R6 zero, R7 special
        f.lastOpcode = 0x5d9;
        f.lastIp = 0x1234_5678_9abc_def0L;
        f.lastDp = 0x0fed_cba9_8765_4321L;
        c.mxcsr = 0x9fa5; // FTZ, masks, RC=0, some flags, DAZ off... plus DE|PE|IE
        for (int i = 0; i < 32; i++) {
            c.xmm[i] = 0x0101_0101_0101_0101L * (i + 1);
        }
    }

    private static void fill(CpuHarness h, int value) {
        h.memory.fill(DATA + AREA, 512, (byte) value);
    }

    @Test
    void fxsave64Layout() {
        Asm a = code();
        rmW(a, 0, 0xae, 0, AREA);       // fxsave64 [rbx+AREA]
        try (CpuHarness h = run(a, s -> {
            setState(s.cpu);
            fill(s, 0xee);
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(h.memory.readU16(DATA + AREA)).isEqualTo(0x027f);
            assertThat(h.memory.readU16(DATA + AREA + 2)).isEqualTo(0x2821);
            assertThat(h.memory.readU8(DATA + AREA + 4)).isEqualTo(0xe0); // R5..R7 not empty
            assertThat(h.memory.readU8(DATA + AREA + 5)).isZero();
            assertThat(h.memory.readU16(DATA + AREA + 6)).isEqualTo(0x5d9);
            assertThat(get64(h, AREA + 8)).isEqualTo(0x1234_5678_9abc_def0L);
            assertThat(get64(h, AREA + 16)).isEqualTo(0x0fed_cba9_8765_4321L);
            assertThat(get32(h, AREA + 24)).isEqualTo(0x9fa5);
            assertThat(get32(h, AREA + 28)).isEqualTo(0xffff);
            // ST(i) is physical register (5 + i) & 7.
            for (int i = 0; i < 8; i++) {
                int p = (5 + i) & 7;
                assertThat(get64(h, AREA + 32 + 16 * i)).isEqualTo(h.cpu.fpu.mant[p]);
                assertThat(h.memory.readU16(DATA + AREA + 40 + 16 * i)).isEqualTo(h.cpu.fpu.se[p]);
                assertThat(h.memory.readU16(DATA + AREA + 42 + 16 * i)).isZero();
                assertThat(get32(h, AREA + 44 + 16 * i)).isZero();
            }
            assertThat(get64(h, AREA + 32)).isEqualTo(1L << 63);
            for (int i = 0; i < 32; i++) {
                assertThat(get64(h, AREA + 160 + 8 * i)).isEqualTo(0x0101_0101_0101_0101L * (i + 1));
            }
            assertThat(get64(h, AREA + 416)).isEqualTo(0xeeee_eeee_eeee_eeeeL); // reserved area untouched
            assertThat(get64(h, AREA + 504)).isEqualTo(0xeeee_eeee_eeee_eeeeL);
        }
    }

    @Test
    void fxsaveWithoutRexWUsesThe32BitPointerFormat() {
        Asm a = code();
        rm(a, 0, 0xae, 0, AREA);        // fxsave [rbx+AREA]
        try (CpuHarness h = run(a, s -> {
            setState(s.cpu);
            fill(s, 0xee);
        })) {
            assertThat(get64(h, AREA + 8)).isEqualTo(0x9abc_def0L); // FIP, FCS=0
            assertThat(get64(h, AREA + 16)).isEqualTo(0x8765_4321L); // FDP, FDS=0
            assertThat(get64(h, AREA + 160 + 8 * 31)).isEqualTo(0x0101_0101_0101_0101L * 32); // XMM15 in 64-bit mode
        }
    }

    @Test
    void protectedModeSavesXmm0To7Only() {
        Asm a = code32();
        rm(a, 0, 0xae, 0, AREA);
        try (CpuHarness h = run(a, s -> {
            setState(s.cpu);
            fill(s, 0xee);
        })) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(get64(h, AREA + 160 + 8 * 15)).isEqualTo(0x0101_0101_0101_0101L * 16); // XMM7 high
            assertThat(get64(h, AREA + 288)).isEqualTo(0xeeee_eeee_eeee_eeeeL); // XMM8 slot untouched
            assertThat(get64(h, AREA + 8)).isEqualTo(0x9abc_def0L);
        }
    }

    @Test
    void fxrstorRoundTrip() {
        Asm a = code();
        rmW(a, 0, 0xae, 0, AREA);       // fxsave64 [rbx+AREA]
        rmW(a, 0, 0xae, 1, 0x400);      // fxrstor64 [rbx+0x400]: an all-zero state
        rr(a, 0, 0xef, 0, 0);           // pxor mm0, mm0
        rmW(a, 0, 0xae, 0, 0x600);      // fxsave64 [rbx+0x600]: check the clobbered state
        rmW(a, 0, 0xae, 1, AREA);       // fxrstor64 [rbx+AREA]
        try (CpuHarness h = run(a, s -> {
            setState(s.cpu);
            s.memory.fill(DATA + 0x400, 512, (byte) 0);
            put32(s, 0x400 + 24, 0x1f80);
        })) {
            assertThat(h.memory.readU16(DATA + 0x600)).isZero(); // FCW from the zero area
            assertThat(h.memory.readU8(DATA + 0x600 + 4)).isEqualTo(0xff); // pxor mm0 tagged all valid
            assertThat(get64(h, 0x600 + 160 + 8 * 3)).isZero();
            X87 f = h.cpu.fpu;
            assertThat(f.fcw).isEqualTo(0x027f);
            assertThat(f.statusWord()).isEqualTo(0x2821);
            assertThat(f.top).isEqualTo(5);
            // Abridged tags restore the full tag word by content: R5 valid, R6 zero, R7 special.
            assertThat(f.fullTags()).isEqualTo(0x03ff | (1 << 12) | (2 << 14)); // FXRSTOR reclassifies valid registers
            assertThat(f.mant[7]).isEqualTo(1);
            assertThat(f.lastIp).isEqualTo(0x1234_5678_9abc_def0L);
            assertThat(f.lastOpcode).isEqualTo(0x5d9);
            assertThat(h.cpu.mxcsr).isEqualTo(0x9fa5);
            assertThat(lo(h, 3)).isEqualTo(0x0101_0101_0101_0101L * 7);
            assertThat(hi(h, 12)).isEqualTo(0x0101_0101_0101_0101L * 26);
        }
    }

    @Test
    void misalignmentAndReservedMxcsrBitsRaiseGp() {
        Asm a = code();
        rm(a, 0, 0xae, 0, AREA + 8);    // fxsave [rbx+AREA+8]: not 16-byte aligned
        try (CpuHarness h = run(a)) {
            assertThat(vector(h)).isEqualTo(CpuException.GP);
        }
        Asm b = code();
        rm(b, 0, 0xae, 1, AREA);        // fxrstor with MXCSR bit 16 set
        try (CpuHarness h = run(b, s -> {
            put32(s, AREA + 24, 0x1_1f80);
            s.cpu.fpu.fcw = 0x37f;
            put32(s, AREA, 0x0000_0000);
        })) {
            assertThat(vector(h)).isEqualTo(CpuException.GP);
            assertThat(h.cpu.fpu.fcw).isEqualTo(0x37f); // nothing restored
        }
        Asm c = code();
        rm(c, 0, 0xae, 2, 0);           // ldmxcsr with bit 31 set
        try (CpuHarness h = run(c, s -> put32(s, 0, 0x8000_1f80))) {
            assertThat(vector(h)).isEqualTo(CpuException.GP);
            assertThat(h.cpu.mxcsr).isEqualTo(0x1f80);
        }
    }

    @Test
    void ldmxcsrAndStmxcsr() {
        Asm a = code();
        rm(a, 0, 0xae, 2, 0);           // ldmxcsr [rbx]
        rm(a, 0, 0xae, 3, 4);           // stmxcsr [rbx+4]
        try (CpuHarness h = run(a, s -> put32(s, 0, 0xffff))) {
            assertThat(h.cpu.mxcsr).isEqualTo(0xffff); // every defined bit, DAZ included, is writable
            assertThat(get32(h, 4)).isEqualTo(0xffff);
        }
    }

    @Test
    void controlRegisterChecks() {
        Asm a = code();
        rm(a, 0, 0xae, 0, AREA);        // fxsave
        try (CpuHarness h = run(a, s -> s.cpu.cr0 |= ControlRegisters.CR0_EM)) {
            assertThat(vector(h)).isEqualTo(CpuException.NM); // FXSAVE: #NM for EM as well as TS
        }
        Asm b = code();
        rm(b, 0, 0xae, 1, AREA);        // fxrstor
        try (CpuHarness h = run(b, s -> s.cpu.cr0 |= ControlRegisters.CR0_TS)) {
            assertThat(vector(h)).isEqualTo(CpuException.NM);
        }
        Asm c = code();
        rm(c, 0, 0xae, 3, 0);           // stmxcsr
        try (CpuHarness h = run(c, s -> s.cpu.cr4 &= ~ControlRegisters.CR4_OSFXSR)) {
            assertThat(vector(h)).isEqualTo(CpuException.UD);
        }
        Asm d = code();
        rm(d, 0, 0xae, 0, AREA);        // fxsave works without CR4.OSFXSR
        try (CpuHarness h = run(d, s -> s.cpu.cr4 &= ~ControlRegisters.CR4_OSFXSR)) {
            assertThat(vector(h)).isEqualTo(-1);
            assertThat(get32(h, AREA + 24)).isEqualTo(0x1f80);
        }
    }
}
