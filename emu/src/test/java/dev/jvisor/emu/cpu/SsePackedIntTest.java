package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every packed-integer opcode of 0F 60-6D, 74-76 and D1-FE, in its MMX and XMM forms, on random and
 * boundary operands, checked against a plain element-by-element reference written here.
 */
class SsePackedIntTest extends SseTest {
    private static final long TABLE = 0x200000;
    private static final int[] OPS = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x74,
        0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8,
        0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};
    private static final int[] XMM_ONLY = {0x6c, 0x6d};
    private static final int RECORDS = 300;

    @Test
    void xmmFormsMatchTheReference() {
        int[] ops = concat(OPS, XMM_ONLY);
        int record = 32 + 16 * ops.length;
        long[][] in = inputs(2, 101);
        Asm a = code();
        a.mov(RBX, TABLE).mov(RCX, RECORDS);
        Label loop = a.here();
        for (int k = 0; k < ops.length; k++) {
            rm(a, 0x66, 0x6f, 0, 0);            // movdqa xmm0, [rbx]
            rm(a, 0x66, ops[k], 0, 16);         // op xmm0, [rbx+16]
            rm(a, 0x66, 0x7f, 0, 32 + 16 * k);  // movdqa [rbx+32+16k], xmm0
        }
        a.add(RBX, record).dec(RCX).j(Cond.NZ, loop);
        ByteBuffer buf = ByteBuffer.allocate(RECORDS * record).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < RECORDS; i++) {
            buf.putLong(i * record, in[i][0]).putLong(i * record + 8, in[i][1]);
            buf.putLong(i * record + 16, in[i][2]).putLong(i * record + 24, in[i][3]);
        }
        try (CpuHarness h = run(a, s -> s.memory.write(TABLE, buf.array()))) {
            assertThat(vector(h)).isEqualTo(-1);
            ByteBuffer out = ByteBuffer.wrap(h.memory.read(TABLE, RECORDS * record)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < RECORDS; i++) {
                long[] x = {in[i][0], in[i][1]};
                long[] y = {in[i][2], in[i][3]};
                for (int k = 0; k < ops.length; k++) {
                    long[] e = reference(ops[k], x, y);
                    int at = i * record + 32 + 16 * k;
                    assertThat(new long[] {out.getLong(at), out.getLong(at + 8)})
                            .as("66 0F %02x %016x%016x, %016x%016x", ops[k], x[1], x[0], y[1], y[0])
                            .containsExactly(e[0], e[1]);
                }
            }
        }
    }

    @Test
    void mmxFormsMatchTheReference() {
        int record = 16 + 8 * OPS.length;
        long[][] in = inputs(1, 202);
        Asm a = code();
        a.mov(RBX, TABLE).mov(RCX, RECORDS);
        Label loop = a.here();
        rm(a, 0, 0x6f, 1, 8);                   // movq mm1, [rbx+8]
        for (int k = 0; k < OPS.length; k++) {
            rm(a, 0, 0x6f, 0, 0);               // movq mm0, [rbx]
            rr(a, 0, OPS[k], 0, 1);             // op mm0, mm1
            rm(a, 0, 0x7f, 0, 16 + 8 * k);      // movq [rbx+16+8k], mm0
        }
        a.add(RBX, record).dec(RCX).j(Cond.NZ, loop);
        ByteBuffer buf = ByteBuffer.allocate(RECORDS * record).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < RECORDS; i++) {
            buf.putLong(i * record, in[i][0]).putLong(i * record + 8, in[i][1]);
        }
        try (CpuHarness h = run(a, s -> s.memory.write(TABLE, buf.array()))) {
            assertThat(vector(h)).isEqualTo(-1);
            ByteBuffer out = ByteBuffer.wrap(h.memory.read(TABLE, RECORDS * record)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < RECORDS; i++) {
                for (int k = 0; k < OPS.length; k++) {
                    long e = reference(OPS[k], new long[] {in[i][0]}, new long[] {in[i][1]})[0];
                    assertThat(out.getLong(i * record + 16 + 8 * k))
                            .as("0F %02x %016x, %016x", OPS[k], in[i][0], in[i][1]).isEqualTo(e);
                }
            }
            assertThat(h.cpu.fpu.ftw).isZero();
            assertThat(h.cpu.fpu.se[0]).isEqualTo(0xffff);
        }
    }

    @Test
    void shiftsByImmediate() {
        Asm a = code();
        rr(a, 0x66, 0x71, 2, 1, 3);     // psrlw xmm1, 3
        rr(a, 0x66, 0x71, 4, 2, 17);    // psraw xmm2, 17 (fills with the sign)
        rr(a, 0x66, 0x72, 6, 3, 4);     // pslld xmm3, 4
        rr(a, 0x66, 0x73, 2, 4, 64);    // psrlq xmm4, 64 (clears)
        rr(a, 0x66, 0x73, 3, 5, 3);     // psrldq xmm5, 3
        rr(a, 0x66, 0x73, 7, 6, 9);     // pslldq xmm6, 9
        rr(a, 0x66, 0x73, 7, 7, 16);    // pslldq xmm7, 16
        rr(a, 0, 0x72, 4, 1, 31);       // psrad mm1, 31
        rr(a, 0, 0x73, 6, 2, 8);        // psllq mm2, 8
        try (CpuHarness h = run(a, s -> {
            xmm(s, 1, 0x8000_ffff_0010_0001L, 0x1234_5678_9abc_def0L);
            xmm(s, 2, 0x8000_7fff_0000_ffffL, 0L);
            xmm(s, 3, 0xf000_000f_8000_0001L, 0x0123_4567_89ab_cdefL);
            xmm(s, 4, -1L, -1L);
            xmm(s, 5, 0x0706_0504_0302_0100L, 0x0f0e_0d0c_0b0a_0908L);
            xmm(s, 6, 0x0706_0504_0302_0100L, 0x0f0e_0d0c_0b0a_0908L);
            xmm(s, 7, -1L, -1L);
            s.cpu.fpu.mant[1] = 0x8000_0000_7fff_ffffL;
            s.cpu.fpu.mant[2] = 0x0011_2233_4455_6677L;
        })) {
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(0x1000_1fff_0002_0000L, 0x0246_0acf_1357_1bdeL);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(0xffff_0000_0000_ffffL, 0L);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0x0000_00f0_0000_0010L, 0x1234_5670_9abc_def0L);
            assertThat(new long[] {lo(h, 4), hi(h, 4)}).containsExactly(0L, 0L);
            assertThat(new long[] {lo(h, 5), hi(h, 5)}).containsExactly(0x0a09_0807_0605_0403L, 0x0000_000f_0e0d_0c0bL);
            assertThat(new long[] {lo(h, 6), hi(h, 6)}).containsExactly(0L, 0x0605_0403_0201_0000L);
            assertThat(new long[] {lo(h, 7), hi(h, 7)}).containsExactly(0L, 0L);
            assertThat(h.cpu.fpu.mant[1]).isEqualTo(0xffff_ffff_0000_0000L);
            assertThat(h.cpu.fpu.mant[2]).isEqualTo(0x1122_3344_5566_7700L);
        }
    }

    @Test
    void logicOnFloatingPointRegisters() {
        Asm a = code();
        rr(a, 0, 0x54, 0, 4);           // andps
        rr(a, 0x66, 0x55, 1, 4);        // andnpd
        rr(a, 0, 0x56, 2, 4);           // orps
        rm(a, 0x66, 0x57, 3, 0);        // xorpd xmm3, [rbx]
        try (CpuHarness h = run(a, s -> {
            for (int i = 0; i < 4; i++) {
                xmm(s, i, 0x0f0f_0f0f_0f0f_0f0fL, 0x3333_3333_3333_3333L);
            }
            xmm(s, 4, 0x00ff_00ff_00ff_00ffL, 0x5555_5555_5555_5555L);
            put64(s, 0, -1L, 0);
        })) {
            assertThat(new long[] {lo(h, 0), hi(h, 0)}).containsExactly(0x000f_000f_000f_000fL, 0x1111_1111_1111_1111L);
            assertThat(new long[] {lo(h, 1), hi(h, 1)}).containsExactly(0x00f0_00f0_00f0_00f0L, 0x4444_4444_4444_4444L);
            assertThat(new long[] {lo(h, 2), hi(h, 2)}).containsExactly(0x0fff_0fff_0fff_0fffL, 0x7777_7777_7777_7777L);
            assertThat(new long[] {lo(h, 3), hi(h, 3)}).containsExactly(0xf0f0_f0f0_f0f0_f0f0L, 0x3333_3333_3333_3333L);
        }
    }

    // --- Inputs and reference ---------------------------------------------------------------------------

    private static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** {@code RECORDS} operand pairs of {@code quads} quadwords each (a..., b...). */
    private static long[][] inputs(int quads, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] special = {0, -1L, 0x7f7f_7f7f_7f7f_7f7fL, 0x8080_8080_8080_8080L, 0x7fff_8000_ffff_0001L,
            0x8000_0000_7fff_ffffL, 0x00ff_ff00_0080_7f01L};
        long[][] out = new long[RECORDS][2 * quads];
        for (int i = 0; i < RECORDS; i++) {
            for (int q = 0; q < 2 * quads; q++) {
                out[i][q] = r.nextInt(3) == 0 ? special[r.nextInt(special.length)] : r.nextLong();
            }
            if (r.nextBoolean()) {
                out[i][quads] = r.nextInt(70); // a small shift count in the source's low quadword
            }
        }
        return out;
    }

    private static long get(byte[] v, int es, int i, boolean signed) {
        long x = 0;
        for (int k = es - 1; k >= 0; k--) {
            x = (x << 8) | (v[i * es + k] & 0xff);
        }
        if (signed && es < 8) {
            x = (x << (64 - 8 * es)) >> (64 - 8 * es);
        }
        return x;
    }

    private static void put(byte[] v, int es, int i, long x) {
        for (int k = 0; k < es; k++) {
            v[i * es + k] = (byte) (x >>> (8 * k));
        }
    }

    private static long sat(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** The result of {@code 0F op} on a (the destination) and b, element by element. */
    static long[] reference(int op, long[] aq, long[] bq) {
        int n = aq.length * 8;
        byte[] a = new byte[n];
        byte[] b = new byte[n];
        for (int q = 0; q < aq.length; q++) {
            for (int k = 0; k < 8; k++) {
                a[8 * q + k] = (byte) (aq[q] >>> (8 * k));
                b[8 * q + k] = (byte) (bq[q] >>> (8 * k));
            }
        }
        byte[] r = new byte[n];
        switch (op) {
            case 0x60, 0x61, 0x62, 0x6c, 0x68, 0x69, 0x6a, 0x6d -> {
                int es = switch (op & 0xf) {
                    case 0, 8 -> 1;
                    case 1, 9 -> 2;
                    case 2, 0xa -> 4;
                    default -> 8;
                };
                int half = n / es / 2;
                int base = op == 0x6c || op < 0x68 ? 0 : half;
                for (int i = 0; i < half; i++) {
                    put(r, es, 2 * i, get(a, es, base + i, false));
                    put(r, es, 2 * i + 1, get(b, es, base + i, false));
                }
            }
            case 0x63, 0x67, 0x6b -> {
                int es = op == 0x6b ? 4 : 2;
                int cnt = n / es;
                for (int i = 0; i < 2 * cnt; i++) {
                    long v = i < cnt ? get(a, es, i, true) : get(b, es, i - cnt, true);
                    long s = switch (op) {
                        case 0x63 -> sat(v, -128, 127);
                        case 0x67 -> sat(v, 0, 255);
                        default -> sat(v, -32768, 32767);
                    };
                    put(r, es / 2, i, s);
                }
            }
            case 0x64, 0x65, 0x66, 0x74, 0x75, 0x76 -> {
                int es = 1 << (op & 3);
                for (int i = 0; i < n / es; i++) {
                    long x = get(a, es, i, true);
                    long y = get(b, es, i, true);
                    put(r, es, i, (op >= 0x74 ? x == y : x > y) ? -1 : 0);
                }
            }
            case 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3 -> {
                int es = 1 << (op & 3);
                long count = bq[0];
                boolean arith = (op & 0xf0) == 0xe0;
                boolean left = (op & 0xf0) == 0xf0;
                for (int i = 0; i < n / es; i++) {
                    long x = get(a, es, i, arith);
                    long v;
                    if (Long.compareUnsigned(count, 8L * es) >= 0) {
                        v = arith ? (x < 0 ? -1 : 0) : 0;
                    } else if (left) {
                        v = x << count;
                    } else {
                        v = arith ? x >> count : x >>> count;
                    }
                    put(r, es, i, v);
                }
            }
            case 0xf4 -> {
                for (int i = 0; i < n / 8; i++) {
                    put(r, 8, i, get(a, 4, 2 * i, false) * get(b, 4, 2 * i, false));
                }
            }
            case 0xf5 -> {
                for (int i = 0; i < n / 4; i++) {
                    put(r, 4, i, get(a, 2, 2 * i, true) * get(b, 2, 2 * i, true)
                            + get(a, 2, 2 * i + 1, true) * get(b, 2, 2 * i + 1, true));
                }
            }
            case 0xf6 -> {
                for (int q = 0; q < n / 8; q++) {
                    long sum = 0;
                    for (int k = 0; k < 8; k++) {
                        sum += Math.abs(get(a, 1, 8 * q + k, false) - get(b, 1, 8 * q + k, false));
                    }
                    put(r, 8, q, sum);
                }
            }
            default -> {
                int es = switch (op) {
                    case 0xd4, 0xfb -> 8;
                    case 0xfa, 0xfe -> 4;
                    case 0xd5, 0xd9, 0xdd, 0xe3, 0xe4, 0xe5, 0xe9, 0xea, 0xed, 0xee, 0xf9, 0xfd -> 2;
                    default -> 1;
                };
                for (int i = 0; i < n / es; i++) {
                    long ua = get(a, es, i, false);
                    long ub = get(b, es, i, false);
                    long sa = get(a, es, i, true);
                    long sb = get(b, es, i, true);
                    long smin = es == 1 ? -128 : -32768;
                    long smax = -smin - 1;
                    long umax = es == 1 ? 255 : 65535;
                    long v = switch (op) {
                        case 0xd4, 0xfc, 0xfd, 0xfe -> ua + ub;
                        case 0xf8, 0xf9, 0xfa, 0xfb -> ua - ub;
                        case 0xd5 -> sa * sb;
                        case 0xd8, 0xd9 -> sat(ua - ub, 0, umax);
                        case 0xdc, 0xdd -> sat(ua + ub, 0, umax);
                        case 0xe8, 0xe9 -> sat(sa - sb, smin, smax);
                        case 0xec, 0xed -> sat(sa + sb, smin, smax);
                        case 0xda -> Math.min(ua, ub);
                        case 0xde -> Math.max(ua, ub);
                        case 0xea -> Math.min(sa, sb);
                        case 0xee -> Math.max(sa, sb);
                        case 0xdb -> ua & ub;
                        case 0xdf -> ~ua & ub;
                        case 0xeb -> ua | ub;
                        case 0xef -> ua ^ ub;
                        case 0xe0, 0xe3 -> (ua + ub + 1) >> 1;
                        case 0xe4 -> (ua * ub) >>> 16;
                        case 0xe5 -> (sa * sb) >> 16;
                        default -> throw new IllegalArgumentException("opcode " + op);
                    };
                    put(r, es, i, v);
                }
            }
        }
        long[] out = new long[aq.length];
        for (int q = 0; q < out.length; q++) {
            out[q] = get(r, 8, q, false);
        }
        return out;
    }
}
