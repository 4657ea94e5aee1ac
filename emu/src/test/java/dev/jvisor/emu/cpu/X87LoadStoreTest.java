package dev.jvisor.emu.cpu;

import static dev.jvisor.emu.cpu.X87Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.cpu.X87Harness.Ext;
import dev.jvisor.emu.cpu.X87Harness.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loads, stores and register moves: exact 80-bit moves (NaN payloads, denormals, unsupported
 * encodings), conversions to and from m32/m64/integers/packed BCD under the rounding control with
 * the integer and BCD indefinites, the constants, stack overflow and underflow, FXCH, FCMOVcc, FFREE.
 */
class X87LoadStoreTest {
    static final int IE = 1, DE = 2, OE = 8, PE = 32, SF = 0x40, C1 = 0x200;
    static final int RD = 0x400, RU = 0x800, RZ = 0xc00;

    @Test
    void ldAndStpOfM80MoveEveryEncodingBitForBit() {
        Ext[] values = {
            Ext.of(0x7fff, 0x8000_0000_dead_beefL), // SNaN with payload
            Ext.of(0xffff, 0xc123_4567_89ab_cdefL), // negative QNaN
            Ext.of(0x0000, 0x0000_0000_0000_0001L), // smallest denormal
            Ext.of(0x8000, 0x8000_0000_0000_0000L), // pseudo-denormal
            Ext.of(0x4000, 0x4000_0000_0000_0000L), // unnormal
            Ext.of(0x7fff, 0x0000_0000_0000_0000L), // pseudo-infinity
            Ext.of(0x7ffe, 0xffff_ffff_ffff_ffffL),
        };
        for (Ext v : values) {
            Result r = run(state().memExt(v).code(0xdb, 0x2e, 0xdb, 0x7e, 0x10)); // fld tword [rsi]; fstp tword [rsi+16]
            assertThat(r.memLong(16)).as("significand of %s", v).isEqualTo(v.mant());
            assertThat(r.memShort(24)).as("sign/exponent of %s", v).isEqualTo(v.se());
            assertThat(r.fsw() & 0x3f).as("no exception for %s", v).isZero();
        }
        // FST ST(i) and FXCH move register bits unchanged too.
        Ext snan = values[0];
        assertThat(run(state().st(snan, ONE).code(0xdd, 0xd1)).st(1)).isEqualTo(snan);
    }

    @Test
    void singleAndDoubleLoadsAreExact() {
        Result den = run(state().memLong(1).code(0xdd, 0x06)); // fld qword: smallest double denormal
        assertThat(den.st(0)).isEqualTo(Ext.of(0x3fff - 1074, 1L << 63));
        assertThat(den.fsw() & 0x3f).isEqualTo(DE);
        Result snan = run(state().memLong(0x7f80_0001L).code(0xd9, 0x06)); // fld dword SNaN
        assertThat(snan.st(0)).isEqualTo(Ext.of(0x7fff, 0xc000_0100_0000_0000L));
        assertThat(snan.fsw() & 0x3f).isEqualTo(IE);
        assertThat(run(state().memLong(Float.floatToRawIntBits(-0.0f)).code(0xd9, 0x06)).st(0)).isEqualTo(NEG_ZERO);
    }

    @Test
    void singleAndDoubleStoresRound() {
        Ext third = Ext.of(0x3ffd, 0xaaaa_aaaa_aaaa_aaabL);
        assertThat(run(state().st(third).code(0xd9, 0x16)).memInt(0)).isEqualTo(Float.floatToRawIntBits(1f / 3));
        assertThat(run(state().st(third).fcw(0x37f | RU).code(0xd9, 0x16)).memInt(0)).isEqualTo(0x3eaa_aaab);
        assertThat(run(state().st(third).fcw(0x37f | RZ).code(0xd9, 0x16)).memInt(0)).isEqualTo(0x3eaa_aaaa);
        assertThat(run(state().st(third).code(0xdd, 0x16)).memLong(0)).isEqualTo(Double.doubleToRawLongBits(1.0 / 3));
        Result over = run(state().st(ext(1e300)).code(0xd9, 0x1e)); // fstp dword
        assertThat(over.memInt(0)).isEqualTo(0x7f80_0000);
        assertThat(over.fsw() & 0x3f).isEqualTo(OE | PE);
        assertThat(over.tag(7)).as("popped").isEqualTo(3);
        Result tiny = run(state().st(ext(1e-40)).code(0xd9, 0x16));
        assertThat(tiny.memInt(0)).as("a float denormal").isEqualTo(Float.floatToRawIntBits(1e-40f));
        Result nan = run(state().st(Ext.of(0xffff, 0x8000_0000_0000_0800L)).code(0xdd, 0x16)); // SNaN to double
        assertThat(nan.memLong(0)).isEqualTo(0xfff8_0000_0000_0001L);
        assertThat(nan.fsw() & IE).isEqualTo(IE);
        Result unmasked = run(state().st(ext(1e300)).fcw(0x377).code(0xd9, 0x1e)); // OE unmasked: nothing stored, no pop
        assertThat(unmasked.memInt(0)).isZero();
        assertThat(unmasked.st(0)).isEqualTo(ext(1e300));
        assertThat(unmasked.fsw() & 0xff).isEqualTo(0x80 | OE);
    }

    @Test
    void integerStoresRoundAndSaturateToTheIndefinite() {
        assertThat(run(state().st(ext(2.5)).code(0xdf, 0x16)).memShort(0)).isEqualTo(2); // fist word, to nearest even
        assertThat(run(state().st(ext(-2.5)).fcw(0x37f | RD).code(0xdb, 0x16)).memInt(0)).isEqualTo(-3);
        assertThat(run(state().st(ext(-2.5)).fcw(0x37f | RU).code(0xdb, 0x16)).memInt(0)).isEqualTo(-2);
        assertThat(run(state().st(ext(2.9)).fcw(0x37f | RZ).code(0xdf, 0x3e)).memLong(0)).isEqualTo(2);
        Result r = run(state().st(ext(2.5)).fcw(0x37f | RU).code(0xdf, 0x16));
        assertThat(r.fsw() & (PE | C1)).isEqualTo(PE | C1);
        Result big = run(state().st(ext(40000)).code(0xdf, 0x16));
        assertThat(big.memShort(0)).isEqualTo(0x8000);
        assertThat(big.fsw() & 0x3f).isEqualTo(IE);
        assertThat(run(state().st(ext(-32768)).code(0xdf, 0x16)).memShort(0)).isEqualTo(0x8000);
        assertThat(run(state().st(ext(-32768)).code(0xdf, 0x16)).fsw() & IE).as("-32768 fits").isZero();
        assertThat(run(state().st(ext(-32768.5)).fcw(0x37f | RU).code(0xdf, 0x16)).fsw() & IE).isZero();
        assertThat(run(state().st(ext(Math.scalb(1.0, 63))).code(0xdf, 0x3e)).memLong(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(run(state().st(Ext.of(0x7fff, 0xc000_0000_0000_0000L)).code(0xdb, 0x1e)).memInt(0)).isEqualTo(Integer.MIN_VALUE);
        Result unmasked = run(state().st(ext(1e10)).fcw(0x37e).code(0xdb, 0x1e)); // IE unmasked: no store, no pop
        assertThat(unmasked.memInt(0)).isZero();
        assertThat(unmasked.top()).isZero();
    }

    @Test
    void integerLoads() {
        assertThat(run(state().memLong(0x8000).code(0xdf, 0x06)).st(0)).isEqualTo(ext(-32768)); // fild word
        assertThat(run(state().memLong(0xffff_fff6L).code(0xdb, 0x06)).st(0)).isEqualTo(ext(-10)); // fild dword
        assertThat(run(state().memLong(Long.MIN_VALUE).code(0xdf, 0x2e)).st(0)).isEqualTo(Ext.of(0xc03e, 1L << 63));
        assertThat(run(state().memLong(0).code(0xdf, 0x06)).st(0)).isEqualTo(ZERO);
    }

    @Test
    void packedBcdRoundTrip() {
        long low = 0x2345_6789_0123_4567L; // digits 15..0
        Result r = run(state().mem(new byte[]{0x67, 0x45, 0x23, 0x01, (byte) 0x89, 0x67, 0x45, 0x23, 0x01, (byte) 0x80})
                .code(0xdf, 0x26, 0xdf, 0x76, 0x10)); // fbld [rsi]; fbstp [rsi+16]
        assertThat(r.memLong(16)).isEqualTo(low);
        assertThat(r.memShort(24)).isEqualTo(0x8001); // digits 17..16 = 01, negative
        Result v = run(state().mem(new byte[]{0x67, 0x45, 0x23, 0x01, (byte) 0x89, 0x67, 0x45, 0x23, 0x01, (byte) 0x80})
                .code(0xdf, 0x26));
        assertThat(v.st(0)).isEqualTo(extInt(-12_345_678_901_234_567L));
    }

    @Test
    void bcdStoreRoundsAndHasAnIndefinite() {
        Result half = run(state().st(ext(-2.5)).code(0xdf, 0x36));
        assertThat(half.memLong(0)).isEqualTo(2);
        assertThat(half.memShort(8)).isEqualTo(0x8000);
        assertThat(half.fsw() & PE).isEqualTo(PE);
        Result big = run(state().st(ext(1e18)).code(0xdf, 0x36));
        assertThat(big.memLong(0)).isEqualTo(0xc000_0000_0000_0000L);
        assertThat(big.memShort(8)).isEqualTo(0xffff);
        assertThat(big.fsw() & 0x3f).isEqualTo(IE);
        Result max = run(state().st(extInt(999_999_999_999_999_999L)).code(0xdf, 0x36));
        assertThat(max.memLong(0)).isEqualTo(0x9999_9999_9999_9999L);
        assertThat(max.memShort(8)).isEqualTo(0x0099);
        assertThat(max.fsw() & 0x3f).isZero();
    }

    @Test
    void constantsRoundUnderTheRoundingControl() {
        assertThat(run(state().code(0xd9, 0xeb)).st(0)).isEqualTo(Ext.of(0x4000, 0xc90f_daa2_2168_c235L)); // fldpi
        assertThat(run(state().fcw(0x37f | RD).code(0xd9, 0xeb)).st(0)).isEqualTo(Ext.of(0x4000, 0xc90f_daa2_2168_c234L));
        assertThat(run(state().code(0xd9, 0xe9)).st(0)).isEqualTo(Ext.of(0x4000, 0xd49a_784b_cd1b_8afeL)); // fldl2t
        assertThat(run(state().fcw(0x37f | RU).code(0xd9, 0xe9)).st(0)).isEqualTo(Ext.of(0x4000, 0xd49a_784b_cd1b_8affL));
        assertThat(run(state().code(0xd9, 0xea)).st(0)).isEqualTo(Ext.of(0x3fff, 0xb8aa_3b29_5c17_f0bcL)); // fldl2e
        assertThat(run(state().code(0xd9, 0xec)).st(0)).isEqualTo(Ext.of(0x3ffd, 0x9a20_9a84_fbcf_f799L)); // fldlg2
        assertThat(run(state().fcw(0x37f | RZ).code(0xd9, 0xed)).st(0)).isEqualTo(Ext.of(0x3ffe, 0xb172_17f7_d1cf_79abL));
        Result z = run(state().code(0xd9, 0xee)); // fldz
        assertThat(z.st(0)).isEqualTo(ZERO);
        assertThat(z.tag(0)).as("tagged zero").isEqualTo(1);
        assertThat(z.fsw() & 0x3f).isZero();
    }

    @Test
    void stackOverflowAndUnderflow() {
        Ext[] full = {ONE, ONE, ONE, ONE, ONE, ONE, ONE, ONE};
        Result over = run(state().st(full).code(0xd9, 0xe8)); // fld1 onto a full stack
        assertThat(over.st(0)).isEqualTo(INDEFINITE);
        assertThat(over.fsw() & (0x7f | C1)).isEqualTo(IE | SF | C1);
        assertThat(over.top()).isEqualTo(7);
        Result under = run(state().st(ONE).empty(0).code(0xd8, 0xc1)); // fadd with both empty
        assertThat(under.st(0)).isEqualTo(INDEFINITE);
        assertThat(under.fsw() & (0x7f | C1)).isEqualTo(IE | SF);
        Result unmasked = run(state().st(full).fcw(0x37e).code(0xd9, 0xe8));
        assertThat(unmasked.top()).as("an unmasked stack fault changes nothing").isZero();
        assertThat(unmasked.fsw() & 0xff).isEqualTo(0x80 | IE | SF);
        Result store = run(state().st(ONE).empty(0).code(0xdd, 0x1e)); // fstp qword from an empty ST(0)
        assertThat(store.memLong(0)).isEqualTo(0xfff8_0000_0000_0000L);
        assertThat(store.top()).isEqualTo(1);
    }

    @Test
    void exchangeConditionalMoveAndFree() {
        Result x = run(state().st(ONE, TWO, THREE).code(0xd9, 0xca)); // fxch st2
        assertThat(List.of(x.st(0), x.st(1), x.st(2))).containsExactly(THREE, TWO, ONE);
        // STC; FCMOVB ST0, ST1 moves; CLC; FCMOVB does not.
        assertThat(run(state().st(ONE, TWO).code(0xf9, 0xda, 0xc1)).st(0)).isEqualTo(TWO);
        assertThat(run(state().st(ONE, TWO).code(0xf8, 0xda, 0xc1)).st(0)).isEqualTo(ONE);
        // XOR EAX,EAX sets ZF: FCMOVE moves, FCMOVNE does not.
        assertThat(run(state().st(ONE, TWO).code(0x31, 0xc0, 0xda, 0xc9)).st(0)).isEqualTo(TWO);
        assertThat(run(state().st(ONE, TWO).code(0x31, 0xc0, 0xdb, 0xc9)).st(0)).isEqualTo(ONE);
        Result free = run(state().st(ONE, TWO).code(0xdd, 0xc1)); // ffree st1
        assertThat(free.tag(1)).isEqualTo(3);
        assertThat(free.top()).isZero();
        Result inc = run(state().st(ONE, TWO).code(0xd9, 0xf7)); // fincstp: no tag change
        assertThat(inc.top()).isEqualTo(1);
        assertThat(inc.tag(7)).isZero();
        Result freep = run(state().st(ONE, TWO).code(0xdf, 0xc1)); // ffreep st1 (undocumented): free, then pop
        assertThat(freep.top()).isEqualTo(1);
        assertThat(freep.tag(0)).isEqualTo(3);
    }
}
