package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.cpu.X87Harness.Ext;
import dev.jvisor.emu.cpu.X87Harness.Result;
import org.junit.jupiter.api.Test;

/**
 * Comparisons and classification: FCOM/FUCOM and friends set C3/C2/C0, FCOMI/FUCOMI set ZF/PF/CF
 * (clearing OF/SF/AF), ordered forms raise IE for QNaNs while unordered ones only for SNaNs, pops
 * happen only when no unmasked exception stops the instruction, and FXAM reports every class.
 */
class X87CompareTest {
    static final int IE = 1, DE = 2, SF = 0x40, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, CC = C0 | C1 | C2 | C3;
    static final long CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SFLAG = 0x80, OF = 0x800;
    static final Ext QNAN = Ext.of(0x7fff, 0xc000_0000_0000_0001L), SNAN = Ext.of(0x7fff, 0x8000_0000_0000_0001L);

    private static int cc(Ext a, Ext b, int... code) {
        return run(state().fsw(C1).st(a, b).code(code)).fsw() & CC;
    }

    @Test
    void fcomSetsConditionCodes() {
        assertThat(cc(TWO, ONE, 0xd8, 0xd1)).isZero(); // greater
        assertThat(cc(ONE, TWO, 0xd8, 0xd1)).isEqualTo(C0); // less
        assertThat(cc(ZERO, NEG_ZERO, 0xd8, 0xd1)).isEqualTo(C3); // equal
        assertThat(cc(NEG_INF, Ext.of(0xffff - 1, -1L), 0xd8, 0xd1)).isEqualTo(C0);
        Result q = run(state().st(ONE, QNAN).code(0xd8, 0xd1));
        assertThat(q.fsw() & (CC | IE)).as("FCOM: unordered and invalid").isEqualTo(C3 | C2 | C0 | IE);
        Result u = run(state().st(ONE, QNAN).code(0xdd, 0xe1));
        assertThat(u.fsw() & (CC | IE)).as("FUCOM: unordered, quiet").isEqualTo(C3 | C2 | C0);
        assertThat(run(state().st(ONE, SNAN).code(0xdd, 0xe1)).fsw() & IE).as("FUCOM with an SNaN").isEqualTo(IE);
        assertThat(run(state().st(Ext.of(0, 1), ONE).code(0xd8, 0xd1)).fsw() & (CC | DE)).isEqualTo(C0 | DE);
    }

    @Test
    void memoryAndIntegerComparands() {
        assertThat(run(state().st(ext(2.5)).memLong(Float.floatToRawIntBits(2.5f)).code(0xd8, 0x16)).fsw() & CC).isEqualTo(C3);
        assertThat(run(state().st(ext(2.5)).memLong(Double.doubleToRawLongBits(3.0)).code(0xdc, 0x16)).fsw() & CC).isEqualTo(C0);
        assertThat(run(state().st(ext(-7)).memLong(0xfff9).code(0xde, 0x16)).fsw() & CC).isEqualTo(C3); // ficom word -7
        Result p = run(state().st(ext(8), ONE).memLong(7).code(0xda, 0x1e)); // ficomp dword 7
        assertThat(p.fsw() & CC).isZero();
        assertThat(p.st(0)).isEqualTo(ONE);
    }

    @Test
    void poppingForms() {
        Result p = run(state().st(ONE, TWO, THREE).code(0xd8, 0xd9)); // fcomp st1
        assertThat(p.top()).isEqualTo(1);
        assertThat(p.st(0)).isEqualTo(TWO);
        Result pp = run(state().st(ONE, TWO, THREE).code(0xde, 0xd9)); // fcompp
        assertThat(pp.top()).isEqualTo(2);
        assertThat(pp.st(0)).isEqualTo(THREE);
        assertThat(pp.fsw() & CC).isEqualTo(C0);
        Result upp = run(state().st(QNAN, TWO, THREE).code(0xda, 0xe9)); // fucompp
        assertThat(upp.top()).isEqualTo(2);
        assertThat(upp.fsw() & (CC | IE)).isEqualTo(C3 | C2 | C0);
        // An unmasked invalid operation still reports "unordered" but pops nothing.
        Result stopped = run(state().fcw(0x37e).st(SNAN, TWO, THREE).code(0xde, 0xd9));
        assertThat(stopped.top()).isZero();
        assertThat(stopped.fsw() & (CC | IE | 0x80)).isEqualTo(C3 | C2 | C0 | IE | 0x80);
    }

    @Test
    void fcomiSetsEflags() {
        // STC first, so a cleared CF proves the write; OF/SF/AF are always cleared.
        assertThat(run(state().st(TWO, ONE).code(0xf9, 0xdb, 0xf1)).flags()).isZero();
        assertThat(run(state().st(ONE, TWO).code(0xdb, 0xf1)).flags()).isEqualTo(CF);
        assertThat(run(state().st(TWO, TWO).code(0xdb, 0xf1)).flags()).isEqualTo(ZF);
        Result un = run(state().st(QNAN, TWO).code(0xdb, 0xf1)); // fcomi: QNaN is invalid
        assertThat(un.flags()).isEqualTo(ZF | PF | CF);
        assertThat(un.fsw() & IE).isEqualTo(IE);
        Result uq = run(state().st(QNAN, TWO).code(0xdb, 0xe9)); // fucomi: quiet
        assertThat(uq.flags()).isEqualTo(ZF | PF | CF);
        assertThat(uq.fsw() & IE).isZero();
        Result pop = run(state().fsw(C1 | C3).st(ONE, TWO).code(0xdf, 0xf1)); // fcomip pops, C1 and C3 unchanged
        assertThat(pop.top()).isEqualTo(1);
        assertThat(pop.fsw() & CC).isEqualTo(C1 | C3);
        assertThat(run(state().st(ONE, TWO).code(0xdf, 0xe9)).top()).isEqualTo(1); // fucomip
        Result empty = run(state().st(ONE, TWO).empty(1).code(0xdb, 0xf1));
        assertThat(empty.flags()).isEqualTo(ZF | PF | CF);
        assertThat(empty.fsw() & (IE | SF | C1)).isEqualTo(IE | SF);
    }

    @Test
    void ftstComparesWithZero() {
        assertThat(run(state().st(ext(-1e-300)).code(0xd9, 0xe4)).fsw() & CC).isEqualTo(C0);
        assertThat(run(state().st(NEG_ZERO).code(0xd9, 0xe4)).fsw() & CC).isEqualTo(C3);
        assertThat(run(state().st(INF).code(0xd9, 0xe4)).fsw() & CC).isZero();
        assertThat(run(state().st(QNAN).code(0xd9, 0xe4)).fsw() & (CC | IE)).isEqualTo(C3 | C2 | C0 | IE);
    }

    @Test
    void fxamClassifiesEverything() {
        assertThat(fxam(ONE)).isEqualTo(C2);
        assertThat(fxam(neg(ONE))).isEqualTo(C2 | C1);
        assertThat(fxam(NEG_INF)).isEqualTo(C2 | C0 | C1);
        assertThat(fxam(QNAN)).isEqualTo(C0);
        assertThat(fxam(SNAN)).isEqualTo(C0);
        assertThat(fxam(NEG_ZERO)).isEqualTo(C3 | C1);
        assertThat(fxam(Ext.of(0, 5))).as("denormal").isEqualTo(C3 | C2);
        assertThat(fxam(Ext.of(0, 1L << 63))).as("pseudo-denormal").isEqualTo(C3 | C2);
        assertThat(fxam(Ext.of(0x4000, 5))).as("unnormal").isZero();
        assertThat(fxam(Ext.of(0x7fff, 0))).as("pseudo-infinity").isZero();
        Result empty = run(state().st(Ext.of(0x8000, 0)).empty(0).code(0xd9, 0xe5));
        assertThat(empty.fsw() & CC).as("empty; C1 is the register's sign").isEqualTo(C3 | C0 | C1);
        assertThat(empty.fsw() & 0x3f).isZero();
    }

    private static int fxam(Ext v) {
        return run(state().st(v).code(0xd9, 0xe5)).fsw() & CC;
    }
}
