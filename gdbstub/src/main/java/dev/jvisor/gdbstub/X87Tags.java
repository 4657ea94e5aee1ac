package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.FpuState;

/**
 * The x87 tag word in its full two-bits-per-register form, as GDB shows {@code ftag}, rebuilt from
 * the abridged FXSAVE form (one valid bit per register) and the register contents (Intel SDM Vol. 1
 * §8.1.7 and §10.5.1.1): 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported),
 * 11 empty.
 */
final class X87Tags {
    private X87Tags() {
    }

    static int fullTagWord(FpuState fpu) {
        int top = (fpu.fsw() >> 11) & 7;
        int word = 0;
        for (int physical = 0; physical < 8; physical++) {
            int tag;
            if ((fpu.ftw() & (1 << physical)) == 0) {
                tag = 3;
            } else {
                int st = (physical - top) & 7; // ST(i) is physical register (TOP + i) mod 8
                tag = classify(fpu.st(), st * 10);
            }
            word |= tag << (2 * physical);
        }
        return word;
    }

    private static int classify(byte[] st, int at) {
        long mantissa = Hex.littleEndian(st, at, 8);
        int exponent = (int) Hex.littleEndian(st, at + 8, 2) & 0x7fff;
        if (exponent == 0x7fff) {
            return 2;
        }
        if (exponent == 0) {
            return mantissa == 0 ? 1 : 2;
        }
        return mantissa < 0 ? 0 : 2; // the explicit integer bit (63) must be set
    }
}
