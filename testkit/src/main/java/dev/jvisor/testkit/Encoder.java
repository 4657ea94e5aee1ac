package dev.jvisor.testkit;

/**
 * Turns one instruction's parts into bytes: legacy prefixes, REX, opcode, ModRM, SIB, displacement
 * and immediate (Intel SDM Vol. 2A chapter 2, "Instruction Format").
 *
 * <p>Prefixes are emitted in the order GNU as uses (segment, 0x67, 0x66, REP/LOCK, REX), so that
 * the encodings can be compared byte for byte with {@code as}.
 */
final class Encoder {
    /** Operand-size override prefix 0x66 needed. */
    static final int OSZ = 1;
    /** REX.W needed. */
    static final int REXW = 2;

    private final CodeBuffer buf;
    private int mode;
    private int pendingPrefix;

    /** How a memory operand is encoded (computed before any byte is emitted). */
    private record Address(boolean prefix67, int rexXB, int modrm, int sib, int dispBytes, long disp, Label rip) {
    }

    Encoder(CodeBuffer buf, int mode) {
        this.buf = buf;
        setMode(mode);
    }

    void setMode(int bits) {
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("mode must be 16, 32 or 64 bits: " + bits);
        }
        mode = bits;
    }

    int mode() {
        return mode;
    }

    CodeBuffer buffer() {
        return buf;
    }

    void setPendingPrefix(int prefix) {
        if (pendingPrefix != 0) {
            throw new IllegalStateException(String.format("prefix 0x%02x is already pending", pendingPrefix));
        }
        pendingPrefix = prefix;
    }

    boolean hasPendingPrefix() {
        return pendingPrefix != 0;
    }

    void requireLongMode(String what) {
        if (mode != 64) {
            throw new IllegalStateException(what + " exists only in 64-bit mode (current mode: " + mode + "-bit)");
        }
    }

    void requireNotLongMode(String what) {
        if (mode == 64) {
            throw new IllegalStateException(what + " is not encodable in 64-bit mode");
        }
    }

    /** Prefix flags for an instruction whose operand is {@code bits} wide (SDM Vol. 1 §3.6). */
    int sizeFlags(int bits) {
        return switch (bits) {
            case 8 -> 0;
            case 16 -> mode == 16 ? 0 : OSZ;
            case 32 -> mode == 16 ? OSZ : 0;
            case 64 -> {
                requireLongMode("64-bit operand size");
                yield REXW;
            }
            default -> throw new IllegalArgumentException("operand size must be 8, 16, 32 or 64 bits: " + bits);
        };
    }

    /**
     * Prefix flags for instructions whose operand size defaults to 64 bits in long mode and cannot
     * be 32 there: PUSH, POP, near indirect CALL/JMP (SDM Vol. 1 §3.6.1, Table 3-4 note).
     */
    int stackSizeFlags(int bits) {
        if (bits == 8) {
            throw new IllegalArgumentException("stack and branch operands cannot be 8 bits");
        }
        if (mode == 64) {
            return switch (bits) {
                case 64 -> 0;
                case 16 -> OSZ;
                default -> throw new IllegalArgumentException("a 32-bit operand is not encodable here in 64-bit mode");
            };
        }
        if (bits == 64) {
            throw new IllegalStateException("64-bit operands exist only in 64-bit mode");
        }
        return sizeFlags(bits);
    }

    void checkRegister(Reg r) {
        if (mode != 64 && !r.existsOutsideLongMode()) {
            throw new IllegalStateException("register " + r + " exists only in 64-bit mode");
        }
    }

    /**
     * Emits the prefixes and opcode bytes of an instruction without ModRM. {@code opcodeReg}, when
     * not null, is added to the last opcode byte (the "+r" forms) and sets REX.B if needed. The
     * caller then emits immediates or references and calls {@link #end()}.
     */
    void begin(int flags, boolean prefix67, SegReg seg, Reg opcodeReg, int... opcode) {
        int rex = (flags & REXW) != 0 ? 0x48 : 0;
        int last = opcode[opcode.length - 1];
        if (opcodeReg != null) {
            checkRegister(opcodeReg);
            if (opcodeReg.isExtended()) {
                rex |= 0x41;
            }
            if (opcodeReg.needsRex()) {
                rex |= 0x40;
            }
            last += opcodeReg.code() & 7;
        }
        prefixes(seg, prefix67, flags, rex);
        for (int i = 0; i < opcode.length - 1; i++) {
            buf.emit8(opcode[i]);
        }
        buf.emit8(last);
    }

    /** Shorthand for {@link #begin(int, boolean, SegReg, Reg, int...)} without 0x67 or segment. */
    void begin(int flags, Reg opcodeReg, int... opcode) {
        begin(flags, false, null, opcodeReg, opcode);
    }

    void imm(long value, int bytes) {
        buf.emitLe(value, bytes);
    }

    void end() {
        buf.endInstruction();
    }

    /** An opcode with no operands at all. */
    void simple(int flags, int... opcode) {
        begin(flags, null, opcode);
        end();
    }

    /**
     * Emits a whole ModRM instruction: {@code reg} goes into ModRM.reg (a register number or an
     * opcode extension "/digit"), {@code regOperand} is that register when it is one (for the REX
     * rules of byte registers), {@code rm} is the r/m operand, and an immediate follows.
     */
    void modrm(int flags, int[] opcode, int reg, Reg regOperand, Operand rm, int immBytes, long imm) {
        int rex = (flags & REXW) != 0 ? 0x48 : 0;
        boolean forceRex = false;
        Reg highByte = null;
        if (reg >= 8) {
            rex |= 0x44;
        }
        if (regOperand != null) {
            checkRegister(regOperand);
            forceRex |= regOperand.needsRex();
            highByte = regOperand.isHighByte() ? regOperand : null;
        }
        Address address = null;
        SegReg seg = null;
        int modrmByte;
        switch (rm) {
            case Reg r -> {
                checkRegister(r);
                if (r.isExtended()) {
                    rex |= 0x41;
                }
                forceRex |= r.needsRex();
                highByte = r.isHighByte() ? r : highByte;
                modrmByte = 0xc0 | (reg & 7) << 3 | (r.code() & 7);
            }
            case Mem m -> {
                address = address(m, reg);
                if (address.rexXB != 0) {
                    rex |= 0x40 | address.rexXB;
                }
                seg = m.segment();
                modrmByte = address.modrm;
            }
        }
        if (forceRex) {
            rex |= 0x40;
        }
        if (highByte != null && rex != 0) {
            throw new IllegalArgumentException(highByte + " cannot be encoded in an instruction that needs a REX prefix");
        }
        prefixes(seg, address != null && address.prefix67, flags, rex);
        for (int op : opcode) {
            buf.emit8(op);
        }
        buf.emit8(modrmByte);
        if (address != null) {
            if (address.sib >= 0) {
                buf.emit8(address.sib);
            }
            if (address.rip != null) {
                buf.emitReference(address.rip, CodeBuffer.Kind.RELATIVE, 4, address.disp);
            } else {
                buf.emitLe(address.disp, address.dispBytes);
            }
        }
        buf.emitLe(imm, immBytes);
        buf.endInstruction();
    }

    private void prefixes(SegReg seg, boolean prefix67, int flags, int rex) {
        buf.beginInstruction();
        if (seg != null) {
            buf.emit8(seg.overridePrefix());
        }
        if (prefix67) {
            buf.emit8(0x67);
        }
        if ((flags & OSZ) != 0) {
            buf.emit8(0x66);
        }
        if (pendingPrefix != 0) {
            buf.emit8(pendingPrefix);
            pendingPrefix = 0;
        }
        if (rex != 0) {
            buf.emit8(rex);
        }
    }

    /** The address size a memory operand needs: 16, 32 or 64 bits. */
    int addressBits(Mem m) {
        if (m.ripTarget() != null) {
            requireLongMode("RIP-relative addressing");
            return 64;
        }
        Reg any = m.base() != null ? m.base() : m.index();
        if (any == null) {
            long d = m.disp();
            return switch (mode) {
                case 16 -> d >= -0x8000 && d <= 0xffff ? 16 : 32;
                case 32 -> 32;
                default -> Imm.fitsS32(d) ? 64 : 32;
            };
        }
        checkRegister(any);
        if (m.base() != null && m.index() != null) {
            checkRegister(m.index());
        }
        if (any.bits() == 16 && mode == 64) {
            throw new IllegalArgumentException("16-bit addressing is not available in 64-bit mode: " + m);
        }
        return any.bits();
    }

    private Address address(Mem m, int reg) {
        int regBits = (reg & 7) << 3;
        int bits = addressBits(m);
        boolean p67 = bits != mode;
        if (m.ripTarget() != null) {
            return new Address(false, 0, regBits | 5, -1, 4, m.disp(), m.ripTarget());
        }
        if (bits == 16) {
            return address16(m, regBits, p67);
        }
        long disp = m.disp();
        if (bits == 64 ? !Imm.fitsS32(disp) : !(disp >= Integer.MIN_VALUE && disp <= 0xffff_ffffL)) {
            throw new IllegalArgumentException("displacement does not fit in 32 bits: " + m);
        }
        Reg base = m.base();
        Reg index = m.index();
        int ss = Integer.numberOfTrailingZeros(m.scale()) << 6;
        int rexXB = (index != null && index.isExtended() ? 2 : 0) | (base != null && base.isExtended() ? 1 : 0);
        if (base == null && index == null) {
            // In 64-bit mode ModRM r/m=101 means RIP-relative, so an absolute address takes the SIB
            // form with no base and no index (SDM Vol. 2A §2.2.1.6).
            return mode == 64 || bits == 64
                    ? new Address(p67, 0, regBits | 4, 0x25, 4, disp, null)
                    : new Address(p67, 0, regBits | 5, -1, 4, disp, null);
        }
        if (base == null) {
            return new Address(p67, rexXB, regBits | 4, ss | (index.code() & 7) << 3 | 5, 4, disp, null);
        }
        int b = base.code() & 7;
        // r/m=101 with mod=00 is disp32/RIP, so [EBP]/[R13] need an explicit zero displacement.
        int mod = disp == 0 && b != 5 ? 0 : Imm.fitsS8(disp) ? 1 : 2;
        int dispBytes = mod == 0 ? 0 : mod == 1 ? 1 : 4;
        if (index != null || b == 4) {
            int sib = ss | (index != null ? index.code() & 7 : 4) << 3 | b;
            return new Address(p67, rexXB, mod << 6 | regBits | 4, sib, dispBytes, disp, null);
        }
        return new Address(p67, rexXB, mod << 6 | regBits | b, -1, dispBytes, disp, null);
    }

    /** 8086 addressing forms, SDM Vol. 2A Table 2-1. */
    private static Address address16(Mem m, int regBits, boolean p67) {
        if (m.scale() != 1) {
            throw new IllegalArgumentException("16-bit addressing has no scale: " + m);
        }
        boolean bx = m.base() == Reg.BX || m.index() == Reg.BX;
        boolean bp = m.base() == Reg.BP || m.index() == Reg.BP;
        boolean si = m.base() == Reg.SI || m.index() == Reg.SI;
        boolean di = m.base() == Reg.DI || m.index() == Reg.DI;
        int regs = (m.base() != null ? 1 : 0) + (m.index() != null ? 1 : 0);
        int used = (bx ? 1 : 0) + (bp ? 1 : 0) + (si ? 1 : 0) + (di ? 1 : 0);
        if (used != regs || bx && bp || si && di) {
            throw new IllegalArgumentException("not a 16-bit addressing form ([BX|BP] + [SI|DI] + disp): " + m);
        }
        long disp = m.disp();
        if (disp < -0x8000 || disp > 0xffff) {
            throw new IllegalArgumentException("displacement does not fit in 16 bits: " + m);
        }
        if (regs == 0) {
            return new Address(p67, 0, regBits | 6, -1, 2, disp, null);
        }
        int rm = bx && si ? 0 : bx && di ? 1 : bp && si ? 2 : bp && di ? 3 : si ? 4 : di ? 5 : bp ? 6 : 7;
        int mod = disp == 0 && rm != 6 ? 0 : Imm.fitsS8(disp) ? 1 : 2;
        return new Address(p67, 0, mod << 6 | regBits | rm, -1, mod == 0 ? 0 : mod == 1 ? 1 : 2, disp, null);
    }
}
