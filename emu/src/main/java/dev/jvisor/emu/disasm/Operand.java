package dev.jvisor.emu.disasm;

/**
 * One operand of an opcode-table entry, in the notation of Intel SDM Vol. 2 Appendix A.2 ("Eb",
 * "Gv", "Iz", "Vx", "Wx", ...), plus a few fixed operands ("AL", "rAX", "CL", "DX", "ST", "ES"...).
 *
 * @param kind     where the operand comes from
 * @param size     how wide it is (see {@link Size})
 * @param number   register number for fixed registers
 * @param indirect printed with a leading {@code *} (indirect CALL/JMP)
 */
record Operand(Kind kind, Size size, int number, boolean indirect) {

    /** Addressing methods (SDM Vol. 2 §A.2.1) and fixed operands. */
    enum Kind {
        /** ModRM r/m: register or memory. */
        E,
        /** ModRM r/m, memory only (register form is invalid). */
        M,
        /** ModRM r/m, always a register whatever mod says (MOV to/from CR/DR). */
        R,
        /** ModRM reg: general register. */
        G,
        /** ModRM reg: segment register. */
        S,
        /** ModRM reg: control register. */
        C,
        /** ModRM reg: debug register. */
        D,
        /** ModRM reg: i386 test register. */
        T,
        /** ModRM reg: MPX bound register. */
        BND,
        /** ModRM r/m: MPX bound register or memory. */
        BNDM,
        /** Immediate. */
        I,
        /** Byte immediate sign-extended to the operand size. */
        IS,
        /** Second immediate byte of ENTER. */
        I2,
        /** Relative branch offset. */
        J,
        /** Absolute memory offset (MOV moffs). */
        O,
        /** Far pointer immediate seg:offset (CALLF/JMPF). */
        A,
        /** General register from the low 3 opcode bits (plus REX.B). */
        Z,
        /** A fixed general register. */
        FIXED,
        /** A fixed segment register. */
        SEG,
        /** The I/O port in DX, printed {@code (%dx)}. */
        PORT_DX,
        /** DS:rSI string source. */
        X,
        /** ES:rDI string destination. */
        Y,
        /** xlat's DS:rBX table. */
        XLAT,
        /** x87 ST(0). */
        ST0,
        /** x87 ST(i) from ModRM.rm. */
        STI,
        /** ModRM reg: XMM/YMM register. */
        V,
        /** ModRM r/m: XMM/YMM register or memory. */
        W,
        /** ModRM r/m: XMM/YMM register only. */
        U,
        /** VEX.vvvv: XMM/YMM register. */
        H,
        /** Register in bits 7:4 of an immediate byte (VEX /is4). */
        L,
        /** ModRM reg: MMX register. */
        P,
        /** ModRM r/m: MMX register or memory. */
        Q,
        /** ModRM r/m: MMX register only. */
        N,
        /** VEX.vvvv: general register (BMI). */
        B,
        /** The implicit XMM0 of non-VEX BLENDV*. */
        XMM0
    }

    /** Operand sizes (SDM Vol. 2 §A.2.2) and vector widths. */
    enum Size {
        /** Byte. */
        b,
        /** Word. */
        w,
        /** Doubleword. */
        d,
        /** Quadword. */
        q,
        /** Operand size: word, doubleword or quadword. */
        v,
        /** Doubleword, or quadword with REX.W in 64-bit mode. */
        y,
        /** Word for 16-bit operand size, doubleword otherwise. */
        z,
        /** Address size (implicit registers of MONITOR and friends). */
        a,
        /** The mode's natural width: quadword in 64-bit mode, doubleword otherwise (MOV CRn, RDPID). */
        s,
        /** Far pointer in memory: no size of its own. */
        p,
        /** No size: memory of any size (LEA, FXSAVE, ...). */
        none,
        /** Vector register as wide as VEX.L says: XMM or YMM. */
        x,
        /** Always an XMM register. */
        o,
        /** Always a YMM register. */
        t
    }

    /** Parses one operand of the table notation, e.g. "Ev", "*Ev", "rAX", "AL", "Wx", "ST(i)". */
    static Operand parse(String text) {
        boolean star = text.startsWith("*");
        String t = star ? text.substring(1) : text;
        Operand fixed = fixed(t);
        if (fixed != null) {
            return star ? new Operand(fixed.kind, fixed.size, fixed.number, true) : fixed;
        }
        String kind = t.substring(0, t.length() - 1);
        Size size = Size.valueOf(t.substring(t.length() - 1));
        if (kind.equals("M") && t.length() == 1) {
            return new Operand(Kind.M, Size.none, 0, star);
        }
        return new Operand(Kind.valueOf(kind), size, 0, star);
    }

    private static Operand fixed(String t) {
        return switch (t) {
            case "M" -> new Operand(Kind.M, Size.none, 0, false);
            case "BND" -> new Operand(Kind.BND, Size.none, 0, false);
            case "BNDM" -> new Operand(Kind.BNDM, Size.none, 0, false);
            case "AL" -> new Operand(Kind.FIXED, Size.b, 0, false);
            case "CL" -> new Operand(Kind.FIXED, Size.b, 1, false);
            case "AX" -> new Operand(Kind.FIXED, Size.w, 0, false);
            case "EAX" -> new Operand(Kind.FIXED, Size.d, 0, false);
            case "ECX" -> new Operand(Kind.FIXED, Size.d, 1, false);
            case "EDX" -> new Operand(Kind.FIXED, Size.d, 2, false);
            case "EBX" -> new Operand(Kind.FIXED, Size.d, 3, false);
            case "rAX" -> new Operand(Kind.FIXED, Size.v, 0, false);
            case "eAX" -> new Operand(Kind.FIXED, Size.z, 0, false);
            case "aAX" -> new Operand(Kind.FIXED, Size.a, 0, false);
            case "DX" -> new Operand(Kind.PORT_DX, Size.w, 2, false);
            case "ES" -> new Operand(Kind.SEG, Size.w, 0, false);
            case "CS" -> new Operand(Kind.SEG, Size.w, 1, false);
            case "SS" -> new Operand(Kind.SEG, Size.w, 2, false);
            case "DS" -> new Operand(Kind.SEG, Size.w, 3, false);
            case "FS" -> new Operand(Kind.SEG, Size.w, 4, false);
            case "GS" -> new Operand(Kind.SEG, Size.w, 5, false);
            case "ST" -> new Operand(Kind.ST0, Size.none, 0, false);
            case "ST(i)" -> new Operand(Kind.STI, Size.none, 0, false);
            case "XMM0" -> new Operand(Kind.XMM0, Size.o, 0, false);
            case "Xlat" -> new Operand(Kind.XLAT, Size.b, 0, false);
            case "Ap" -> new Operand(Kind.A, Size.p, 0, false);
            case "Mp" -> new Operand(Kind.M, Size.p, 0, false);
            default -> null;
        };
    }

    /** Whether the operand comes from ModRM.rm (and so needs the memory-operand bytes parsed). */
    boolean usesRm() {
        return switch (kind) {
            case E, M, R, W, U, Q, N, STI, BNDM -> true;
            default -> false;
        };
    }

    /** Whether the operand comes from ModRM at all. */
    boolean usesModrm() {
        return usesRm() || switch (kind) {
            case G, S, C, D, T, V, P, BND -> true;
            default -> false;
        };
    }
}
