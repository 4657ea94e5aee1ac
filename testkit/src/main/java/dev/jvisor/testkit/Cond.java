package dev.jvisor.testkit;

/**
 * Condition codes as the low nibble of Jcc/SETcc/CMOVcc opcodes (Intel SDM Vol. 1 Appendix B,
 * Table B-1). Aliases share an encoding: B = C = NAE, E = Z, and so on.
 */
public enum Cond {
    O(0), NO(1), B(2), AE(3), E(4), NE(5), BE(6), A(7), S(8), NS(9), P(10), NP(11), L(12), GE(13), LE(14), G(15);

    /** Aliases for readability at call sites. */
    public static final Cond C = B, NC = AE, Z = E, NZ = NE, NAE = B, NB = AE, NA = BE, NBE = A,
            PE = P, PO = NP, NGE = L, NL = GE, NG = LE, NLE = G;

    private final int code;

    Cond(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The opposite condition (flips the low bit of the encoding). */
    public Cond negate() {
        return values()[code ^ 1];
    }
}
