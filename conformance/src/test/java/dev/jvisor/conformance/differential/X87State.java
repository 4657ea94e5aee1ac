package dev.jvisor.conformance.differential;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The x87 part of a case's state as the FXSAVE image holds it (SDM Vol. 1 §10.5.1, Table 10-2):
 * control word, status word, abridged tag byte (bit i: physical register i not empty) and ST(0)
 * to ST(7) in stack order, 10 bytes each. FOP, FIP and FDP are not kept: AMD CPUs store them only
 * while an exception is pending, so they are not compared.
 */
public record X87State(int fcw, int fsw, int ftw, byte[] st) {
    /** FXSAVE image offsets. */
    static final int FCW = 0, FSW = 2, FTW = 4, MXCSR = 24, ST = 32, XMM = 160, IMAGE = 512;

    public X87State {
        if (st.length != 80) {
            throw new IllegalArgumentException("eight 10-byte registers expected");
        }
        st = st.clone();
    }

    @Override
    public byte[] st() {
        return st.clone();
    }

    /** ST(i) as {sign-and-exponent (16 bits), significand (64 bits)}. */
    public long[] register(int i) {
        ByteBuffer b = ByteBuffer.wrap(st, 10 * i, 10).order(ByteOrder.LITTLE_ENDIAN);
        long significand = b.getLong();
        return new long[]{b.getShort() & 0xffff, significand};
    }

    /** The 512-byte FXSAVE image with this state, the given XMM registers and MXCSR. */
    public byte[] image(long[] xmm, int mxcsr) {
        ByteBuffer b = ByteBuffer.allocate(IMAGE).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(FCW, (short) fcw).putShort(FSW, (short) fsw).put(FTW, (byte) ftw).putInt(MXCSR, mxcsr);
        for (int i = 0; i < 8; i++) {
            b.put(ST + 16 * i, st, 10 * i, 10);
        }
        for (int i = 0; i < 32; i++) {
            b.putLong(XMM + 8 * i, xmm[i]);
        }
        return b.array();
    }

    /** The x87 fields of an FXSAVE image. */
    public static X87State fromImage(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        byte[] st = new byte[80];
        for (int i = 0; i < 8; i++) {
            b.get(ST + 16 * i, st, 10 * i, 10);
        }
        return new X87State(b.getShort(FCW) & 0xffff, b.getShort(FSW) & 0xffff, b.get(FTW) & 0xff, st);
    }

    public String describe() {
        StringBuilder sb = new StringBuilder(String.format("fcw=%04x fsw=%04x (top %d) ftw=%02x", fcw, fsw, fsw >> 11 & 7, ftw));
        for (int i = 0; i < 8; i++) {
            long[] r = register(i);
            sb.append(String.format("%sst%d=%04x_%016x", i % 4 == 0 ? "\n" : " ", i, r[0], r[1]));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof X87State x && fcw == x.fcw && fsw == x.fsw && ftw == x.ftw && Arrays.equals(st, x.st);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(st) * 31 + fsw;
    }
}
