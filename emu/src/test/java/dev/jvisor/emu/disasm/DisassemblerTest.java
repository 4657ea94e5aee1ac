package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Known encodings and their objdump text, without needing objdump installed. */
class DisassemblerTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "64 | 4889d8                 | mov    %rbx,%rax",
            "64 | f0830424 00            | lock addl $0x0,(%rsp)",
            "64 | 662e0f1f840000000000   | cs nopw 0x0(%rax,%rax,1)",
            "64 | f3c3                   | repz ret",
            "64 | f348ab                 | rep stos %rax,%es:(%rdi)",
            "64 | 3effe0                 | notrack jmp *%rax",
            "64 | 48b80102030405060708   | movabs $0x807060504030201,%rax",
            "64 | 648b042528000000       | mov    %fs:0x28,%eax",
            "64 | 0f01f8                 | swapgs",
            "64 | f30f1efa               | endbr64",
            "64 | c5f877                 | vzeroupper",
            "64 | c4e27918c0             | vbroadcastss %xmm0,%xmm0",
            "64 | de e9                  | fsubrp %st,%st(1)",
            "64 | 9bdfe0                 | fstsw  %ax",
            "64 | 0f2000                 | mov    %cr0,%rax",
            "64 | 4863c0                 | movslq %eax,%rax",
            "64 | 06                     | (bad)",
            "32 | 8d742600               | lea    0x0(%esi,%eiz,1),%esi",
            "32 | 2e8b00                 | mov    %cs:(%eax),%eax",
            "32 | 9a010000000200         | lcall  $0x2,$0x1",
            "32 | 0f07                   | sysret",
            "16 | 66a5                   | movsl  %ds:(%si),%es:(%di)",
            "16 | 0f0100                 | sgdtw  (%bx,%si)",
            "16 | 8b1e3412               | mov    0x1234,%bx"})
    void decodesLikeObjdump(int bits, String hex, String text) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));
        DecodedInstruction insn = new Disassembler(CodeSize.ofBits(bits)).decode(code, 0);
        assertThat(insn.text()).isEqualTo(text);
        assertThat(insn.length()).isEqualTo(text.equals("(bad)") ? 1 : code.length);
    }

    @Test
    void relativeTargetsAndRipCommentsUseTheInstructionAddress() {
        Disassembler dis = new Disassembler(CodeSize.BITS_64);
        assertThat(dis.decode(HexFormat.of().parseHex("e800000000"), 0xffffffff81000014L).text())
                .isEqualTo("call   0xffffffff81000019");
        assertThat(dis.decode(HexFormat.of().parseHex("488b0510000000"), 0xffffffff81000019L).text())
                .isEqualTo("mov    0x10(%rip),%rax        # 0xffffffff81000030");
    }

    @Test
    void truncatedInstructionsAreBadAndConsumeWhatIsThere() {
        DecodedInstruction insn = new Disassembler(CodeSize.BITS_64).decode(HexFormat.of().parseHex("48b80102"), 0);
        assertThat(insn.isBad()).isTrue();
        assertThat(insn.length()).isEqualTo(4);
    }

    @Test
    void decodeAllWalksConsecutiveInstructions() {
        List<DecodedInstruction> all = new Disassembler(CodeSize.BITS_64)
                .decodeAll(HexFormat.of().parseHex("90c3cc"), 0, 3, 0x1000);
        assertThat(all).extracting(DecodedInstruction::text).containsExactly("nop", "ret", "int3");
        assertThat(all).extracting(DecodedInstruction::address).containsExactly(0x1000L, 0x1001L, 0x1002L);
    }

    @Test
    void badArgumentsAreRejected() {
        Disassembler dis = new Disassembler(CodeSize.BITS_32);
        assertThatThrownBy(() -> dis.decode(new byte[4], 2, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> dis.decode(new byte[0], 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CodeSize.ofBits(8)).isInstanceOf(IllegalArgumentException.class);
    }
}
