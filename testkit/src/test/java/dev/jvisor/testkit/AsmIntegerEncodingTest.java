package dev.jvisor.testkit;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Compares the encodings of {@link AsmInteger}'s instructions (bit operations, double shifts,
 * exchanges, conversions, string compares, counted branches, raw SSE forms) with GNU as.
 */
class AsmIntegerEncodingTest {
    private record Case(String gas, Consumer<Asm> java) {
    }

    private static Case c(String gas, Consumer<Asm> java) {
        return new Case(gas, java);
    }

    @Test
    void longModeEncodingsMatchGnuAs() throws Exception {
        check(64, List.of(
                c("bt eax, ecx", a -> a.bt(EAX, ECX)),
                c("bts qword ptr [rbx+8], r9", a -> a.bts(Mem.at(RBX, 8), R9)),
                c("btr word ptr [rsi], ax", a -> a.btr(Mem.at(RSI), AX)),
                c("btc r12, rdx", a -> a.btc(R12, RDX)),
                c("bt dword ptr [rax], 31", a -> a.bt(Mem.at(RAX).dwordPtr(), 31)),
                c("bts r8w, 3", a -> a.bts(R8W, 3)),
                c("btr rax, 63", a -> a.btr(RAX, 63)),
                c("btc qword ptr [rsp], 200", a -> a.btc(Mem.at(RSP).qwordPtr(), 200)),
                c("bsf eax, ebx", a -> a.bsf(EAX, EBX)),
                c("bsr r10, qword ptr [r11]", a -> a.bsr(R10, Mem.at(R11))),
                c("bsf cx, word ptr [rdi]", a -> a.bsf(CX, Mem.at(RDI))),
                c("bswap eax", a -> a.bswap(EAX)),
                c("bswap r13", a -> a.bswap(R13)),
                c("bswap r9d", a -> a.bswap(R9D)),
                c("rcl al, 1", a -> a.rcl(AL, 1)),
                c("rcr r9w, 5", a -> a.rcr(R9W, 5)),
                c("rcl qword ptr [rax], cl", a -> a.rcl(Mem.at(RAX).qwordPtr(), CL)),
                c("rcr bh, cl", a -> a.rcr(BH, CL)),
                c("rol edx, cl", a -> a.rol(EDX, CL)),
                c("ror sil, cl", a -> a.ror(SIL, CL)),
                c("shld eax, ebx, 4", a -> a.shld(EAX, EBX, 4)),
                c("shrd r8, r9, cl", a -> a.shrd(R8, R9, CL)),
                c("shld word ptr [rbx], dx, cl", a -> a.shld(Mem.at(RBX), DX, CL)),
                c("shrd qword ptr [rsi+0x100], rax, 63", a -> a.shrd(Mem.at(RSI, 0x100), RAX, 63)),
                c("xchg eax, ecx", a -> a.xchg(EAX, ECX)),
                c("xchg rdx, rax", a -> a.xchg(RDX, RAX)),
                c("xchg r8, rax", a -> a.xchg(R8, RAX)),
                c("xchg ax, bx", a -> a.xchg(AX, BX)),
                c("xchg eax, eax", a -> a.xchg(EAX, EAX)),
                c("xchg al, bl", a -> a.xchg(AL, BL)),
                c("xchg ah, ch", a -> a.xchg(AH, CH)),
                c("xchg ecx, edx", a -> a.xchg(ECX, EDX)),
                c("xchg r10b, dil", a -> a.xchg(R10B, DIL)),
                c("xchg [rbx], rcx", a -> a.xchg(Mem.at(RBX), RCX)),
                c("xchg esi, [rdi+4]", a -> a.xchg(ESI, Mem.at(RDI, 4))),
                c("xadd [rax], ebx", a -> a.xadd(Mem.at(RAX), EBX)),
                c("xadd r8b, r9b", a -> a.xadd(R8B, R9B)),
                c("lock xadd qword ptr [rsp], rdx", a -> a.lock().xadd(Mem.at(RSP), RDX)),
                c("cmpxchg ecx, edx", a -> a.cmpxchg(ECX, EDX)),
                c("cmpxchg byte ptr [rbx], ah", a -> a.cmpxchg(Mem.at(RBX), AH)),
                c("cmpxchg r9w, r10w", a -> a.cmpxchg(R9W, R10W)),
                c("cmpxchg8b qword ptr [rdi]", a -> a.cmpxchg8b(Mem.at(RDI))),
                c("cmpxchg16b xmmword ptr [r8]", a -> a.cmpxchg16b(Mem.at(R8))),
                c("cbw\ncwde\ncdqe\ncwd\ncdq\ncqo", a -> a.cbw().cwde().cdqe().cwd().cdq().cqo()),
                c("lahf\nsahf", a -> a.lahf().sahf()),
                c("cmpsb\ncmpsw\ncmpsd\ncmpsq", a -> a.cmps(8).cmps(16).cmps(32).cmps(64)),
                c("scasb\nscasw\nscasd\nscasq", a -> a.scas(8).scas(16).scas(32).scas(64)),
                c("repe cmpsb\nrepne scasq", a -> a.repe().cmps(8).repne().scas(64)),
                c("{L}a: nop\nloope {L}a\nloopne {L}a\njrcxz {L}a\njecxz {L}a", a -> {
                    Label l = a.here();
                    a.nop().loope(l).loopne(l).jcxz(l).jcxzOtherAddressSize(l);
                }),
                c("pxor xmm1, xmm2", a -> a.modrmInstruction(0x66, false, new int[]{0x0f, 0xef}, 1, Reg.gpr(2, 32), 0, 0)),
                c("movdqu xmm9, [rax]", a -> a.modrmInstruction(0xf3, false, new int[]{0x0f, 0x6f}, 9, Mem.at(RAX), 0, 0)),
                c("addsd xmm0, xmm15", a -> a.modrmInstruction(0xf2, false, new int[]{0x0f, 0x58}, 0, Reg.gpr(15, 32), 0, 0)),
                c("cvtsi2sd xmm3, rax", a -> a.modrmInstruction(0xf2, true, new int[]{0x0f, 0x2a}, 3, RAX, 0, 0)),
                c("pshufd xmm4, [rbx+r12*2+8], 0x1b",
                        a -> a.modrmInstruction(0x66, false, new int[]{0x0f, 0x70}, 4, Mem.at(RBX, R12, 2, 8), 1, 0x1b)),
                c("movaps xmm12, xmm13", a -> a.modrmInstruction(0, false, new int[]{0x0f, 0x28}, 12, Reg.gpr(13, 32), 0, 0)),
                c("ldmxcsr [rsp]", a -> a.modrmInstruction(0, false, new int[]{0x0f, 0xae}, 2, Mem.at(RSP), 0, 0))));
    }

    @Test
    void legacyModeEncodingsMatchGnuAs() throws Exception {
        check(32, List.of(
                c("bt eax, 5", a -> a.bt(EAX, 5)),
                c("bsr ax, bx", a -> a.bsr(AX, BX)),
                c("shld [ebx], eax, cl", a -> a.shld(Mem.at(EBX), EAX, CL)),
                c("xchg eax, esi", a -> a.xchg(EAX, ESI)),
                c("cbw\ncwde\ncwd\ncdq", a -> a.cbw().cwde().cwd().cdq()),
                c("{L}a: jecxz {L}a\njcxz {L}a", a -> {
                    Label l = a.here();
                    a.jcxz(l).jcxzOtherAddressSize(l);
                })));
        check(16, List.of(
                c("cbw\ncwde\ncwd\ncdq", a -> a.cbw().cwde().cwd().cdq()),
                c("bts word ptr [bx+si], 7", a -> a.bts(Mem.at(BX, SI).wordPtr(), 7)),
                c("cmpsw\nscasb", a -> a.cmps(16).scas(8))));
    }

    @Test
    void badOperandsAreRejected() {
        Asm a = new Asm(64);
        assertThatThrownBy(() -> a.bt(AL, CL)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("byte");
        assertThatThrownBy(() -> a.bswap(AX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.shld(EAX, EBX, DL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.xchg(Mem.at(RAX), Mem.at(RBX))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.modrmInstruction(0x67, false, new int[]{0x0f, 0x10}, 0, RAX, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.modrmInstruction(0, false, new int[]{0x0f, 0x10}, 0, AH, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(32).cmpxchg16b(Mem.at(EAX))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Asm(32).cdqe()).isInstanceOf(IllegalStateException.class);
        assertThat(a.size()).as("nothing emitted by rejected instructions").isZero();
    }

    private static void check(int bits, List<Case> cases) throws Exception {
        assumeThat(GnuAs.available()).as("GNU as/objcopy/nm (binutils) are needed to check encodings").isTrue();
        List<String> gas = new ArrayList<>();
        for (Case c : cases) {
            gas.add(c.gas);
        }
        List<byte[]> expected = GnuAs.assemble(bits, gas);
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < cases.size(); i++) {
            Asm a = new Asm(bits);
            cases.get(i).java.accept(a);
            soft.assertThat(GnuAs.hex(a.assemble()))
                    .as("%d-bit '%s'", bits, cases.get(i).gas.replace('\n', ';'))
                    .isEqualTo(GnuAs.hex(expected.get(i)));
        }
        soft.assertAll();
    }
}
