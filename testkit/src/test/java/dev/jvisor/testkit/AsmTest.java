package dev.jvisor.testkit;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Labels, data, addresses and operand validation of {@link Asm} (encodings: {@link AsmEncodingTest}). */
class AsmTest {
    @Test
    void forwardReferencesArePatchedRelativeToTheInstructionEnd() {
        Asm a = new Asm(64, 0x10000);
        Label end = a.newLabel("end");
        a.jmp(end).nop().nop().bind(end).hlt();
        // E9 rel32 = 2: skip the two NOPs after the 5-byte jump.
        assertThat(a.assemble()).containsExactly(0xe9, 2, 0, 0, 0, 0x90, 0x90, 0xf4);
        assertThat(a.addressOf(end)).isEqualTo(0x10007);
    }

    @Test
    void backwardJumpsInReachAreShort() {
        Asm a = new Asm(32);
        Label top = a.here();
        a.nop().j(Cond.NZ, top);
        assertThat(a.assemble()).containsExactly(0x90, 0x75, 0xfd);
    }

    @Test
    void labelAddressesIncludeTheOrigin() {
        Asm a = new Asm(16, 0x7c00);
        Label msg = a.newLabel("msg");
        a.mov(SI, msg).bits(64).mov(RAX, msg).bits(32).jmpFar(0x08, msg).bind(msg).dd(msg).dw(msg);
        byte[] code = a.assemble();
        long m = a.addressOf(msg);
        assertThat(m).isEqualTo(0x7c00 + 3 + 10 + 7);
        assertThat(code).startsWith(0xbe, (int) (m & 0xff), (int) (m >> 8));
        assertThat(code[3]).isEqualTo((byte) 0x48);
        assertThat(le(code, 5, 8)).isEqualTo(m);
        assertThat(code[13]).isEqualTo((byte) 0xea);
        assertThat(le(code, 14, 4)).isEqualTo(m);
        assertThat(le(code, 18, 2)).isEqualTo(0x08);
        assertThat(le(code, 20, 4)).isEqualTo(m);
        assertThat(le(code, 24, 2)).isEqualTo(m);
    }

    @Test
    void farJumpFromRealModeCarriesA32BitOffset() {
        Asm a = new Asm(16, 0x8000);
        Label pm = a.newLabel("pm");
        a.jmpFarDword(0x08, pm).bits(32).bind(pm).hlt();
        assertThat(a.assemble()).containsExactly(0x66, 0xea, 0x08, 0x80, 0, 0, 0x08, 0, 0xf4);
    }

    @Test
    void intWithVector3IsTheTwoByteForm() {
        assertThat(new Asm(64).intn(3).int3().assemble()).containsExactly(0xcd, 3, 0xcc);
    }

    @Test
    void alignPadsRelativeToTheGuestAddress() {
        Asm a = new Asm(32, 0x1003);
        a.align(8).db(1).align(4, 0);
        assertThat(a.assemble()).containsExactly(0x90, 0x90, 0x90, 0x90, 0x90, 1, 0, 0, 0);
        assertThat(a.address()).isEqualTo(0x100c);
    }

    @Test
    void unresolvableReferencesAreReported() {
        Asm unbound = new Asm(32);
        unbound.call(unbound.newLabel("nowhere"));
        assertThatThrownBy(unbound::assemble).isInstanceOf(IllegalStateException.class).hasMessageContaining("nowhere");

        Asm far = new Asm(32);
        Label l = far.newLabel("far");
        far.jmpShort(l).space(200, 0x90).bind(l);
        assertThatThrownBy(far::assemble).isInstanceOf(IllegalStateException.class).hasMessageContaining("far");

        Asm twice = new Asm(32);
        Label t = twice.here();
        assertThatThrownBy(() -> twice.bind(t)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Asm(32).jmp(t)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another assembler");
    }

    @Test
    void operandsInvalidInTheModeAreRejected() {
        assertThatThrownBy(() -> new Asm(32).mov(RAX, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("64-bit");
        assertThatThrownBy(() -> new Asm(16).inc(R8W)).isInstanceOf(IllegalStateException.class).hasMessageContaining("R8W");
        assertThatThrownBy(() -> new Asm(32).mov(EAX, Mem.rip(new Asm(32).newLabel()))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Asm(64).mov(AX, Mem.at(BX))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(64).push(EAX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(64).jmpFar(8, 0x1000)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Asm(64).push(SegReg.DS)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Asm(32).bits(20)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedOperandsAreRejected() {
        Asm a = new Asm(64);
        assertThatThrownBy(() -> a.mov(AH, R8B)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("REX");
        assertThatThrownBy(() -> a.mov(Mem.at(RAX), Mem.at(RBX))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.add(Mem.at(RAX), 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dwordPtr");
        assertThatThrownBy(() -> a.mov(EAX, BX)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mismatch");
        assertThatThrownBy(() -> a.mov(AL, 0x100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.add(RAX, 0x8000_0000L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.out(0x3f8, AL)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DX");
        assertThatThrownBy(() -> a.in(BL, 0x60)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.out(CX, AL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.mov(SegReg.CS, AX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.mov(CtrlReg.CR0, EAX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mem.at(RAX, RSP, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mem.at(RAX, RBX, 3, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mem.at(RAX, EBX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(16).mov(AX, Mem.at(BX, BP))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(64).mov(RAX, Mem.abs(0x1_0000_0000L))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Asm(64).rep().db(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void registersAreFoundByNumberAndWidth() {
        assertThat(Reg.gpr(0, 64)).isEqualTo(RAX);
        assertThat(Reg.gpr(12, 32)).isEqualTo(R12D);
        assertThat(Reg.gpr(4, 8)).isEqualTo(SPL);
        assertThat(Reg.gpr(15, 16)).isEqualTo(R15W);
        assertThat(AH.isHighByte()).isTrue();
        assertThat(SIL.needsRex()).isTrue();
        assertThat(Cond.E.negate()).isEqualTo(Cond.NE);
        assertThatThrownBy(() -> Reg.gpr(16, 64)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void memoryOperandsPrintLikeIntelSyntax() {
        assertThat(Mem.at(RBX, RCX, 4, 8).dwordPtr()).hasToString("dword ptr [rbx+rcx*4+0x8]");
        assertThat(Mem.abs(0x1000).seg(SegReg.FS)).hasToString("fs:[0x1000]");
    }

    private static long le(byte[] b, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xff);
        }
        return v;
    }
}
