package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.cpu.X87Harness.Ext;
import dev.jvisor.emu.cpu.X87Harness.Result;
import org.junit.jupiter.api.Test;

/**
 * x87 arithmetic on the emulator, checked bit for bit: the operand forms of opcode map A.4, the
 * precision and rounding controls, exact 64-bit results, the masked responses to invalid, zero
 * divide, overflow, underflow and denormal operands, and the remainder, rounding, scaling and
 * extraction instructions. Expected values are the architectural ones (and what processors return).
 */
class X87ArithmeticTest {
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, SF = 0x40, C0 = 0x100, C1 = 0x200, C2 = 0x400,
            C3 = 0x4000;
    static final int RN = 0x000, RD = 0x400, RU = 0x800, RZ = 0xc00, PC24 = 0x000, PC53 = 0x200, PC64 = 0x300;
    static final Ext ONE_THIRD = Ext.of(0x3ffd, 0xaaaa_aaaa_aaaa_aaabL);

    private static Result exec(Ext[] st, int fcw, int... code) {
        return run(state().fcw(fcw).st(st).code(code));
    }

    @Test
    void allOperandFormsOfTheSixOperations() {
        Ext a = ext(6.0), b = ext(1.5);
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xc1).st(0)).isEqualTo(ext(7.5)); // fadd st0, st1
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xc9).st(0)).isEqualTo(ext(9.0)); // fmul st0, st1
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xe1).st(0)).isEqualTo(ext(4.5)); // fsub st0, st1
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xe9).st(0)).isEqualTo(ext(-4.5)); // fsubr st0, st1
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xf1).st(0)).isEqualTo(ext(4.0)); // fdiv st0, st1
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xd8, 0xf9).st(0)).isEqualTo(ext(0.25)); // fdivr st0, st1
        // DC forms write ST(i): DC E8+i is FSUB ST(i),ST(0) (ST(i) - ST(0)), DC E0+i FSUBR (ST(0) - ST(i)).
        Result sub = exec(new Ext[]{a, b}, 0x37f, 0xdc, 0xe9);
        assertThat(sub.st(0)).isEqualTo(a);
        assertThat(sub.st(1)).isEqualTo(ext(-4.5));
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xdc, 0xe1).st(1)).isEqualTo(ext(4.5));
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xdc, 0xf9).st(1)).isEqualTo(ext(0.25)); // fdiv st1, st0
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xdc, 0xf1).st(1)).isEqualTo(ext(4.0)); // fdivr st1, st0
        // DE forms pop: FSUBP ST(1),ST(0) leaves ST(1) - ST(0) on top.
        Result subp = exec(new Ext[]{a, b}, 0x37f, 0xde, 0xe9);
        assertThat(subp.st(0)).isEqualTo(ext(-4.5));
        assertThat(subp.top()).isEqualTo(1);
        assertThat(subp.tag(7)).as("the popped register is empty").isEqualTo(3);
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xde, 0xc1).st(0)).isEqualTo(ext(7.5)); // faddp
        assertThat(exec(new Ext[]{a, b}, 0x37f, 0xde, 0xf1).st(0)).isEqualTo(ext(4.0)); // fdivrp st1: st0/st1
    }

    @Test
    void memoryAndIntegerOperands() {
        Result m32 = run(state().st(ext(6.0)).memLong(Float.floatToRawIntBits(0.5f)).code(0xd8, 0x06)); // fadd dword [rsi]
        assertThat(m32.st(0)).isEqualTo(ext(6.5));
        Result m64 = run(state().st(ext(6.0)).memLong(Double.doubleToRawLongBits(0.1)).code(0xdc, 0x2e)); // fsubr qword
        assertThat(m64.st(0)).isEqualTo(exec(new Ext[]{ext(6.0), ext(0.1)}, 0x37f, 0xd8, 0xe9).st(0));
        assertThat(run(state().st(ext(6.0)).memLong(-3).code(0xda, 0x0e)).st(0)).isEqualTo(ext(-18.0)); // fimul dword
        assertThat(run(state().st(ext(6.0)).memLong(0xfffd).code(0xde, 0x36)).st(0)).isEqualTo(ext(-2.0)); // fidiv word -3
        assertThat(run(state().st(ext(6.0)).memLong(4).code(0xde, 0x3e)).st(0)).isEqualTo(divide(4, 6)); // fidivr word
    }

    private static Ext divide(double a, double b) {
        return exec(new Ext[]{ext(a), ext(b)}, 0x37f, 0xd8, 0xf1).st(0);
    }

    @Test
    void resultsAreExactTo64BitsAndHonourPrecisionControl() {
        Ext[] oneThree = {ext(1.0), ext(3.0)};
        Result ext64 = exec(oneThree, 0x37f, 0xd8, 0xf1);
        assertThat(ext64.st(0)).isEqualTo(ONE_THIRD);
        assertThat(ext64.fsw() & (PE | C1)).as("inexact, rounded up").isEqualTo(PE | C1);
        assertThat(exec(oneThree, 0x7f | PC53, 0xd8, 0xf1).st(0)).isEqualTo(ext(1.0 / 3));
        assertThat(exec(oneThree, 0x7f | PC24, 0xd8, 0xf1).st(0)).isEqualTo(ext(1.0f / 3));
        // 2^63 - 1 minus 1 needs all 64 significand bits: FILD m64, FLD1, FSUBP, FISTP m64.
        Result big = run(state().memLong(Long.MAX_VALUE).code(0xdf, 0x2e, 0xd9, 0xe8, 0xde, 0xe9, 0xdf, 0x3e));
        assertThat(big.memLong(0)).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(big.fsw() & 0x3f).as("exact").isZero();
    }

    @Test
    void roundingControlAppliesToEveryMode() {
        Ext[] oneThree = {ext(1.0), ext(3.0)};
        assertThat(exec(oneThree, 0x37f | RD, 0xd8, 0xf1).st(0)).isEqualTo(Ext.of(0x3ffd, 0xaaaa_aaaa_aaaa_aaaaL));
        assertThat(exec(oneThree, 0x37f | RZ, 0xd8, 0xf1).st(0)).isEqualTo(Ext.of(0x3ffd, 0xaaaa_aaaa_aaaa_aaaaL));
        assertThat(exec(oneThree, 0x37f | RU, 0xd8, 0xf1).st(0)).isEqualTo(ONE_THIRD);
        Ext[] minusOneThree = {ext(-1.0), ext(3.0)};
        assertThat(exec(minusOneThree, 0x37f | RD, 0xd8, 0xf1).st(0)).isEqualTo(neg(ONE_THIRD));
        Result up = exec(minusOneThree, 0x37f | RU, 0xd8, 0xf1);
        assertThat(up.st(0)).isEqualTo(Ext.of(0xbffd, 0xaaaa_aaaa_aaaa_aaaaL));
        assertThat(up.fsw() & C1).as("toward zero is not a round-up").isZero();
    }

    @Test
    void exactCancellationGivesPlusZeroExceptWhenRoundingDown() {
        Ext x = ext(1.25);
        assertThat(exec(new Ext[]{x, x}, 0x37f, 0xd8, 0xe1).st(0)).isEqualTo(ZERO);
        assertThat(exec(new Ext[]{x, x}, 0x37f | RD, 0xd8, 0xe1).st(0)).isEqualTo(NEG_ZERO);
        assertThat(exec(new Ext[]{NEG_ZERO, NEG_ZERO}, 0x37f, 0xd8, 0xc1).st(0)).isEqualTo(NEG_ZERO);
    }

    @Test
    void maskedInvalidOperationsGiveTheIndefinite() {
        Result infMinusInf = exec(new Ext[]{INF, INF}, 0x37f, 0xd8, 0xe1);
        assertThat(infMinusInf.st(0)).isEqualTo(INDEFINITE);
        assertThat(infMinusInf.fsw() & 0x3f).isEqualTo(IE);
        assertThat(exec(new Ext[]{ZERO, INF}, 0x37f, 0xd8, 0xc9).st(0)).isEqualTo(INDEFINITE);
        assertThat(exec(new Ext[]{ZERO, NEG_ZERO}, 0x37f, 0xd8, 0xf1).st(0)).isEqualTo(INDEFINITE);
        Result sqrtNeg = exec(new Ext[]{ext(-4.0)}, 0x37f, 0xd9, 0xfa);
        assertThat(sqrtNeg.st(0)).isEqualTo(INDEFINITE);
        assertThat(sqrtNeg.fsw() & IE).isEqualTo(IE);
        // An unsupported encoding (unnormal: integer bit clear) is invalid as well.
        assertThat(exec(new Ext[]{Ext.of(0x3fff, 0x4000_0000_0000_0000L), ONE}, 0x37f, 0xd8, 0xc1).st(0)).isEqualTo(INDEFINITE);
    }

    @Test
    void nanOperandsPropagateQuietly() {
        Ext snan = Ext.of(0x7fff, 0x8000_0000_0000_1234L), qnan = Ext.of(0xffff, 0xc000_0000_0000_0042L);
        Result s = exec(new Ext[]{snan, ONE}, 0x37f, 0xd8, 0xc1);
        assertThat(s.st(0)).as("SNaN quieted").isEqualTo(Ext.of(0x7fff, 0xc000_0000_0000_1234L));
        assertThat(s.fsw() & IE).isEqualTo(IE);
        Result q = exec(new Ext[]{ONE, qnan}, 0x37f, 0xd8, 0xc9);
        assertThat(q.st(0)).isEqualTo(qnan);
        assertThat(q.fsw() & 0x3f).as("a QNaN raises nothing").isZero();
        // Two NaNs: the larger significand wins; a QNaN beats an SNaN.
        Ext q2 = Ext.of(0x7fff, 0xc000_0000_0000_0099L);
        assertThat(exec(new Ext[]{qnan, q2}, 0x37f, 0xd8, 0xc1).st(0)).isEqualTo(q2);
        assertThat(exec(new Ext[]{Ext.of(0x7fff, 0xbfff_0000_0000_0000L), qnan}, 0x37f, 0xd8, 0xc1).st(0)).isEqualTo(qnan);
    }

    @Test
    void zeroDivideOverflowUnderflowAndDenormals() {
        Result z = exec(new Ext[]{ext(-3.0), ZERO}, 0x37f, 0xd8, 0xf1);
        assertThat(z.st(0)).isEqualTo(NEG_INF);
        assertThat(z.fsw() & 0x3f).isEqualTo(ZE);
        Ext max = Ext.of(0x7ffe, -1L);
        Result over = exec(new Ext[]{max, TWO}, 0x37f, 0xd8, 0xc9);
        assertThat(over.st(0)).isEqualTo(INF);
        assertThat(over.fsw() & (0x3f | C1)).isEqualTo(OE | PE | C1);
        Result overRz = exec(new Ext[]{max, TWO}, 0x37f | RZ, 0xd8, 0xc9);
        assertThat(overRz.st(0)).as("toward zero: the largest finite").isEqualTo(max);
        // The smallest normal halved is an exact denormal: no underflow flag when exact and masked.
        Ext minNormal = Ext.of(0x0001, 1L << 63);
        Result half = exec(new Ext[]{minNormal, TWO}, 0x37f, 0xd8, 0xf1);
        assertThat(half.st(0)).isEqualTo(Ext.of(0, 1L << 62));
        assertThat(half.fsw() & 0x3f).isZero();
        Result tiny = exec(new Ext[]{Ext.of(0x0001, 0xc000_0000_0000_0001L), Ext.of(0x3ffe, 1L << 63)}, 0x37f, 0xd8, 0xc9);
        assertThat(tiny.st(0)).isEqualTo(Ext.of(0, 0x6000_0000_0000_0000L)); // the last bit is rounded off
        assertThat(tiny.fsw() & 0x3f).isEqualTo(UE | PE);
        Result den = exec(new Ext[]{Ext.of(0, 1L << 62), ONE}, 0x37f, 0xd8, 0xc9);
        assertThat(den.st(0)).as("denormal operands are computed exactly").isEqualTo(Ext.of(0, 1L << 62));
        assertThat(den.fsw() & 0x3f).isEqualTo(DE);
    }

    @Test
    void unmaskedOverflowDeliversTheRebiasedResult() {
        Ext max = Ext.of(0x7ffe, -1L);
        Result r = exec(new Ext[]{max, TWO}, 0x377, 0xd8, 0xc9); // OE unmasked
        assertThat(r.st(0)).isEqualTo(Ext.of(0x7fff - 24576, -1L)); // 2^16385 (1 - 2^-64) with the exponent - 24576
        assertThat(r.fsw() & 0xff).isEqualTo(0x80 | OE);
        assertThat(r.fsw() & 0x8000).as("busy mirrors ES").isEqualTo(0x8000);
        Result d = exec(new Ext[]{ONE, ZERO}, 0x37b, 0xd8, 0xf1); // ZE unmasked: no result
        assertThat(d.st(0)).isEqualTo(ONE);
        assertThat(d.fsw() & 0xff).isEqualTo(0x80 | ZE);
    }

    @Test
    void squareRootIsCorrectlyRounded() {
        Result r = exec(new Ext[]{TWO}, 0x37f, 0xd9, 0xfa);
        assertThat(r.st(0)).isEqualTo(Ext.of(0x3fff, 0xb504_f333_f9de_6484L));
        assertThat(r.fsw() & 0x3f).isEqualTo(PE);
        assertThat(exec(new Ext[]{TWO}, 0x37f | RU, 0xd9, 0xfa).st(0)).isEqualTo(Ext.of(0x3fff, 0xb504_f333_f9de_6485L));
        assertThat(exec(new Ext[]{ext(0.5625)}, 0x37f, 0xd9, 0xfa).st(0)).isEqualTo(ext(0.75));
        assertThat(exec(new Ext[]{NEG_ZERO}, 0x37f, 0xd9, 0xfa).st(0)).isEqualTo(NEG_ZERO);
        assertThat(exec(new Ext[]{TWO}, 0x7f | PC53, 0xd9, 0xfa).st(0)).isEqualTo(ext(Math.sqrt(2)));
    }

    @Test
    void partialRemainderReportsQuotientBits() {
        Result r = exec(new Ext[]{ext(17), ext(5)}, 0x37f, 0xd9, 0xf8); // fprem: 17 = 3*5 + 2
        assertThat(r.st(0)).isEqualTo(ext(2));
        assertThat(r.fsw() & (C0 | C1 | C2 | C3)).isEqualTo(C3 | C1); // Q = 3: Q2=0 (C0), Q1=1 (C3), Q0=1 (C1)
        Result ieee = exec(new Ext[]{ext(18), ext(5)}, 0x37f, 0xd9, 0xf5); // fprem1: 18 = 4*5 - 2
        assertThat(ieee.st(0)).isEqualTo(ext(-2));
        assertThat(ieee.fsw() & (C0 | C1 | C2 | C3)).isEqualTo(C0);
        Result neg = exec(new Ext[]{ext(-17), ext(5)}, 0x37f, 0xd9, 0xf8);
        assertThat(neg.st(0)).as("the remainder keeps the dividend's sign").isEqualTo(ext(-2));
        Result partial = exec(new Ext[]{Ext.of(0x3fff + 100, 0xc90f_daa2_2168_c235L), ONE_THIRD}, 0x37f, 0xd9, 0xf8);
        assertThat(partial.fsw() & (C0 | C1 | C2 | C3)).as("incomplete reduction").isEqualTo(C2);
        assertThat(partial.st(0).se() - 0x3ffd).as("exponent difference cut to 64").isLessThanOrEqualTo(64).isGreaterThan(32);
        assertThat(exec(new Ext[]{INF, ONE}, 0x37f, 0xd9, 0xf8).st(0)).isEqualTo(INDEFINITE);
        assertThat(exec(new Ext[]{ext(7.5), INF}, 0x37f, 0xd9, 0xf8).st(0)).isEqualTo(ext(7.5));
    }

    @Test
    void roundToIntegerFollowsRoundingControl() {
        Ext[] v = {ext(2.5)};
        assertThat(exec(v, 0x37f | RN, 0xd9, 0xfc).st(0)).isEqualTo(ext(2));
        assertThat(exec(v, 0x37f | RU, 0xd9, 0xfc).st(0)).isEqualTo(ext(3));
        assertThat(exec(v, 0x37f | RD, 0xd9, 0xfc).st(0)).isEqualTo(ext(2));
        assertThat(exec(new Ext[]{ext(-2.5)}, 0x37f | RD, 0xd9, 0xfc).st(0)).isEqualTo(ext(-3));
        assertThat(exec(new Ext[]{ext(-0.25)}, 0x37f | RZ, 0xd9, 0xfc).st(0)).isEqualTo(NEG_ZERO);
        Result r = exec(new Ext[]{ext(3.5)}, 0x37f, 0xd9, 0xfc);
        assertThat(r.st(0)).isEqualTo(ext(4));
        assertThat(r.fsw() & (PE | C1)).isEqualTo(PE | C1);
        assertThat(exec(new Ext[]{ext(1e30)}, 0x37f, 0xd9, 0xfc).fsw() & PE).as("already an integer").isZero();
    }

    @Test
    void scaleAndExtract() {
        assertThat(exec(new Ext[]{ext(1.5), ext(3.9)}, 0x37f, 0xd9, 0xfd).st(0)).isEqualTo(ext(12)); // 1.5 * 2^3
        assertThat(exec(new Ext[]{ext(1.5), ext(-2.7)}, 0x37f, 0xd9, 0xfd).st(0)).isEqualTo(ext(0.375));
        assertThat(exec(new Ext[]{ZERO, INF}, 0x37f, 0xd9, 0xfd).st(0)).isEqualTo(INDEFINITE);
        assertThat(exec(new Ext[]{ext(5), NEG_INF}, 0x37f, 0xd9, 0xfd).st(0)).isEqualTo(ZERO);
        Result x = exec(new Ext[]{ext(-12)}, 0x37f, 0xd9, 0xf4);
        assertThat(x.st(0)).as("significand").isEqualTo(ext(-1.5));
        assertThat(x.st(1)).as("exponent").isEqualTo(ext(3));
        Result z = exec(new Ext[]{NEG_ZERO}, 0x37f, 0xd9, 0xf4);
        assertThat(z.st(0)).isEqualTo(NEG_ZERO);
        assertThat(z.st(1)).isEqualTo(NEG_INF);
        assertThat(z.fsw() & ZE).isEqualTo(ZE);
    }

    @Test
    void signChangesTouchOnlyTheSignBit() {
        Ext snan = Ext.of(0x7fff, 0x8000_0000_0000_0001L);
        Result chs = exec(new Ext[]{snan}, 0x37f, 0xd9, 0xe0);
        assertThat(chs.st(0)).isEqualTo(neg(snan));
        assertThat(chs.fsw() & 0x3f).isZero();
        assertThat(exec(new Ext[]{ext(-7)}, 0x37f, 0xd9, 0xe1).st(0)).isEqualTo(ext(7));
    }
}
