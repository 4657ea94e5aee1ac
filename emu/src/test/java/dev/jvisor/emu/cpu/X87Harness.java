package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.TinyGuest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Runs single x87 instructions on the emulator from a complete FPU state, the way the x87 tests
 * check them: for each {@link Case} a 64-bit guest executes {@code FRSTOR [state]; <instruction>;
 * FNSAVE [state+0x100]; PUSHFQ; POP [state+0x1F8]; FNINIT} with RSI pointing at the case's 32-byte
 * memory operand. All cases of a batch run in one guest, straight-line. The same byte sequence run on
 * a real x86 processor gives the reference results of {@link X87HardwareDigestTest}.
 */
final class X87Harness {
    static final long CODE = 0x100000, DATA = 0x1000000;
    static final int SLOT = 0x300;

    private X87Harness() {
    }

    /** An 80-bit value: sign/exponent and significand. */
    record Ext(int se, long mant) {
        static Ext of(int se, long mant) {
            return new Ext(se, mant);
        }

        @Override
        public String toString() {
            return String.format("%04x:%016x", se, mant);
        }
    }

    /** One instruction with its initial FPU image (108-byte FRSTOR layout), memory operand and bytes. */
    record Case(byte[] state, byte[] mem, byte[] code) {
    }

    /** Builds a {@link Case}: ST(0) first; registers not given are empty. */
    static final class Builder {
        int fcw = 0x37f, fsw, top;
        Ext[] st = new Ext[0];
        int emptyMask;
        byte[] mem = new byte[32];

        Builder fcw(int v) {
            fcw = v;
            return this;
        }

        /** Status word bits other than TOP (condition codes, flags). */
        Builder fsw(int v) {
            fsw = v;
            return this;
        }

        Builder top(int v) {
            top = v;
            return this;
        }

        Builder st(Ext... values) {
            st = values;
            return this;
        }

        /** Marks ST(i) empty although a value is given (its bits stay in the register). */
        Builder empty(int i) {
            emptyMask |= 1 << i;
            return this;
        }

        Builder mem(byte[] bytes) {
            mem = java.util.Arrays.copyOf(bytes, 32);
            return this;
        }

        Builder memLong(long v) {
            ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
            return this;
        }

        Builder memExt(Ext v) {
            ByteBuffer b = ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, v.mant);
            b.putShort(8, (short) v.se);
            return this;
        }

        Case code(int... bytes) {
            ByteBuffer b = ByteBuffer.allocate(108).order(ByteOrder.LITTLE_ENDIAN);
            int tags = 0;
            for (int i = 0; i < 8; i++) {
                boolean valid = i < st.length && (emptyMask & (1 << i)) == 0;
                tags |= (valid ? 0 : 3) << (2 * ((top + i) & 7));
            }
            b.putInt(0, fcw);
            b.putInt(4, (fsw & ~0x3800) | (top << 11));
            b.putInt(8, tags);
            for (int i = 0; i < st.length; i++) {
                b.putLong(28 + 10 * i, st[i].mant);
                b.putShort(36 + 10 * i, (short) st[i].se);
            }
            byte[] c = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                c[i] = (byte) bytes[i];
            }
            return new Case(b.array(), mem.clone(), c);
        }
    }

    static Builder state() {
        return new Builder();
    }

    /** The FPU after the instruction (FNSAVE image), the memory operand and the six status flags. */
    record Result(byte[] image, byte[] mem, long flags) {
        int fcw() {
            return u16(0);
        }

        int fsw() {
            return u16(4);
        }

        int top() {
            return (fsw() >> 11) & 7;
        }

        /** The full tag word (0 valid, 1 zero, 2 special, 3 empty), physical order. */
        int ftw() {
            return u16(8);
        }

        /** The tag of ST(i). */
        int tag(int i) {
            return (ftw() >> (2 * ((top() + i) & 7))) & 3;
        }

        Ext st(int i) {
            ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            return new Ext(b.getShort(36 + 10 * i) & 0xffff, b.getLong(28 + 10 * i));
        }

        long memLong(int off) {
            return ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN).getLong(off);
        }

        int memInt(int off) {
            return ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN).getInt(off);
        }

        int memShort(int off) {
            return ByteBuffer.wrap(mem).order(ByteOrder.LITTLE_ENDIAN).getShort(off) & 0xffff;
        }

        private int u16(int off) {
            return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getShort(off) & 0xffff;
        }
    }

    static Result run(Case c) {
        return run(List.of(c)).getFirst();
    }

    /** Runs every case in one guest and returns the results in order. */
    static List<Result> run(List<Case> cases) {
        Asm a = new Asm(64, CODE);
        for (int i = 0; i < cases.size(); i++) {
            a.db(0x48, 0xbf).dq(DATA + (long) SLOT * i); // mov rdi, slot
            a.db(0x48, 0x89, 0xfe, 0x48, 0x81, 0xc6, 0x00, 0x02, 0, 0); // mov rsi, rdi; add rsi, 0x200
            a.db(0xdd, 0x27); // frstor [rdi]
            a.db(cases.get(i).code);
            a.db(0xdd, 0xb7, 0, 1, 0, 0); // fnsave [rdi+0x100]
            a.db(0x9c, 0x58, 0x48, 0x89, 0x87, 0xf8, 0x01, 0, 0); // pushfq; pop rax; mov [rdi+0x1f8], rax
            a.db(0xdb, 0xe3); // fninit
        }
        a.db(0xb0, 0, 0xe6, TestEnvironment.STOP);
        long ram = (DATA + (long) SLOT * cases.size() + (2 << 20)) & ~0xfffffL;
        try (CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a).entry(CODE), ram)) {
            for (int i = 0; i < cases.size(); i++) {
                long slot = DATA + (long) SLOT * i;
                h.memory.write(slot, cases.get(i).state);
                h.memory.write(slot + 0x200, cases.get(i).mem);
            }
            assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
            assertThat(h.env.stopValue).as("the guest ran to the end").isZero();
            Result[] out = new Result[cases.size()];
            for (int i = 0; i < cases.size(); i++) {
                long slot = DATA + (long) SLOT * i;
                out[i] = new Result(h.memory.read(slot + 0x100, 108), h.memory.read(slot + 0x200, 32),
                        h.memory.readU64(slot + 0x1f8) & 0x8d5);
            }
            return List.of(out);
        }
    }

    // --- Common values ----------------------------------------------------------------------------

    static final Ext ONE = Ext.of(0x3fff, 1L << 63), TWO = Ext.of(0x4000, 1L << 63), THREE = Ext.of(0x4000, 3L << 62),
            HALF = Ext.of(0x3ffe, 1L << 63), ZERO = Ext.of(0, 0), NEG_ZERO = Ext.of(0x8000, 0),
            INF = Ext.of(0x7fff, 1L << 63), NEG_INF = Ext.of(0xffff, 1L << 63),
            INDEFINITE = Ext.of(0xffff, 0xc000_0000_0000_0000L);

    static Ext neg(Ext v) {
        return Ext.of(v.se ^ 0x8000, v.mant);
    }

    /** The 80-bit form of a 64-bit integer (exact). */
    static Ext extInt(long v) {
        X87Float f = new X87Float();
        X87Convert.fromInteger(f, v);
        return Ext.of(f.se, f.m);
    }

    /** The 80-bit form of a double (exact). */
    static Ext ext(double d) {
        X87Float f = new X87Float();
        X87Convert.fromDouble(f, Double.doubleToRawLongBits(d));
        return Ext.of(f.se, f.m);
    }
}
