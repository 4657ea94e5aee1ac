package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Availability rules (CR0.EM, CR0.TS, CR4.OSFXSR), mandatory-prefix selection, and the encodings
 * that must raise #UD because CPUID does not advertise them (SSE3, SSSE3, SSE4...) or because they
 * are invalid (LOCK, missing register/memory forms).
 */
class SseExceptionTest extends SseTest {

    private static long vectorOf(int[] bytes, Consumer<CpuHarness> setup) {
        Asm a = code();
        a.db(bytes);
        try (CpuHarness h = run(a, setup)) {
            return vector(h);
        }
    }

    private static final int[] ADDPS = {0x0f, 0x58, 0xc1};

    @Test
    void controlRegisterRules() {
        assertThat(vectorOf(ADDPS, null)).isEqualTo(-1);
        assertThat(vectorOf(ADDPS, s -> s.cpu.cr4 &= ~ControlRegisters.CR4_OSFXSR)).isEqualTo(CpuException.UD);
        assertThat(vectorOf(ADDPS, s -> s.cpu.cr0 |= ControlRegisters.CR0_EM)).isEqualTo(CpuException.UD);
        assertThat(vectorOf(ADDPS, s -> s.cpu.cr0 |= ControlRegisters.CR0_TS)).isEqualTo(CpuException.NM);
        assertThat(vectorOf(ADDPS, s -> s.cpu.cr0 |= ControlRegisters.CR0_TS | ControlRegisters.CR0_EM))
                .isEqualTo(CpuException.UD); // #UD has priority over #NM
        // MOVNTI is an integer store: no SSE state, no checks.
        assertThat(vectorOf(new int[] {0x0f, 0xc3, 0x03}, s -> s.cpu.cr0 |= ControlRegisters.CR0_TS)).isEqualTo(-1);
    }

    @Test
    void unadvertisedAndInvalidEncodingsRaiseUd() {
        int[][] encodings = {
            {0xf0, 0x0f, 0x58, 0xc1},           // LOCK addps
            {0x66, 0x0f, 0x38, 0x00, 0xc1},     // pshufb (SSSE3)
            {0x66, 0x0f, 0x3a, 0x0f, 0xc1, 1},  // palignr (SSSE3)
            {0xf2, 0x0f, 0x12, 0xc1},           // movddup (SSE3)
            {0xf3, 0x0f, 0x16, 0xc1},           // movshdup (SSE3)
            {0xf2, 0x0f, 0x7c, 0xc1},           // haddps (SSE3)
            {0x66, 0x0f, 0xd0, 0xc1},           // addsubpd (SSE3)
            {0xf2, 0x0f, 0xf0, 0x03},           // lddqu (SSE3)
            {0x66, 0x0f, 0x78, 0xc0, 1, 2},     // extrq (SSE4a)
            {0x0f, 0xd6, 0xc1},                 // no 0F D6 without a prefix
            {0x66, 0x0f, 0x12, 0xc1},           // movlpd has no register form
            {0x0f, 0x2b, 0xc1},                 // movntps has no register form
            {0x0f, 0x73, 0xd9, 1},              // psrldq on MMX registers does not exist
            {0x0f, 0x71, 0xc1, 1},              // 0F 71 /0
            {0x0f, 0xc5, 0x03, 1},              // pextrw to memory is SSE4.1
            {0x0f, 0x50, 0x03},                 // movmskps from memory
            {0x66, 0x0f, 0x53, 0xc1},           // rcppd does not exist
            {0xf2, 0x0f, 0x5b, 0xc1},           // F2 0F 5B
            {0x0f, 0xe6, 0xc1},                 // 0F E6 without a prefix
            {0xf3, 0x0f, 0xdb, 0xc1},           // pand with F3
            {0x66, 0x0f, 0x77},                 // emms takes no prefix
            {0x0f, 0xff, 0xc1},                 // UD0
        };
        for (int[] e : encodings) {
            assertThat(vectorOf(e, null)).as(hex(e)).isEqualTo(CpuException.UD);
        }
        assertThat(vectorOf(new int[] {0xf3, 0x0f, 0x53, 0xc1}, null)).isEqualTo(-1); // rcpss is valid
    }

    private static String hex(int[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int b : bytes) {
            sb.append(String.format("%02x ", b));
        }
        return sb.toString().trim();
    }

    @Test
    void repeatPrefixesWinOverTheOperandSizePrefix() {
        Asm a = code();
        a.db(0x66, 0xf3, 0x0f, 0x10, 0xc1);         // movss xmm0, xmm1 (66 ignored)
        a.db(0xf3, 0x66, 0x0f, 0x10, 0xd1);         // movss xmm2, xmm1 (F3 still wins)
        a.db(0xf3, 0xf2, 0x0f, 0x10, 0xd9);         // movsd xmm3, xmm1 (the last of F2/F3)
        a.db(0x66, 0x0f, 0x10, 0xe1);               // movupd xmm4, xmm1
        try (CpuHarness h = run(a, s -> {
            for (int i = 0; i < 5; i++) {
                xmm(s, i, -1L, -1L);
            }
            xmm(s, 1, 0x1111_2222_3333_4444L, 0x5555L);
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0xffff_ffff_3333_4444L, -1L);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(0xffff_ffff_3333_4444L, -1L);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0x1111_2222_3333_4444L, -1L);
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(0x1111_2222_3333_4444L, 0x5555L);
        }
    }

    @Test
    void ripRelativeOperandsWithAnImmediate() {
        // pshufd xmm0, [rip+disp32], 0x1b: the displacement counts from the end of the instruction,
        // which is after the immediate byte.
        Asm a = code();
        Label data = a.newLabel();
        Label end = a.newLabel();
        a.jmp(end);
        a.align(16);
        a.bind(data);
        a.dd(1, 2, 3, 4);
        a.bind(end);
        long insnEnd = a.address() + 9;
        a.db(0x66, 0x0f, 0x70, 0x05).dd(a.addressOf(data) - insnEnd).db(0x1b);
        try (CpuHarness h = run(a)) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x0000_0003_0000_0004L, 0x0000_0001_0000_0002L);
        }
    }
}
