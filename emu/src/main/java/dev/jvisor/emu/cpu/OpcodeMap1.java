package dev.jvisor.emu.cpu;

/**
 * The one-byte opcode map (SDM Vol. 2D Appendix A, Table A-2): picks the executable instruction
 * class for each primary opcode and decodes its operands into the decoder's template.
 */
final class OpcodeMap1 {
    private OpcodeMap1() {
    }

    static Insn decode(Decoder d, int b) {
        Insn t = d.t;
        boolean m64 = d.mode == 64;
        switch (b >> 4) {
            case 0x0, 0x1, 0x2, 0x3 -> {
                if ((b & 7) < 6) {
                    return alu(d, b);
                }
                return legacyRow0to3(d, b);
            }
            case 0x4 -> {
                // INC/DEC r (REX prefixes in 64-bit mode were consumed by the decoder).
                t.op = b < 0x48 ? Unary.INC : Unary.DEC;
                t.rm = b & 7;
                return d.make(new Unary());
            }
            case 0x5 -> {
                int reg = (b & 7) | (d.rexB ? 8 : 0);
                t.reg = reg;
                int ss = stackSize(d);
                t.size = ss;
                if (ss == 8) {
                    return b < 0x58 ? d.make(new Stack.PushR64()) : d.make(new Stack.PopR64());
                }
                return b < 0x58 ? d.make(new Stack.PushR()) : d.make(new Stack.PopR());
            }
            case 0x6 -> {
                return row6(d, b);
            }
            case 0x7 -> {
                t.op = b & 0xf;
                t.imm = (byte) d.fetch8();
                t.size = m64 ? 8 : d.osize;
                d.relative = true;
                return d.make(new Branch.Jcc());
            }
            case 0x8 -> {
                return row8(d, b);
            }
            case 0x9 -> {
                return row9(d, b);
            }
            case 0xa -> {
                return rowA(d, b);
            }
            case 0xb -> {
                if (b < 0xb8) {
                    t.size = 1;
                    int reg = (b & 7) | (d.rexB ? 8 : 0);
                    if (!d.rex && reg >= 4 && reg < 8) {
                        t.rm = reg - 4;
                        t.rmHi = true;
                    } else {
                        t.rm = reg;
                    }
                    t.imm = d.fetch8();
                } else {
                    t.rm = (b & 7) | (d.rexB ? 8 : 0);
                    t.imm = d.osize == 8 ? d.fetch64() : d.osize == 4 ? d.fetch32() : d.fetch16();
                }
                return d.make(new Moves.RI());
            }
            case 0xc -> {
                return rowC(d, b);
            }
            case 0xd -> {
                return rowD(d, b);
            }
            case 0xe -> {
                return rowE(d, b);
            }
            default -> {
                return rowF(d, b);
            }
        }
    }

    /** Stack operand size: 64-bit mode pushes 8 bytes unless 66h gives 2. */
    static int stackSize(Decoder d) {
        if (d.mode == 64) {
            return d.opsize ? 2 : 8;
        }
        return d.osize;
    }

    static void swapRegRm(Insn t) {
        int r = t.reg;
        boolean h = t.regHi;
        t.reg = t.rm;
        t.regHi = t.rmHi;
        t.rm = r;
        t.rmHi = h;
    }

    /** 00-3F: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP in their six forms. */
    private static Insn alu(Decoder d, int b) {
        Insn t = d.t;
        t.op = b >> 3;
        int form = b & 7;
        switch (form) {
            case 0, 1, 2, 3 -> {
                int size = (form & 1) == 0 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                boolean toReg = form >= 2;
                if (d.isMem()) {
                    return toReg ? d.make(new Alu.RM()) : d.make(new Alu.MR());
                }
                if (toReg) {
                    swapRegRm(t);
                }
                if (t.reg == t.rm && t.regHi == t.rmHi && (t.op == Alu.XOR || t.op == Alu.SUB)) {
                    return d.make(new Alu.Zero());
                }
                if (size == 8) {
                    Insn fast = Fast64.aluRR64(t.op);
                    if (fast != null) {
                        return d.make(fast);
                    }
                }
                return d.make(new Alu.RR());
            }
            case 4 -> {
                t.size = 1;
                t.rm = 0;
                t.imm = d.fetch8();
                return d.make(new Alu.RI());
            }
            default -> {
                t.size = d.osize;
                t.rm = 0;
                t.imm = d.immZ();
                if (t.size == 8) {
                    Insn fast = Fast64.aluRI64(t.op);
                    if (fast != null) {
                        return d.make(fast);
                    }
                }
                return d.make(new Alu.RI());
            }
        }
    }

    /** 06/07/0E/16/17/1E/1F push/pop segment; 27/2F/37/3F BCD adjust (legacy modes only). */
    private static Insn legacyRow0to3(Decoder d, int b) {
        Insn t = d.t;
        if (d.mode == 64) {
            return d.undefined();
        }
        switch (b) {
            case 0x06, 0x0e, 0x16, 0x1e -> {
                SystemInsns.Sys s = sys(d, SystemInsns.PUSH_SREG);
                s.sreg = b >> 3;
                return s;
            }
            case 0x07, 0x17, 0x1f -> {
                SystemInsns.Sys s = sys(d, SystemInsns.POP_SREG);
                s.sreg = b >> 3;
                return s;
            }
            case 0x27 -> t.op = Bcd.DAA;
            case 0x2f -> t.op = Bcd.DAS;
            case 0x37 -> t.op = Bcd.AAA;
            case 0x3f -> t.op = Bcd.AAS;
            default -> {
                return d.undefined();
            }
        }
        return d.make(new Bcd());
    }

    static SystemInsns.Sys sys(Decoder d, int op) {
        d.t.op = op;
        return d.make(new SystemInsns.Sys());
    }

    private static Insn row6(Decoder d, int b) {
        Insn t = d.t;
        switch (b) {
            case 0x60, 0x61 -> {
                if (d.mode == 64) return d.undefined();
                return b == 0x60 ? d.make(new Stack.Pusha()) : d.make(new Stack.Popa());
            }
            case 0x63 -> {
                if (d.mode != 64) return d.undefined(); // ARPL is not supported
                d.modrm(d.osize);
                t.op = d.osize == 8 ? 4 : d.osize;
                t.imm = 1;
                return d.make(new Moves.Extend());
            }
            case 0x68, 0x6a -> {
                t.size = stackSize(d);
                t.imm = b == 0x68 ? d.immSigned(d.osize == 2 ? 2 : 4) : (byte) d.fetch8();
                return d.make(new Stack.PushI());
            }
            case 0x69, 0x6b -> {
                d.modrm(d.osize);
                t.rep = 1;
                t.imm = b == 0x69 ? d.immZ() : (byte) d.fetch8();
                return d.make(new MulDiv.Imul2());
            }
            case 0x6c, 0x6d, 0x6e, 0x6f -> {
                t.size = (b & 1) == 0 ? 1 : Math.min(d.osize, 4);
                t.op = b < 0x6e ? StringOps.INS : StringOps.OUTS;
                t.rep = d.repPrefix != 0 ? 1 : 0;
                return d.make(new StringOps.Str());
            }
            default -> {
                return d.undefined(); // 62 BOUND/EVEX, 64-67 are prefixes
            }
        }
    }

    private static Insn row8(Decoder d, int b) {
        Insn t = d.t;
        switch (b) {
            case 0x80, 0x81, 0x82, 0x83 -> {
                if (b == 0x82 && d.mode == 64) return d.undefined();
                int size = b == 0x81 || b == 0x83 ? d.osize : 1;
                t.size = size;
                d.modrm(size);
                t.op = d.modReg;
                t.imm = b == 0x81 ? d.immZ() : (byte) d.fetch8();
                if (!d.isMem() && size == 8) {
                    Insn fast = Fast64.aluRI64(t.op);
                    if (fast != null) {
                        return d.make(fast);
                    }
                }
                return d.isMem() ? d.make(new Alu.MI()) : d.make(new Alu.RI());
            }
            case 0x84, 0x85 -> {
                int size = b == 0x84 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                t.op = Alu.TEST;
                if (!d.isMem() && size == 8) {
                    return d.make(new Fast64.TestRR());
                }
                return d.isMem() ? d.make(new Alu.MR()) : d.make(new Alu.RR());
            }
            case 0x86, 0x87 -> {
                int size = b == 0x86 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                return d.make(new Moves.Xchg());
            }
            case 0x88, 0x89, 0x8a, 0x8b -> {
                int size = (b & 1) == 0 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                boolean toReg = b >= 0x8a;
                if (d.isMem()) {
                    if (size == 8) {
                        return toReg ? d.make(new Moves.Load64()) : d.make(new Moves.Store64());
                    }
                    return toReg ? d.make(new Moves.Load()) : d.make(new Moves.Store());
                }
                if (toReg) {
                    swapRegRm(t);
                }
                return size == 8 ? d.make(new Moves.RR64()) : d.make(new Moves.RR());
            }
            case 0x8c -> {
                d.modrm(2);
                if (d.modReg > 5) return d.undefined();
                t.size = d.isMem() ? 2 : d.osize;
                SystemInsns.Sys s = sys(d, SystemInsns.MOV_FROM_SREG);
                s.sreg = d.modReg;
                return s;
            }
            case 0x8d -> {
                d.modrm(d.osize);
                if (!d.isMem()) return d.undefined();
                return d.make(new Moves.Lea());
            }
            case 0x8e -> {
                d.modrm(2);
                if (d.modReg > 5 || d.modReg == Cpu.CS) return d.undefined();
                t.size = 2;
                SystemInsns.Sys s = sys(d, SystemInsns.MOV_TO_SREG);
                s.sreg = d.modReg;
                return s;
            }
            default -> { // 8F /0 POP Ev
                int size = stackSize(d);
                t.size = size;
                d.modrm(size);
                if (d.modReg != 0) return d.undefined();
                return d.make(new Stack.PopRm());
            }
        }
    }

    private static Insn row9(Decoder d, int b) {
        Insn t = d.t;
        if (b == 0x90 && !d.rexB) {
            t.op = d.repPrefix == 1 ? Misc.PAUSE : Misc.NOP; // F3 90 is PAUSE
            return d.make(new Misc.Simple());
        }
        if (b <= 0x97) {
            t.size = d.osize;
            t.reg = 0;
            t.rm = (b & 7) | (d.rexB ? 8 : 0);
            return d.make(new Moves.Xchg());
        }
        switch (b) {
            case 0x98 -> t.op = Misc.CBW;
            case 0x99 -> t.op = Misc.CWD;
            case 0x9a -> {
                if (d.mode == 64) return d.undefined();
                t.imm = d.osize == 4 ? d.fetch32() : d.fetch16();
                int sel = d.fetch16();
                SystemInsns.Sys s = sys(d, SystemInsns.CALL_FAR);
                s.farSelector = sel;
                return s;
            }
            case 0x9b -> t.op = Misc.FWAIT;
            case 0x9c -> {
                t.size = stackSize(d);
                return d.make(new Stack.Pushf());
            }
            case 0x9d -> {
                t.size = stackSize(d);
                return d.make(new Stack.Popf());
            }
            case 0x9e -> t.op = Misc.SAHF;
            default -> t.op = Misc.LAHF;
        }
        return d.make(new Misc.Simple());
    }

    private static Insn rowA(Decoder d, int b) {
        Insn t = d.t;
        switch (b) {
            case 0xa0, 0xa1, 0xa2, 0xa3 -> {
                int size = (b & 1) == 0 ? 1 : d.osize;
                t.size = size;
                t.disp = d.asize == 8 ? d.fetch64() : d.asize == 4 ? d.fetch32() : d.fetch16();
                t.reg = 0;
                return b < 0xa2 ? d.make(new Moves.Load()) : d.make(new Moves.Store());
            }
            case 0xa8, 0xa9 -> {
                t.size = b == 0xa8 ? 1 : d.osize;
                t.rm = 0;
                t.op = Alu.TEST;
                t.imm = b == 0xa8 ? d.fetch8() : d.immZ();
                return d.make(new Alu.RI());
            }
            default -> {
                t.size = (b & 1) == 0 ? 1 : d.osize;
                t.op = switch (b & ~1) {
                    case 0xa4 -> StringOps.MOVS;
                    case 0xa6 -> StringOps.CMPS;
                    case 0xaa -> StringOps.STOS;
                    case 0xac -> StringOps.LODS;
                    default -> StringOps.SCAS;
                };
                boolean compares = t.op == StringOps.CMPS || t.op == StringOps.SCAS;
                t.rep = compares ? d.repPrefix : (d.repPrefix != 0 ? 1 : 0);
                return d.make(new StringOps.Str());
            }
        }
    }

    private static Insn rowC(Decoder d, int b) {
        Insn t = d.t;
        switch (b) {
            case 0xc0, 0xc1 -> {
                int size = b == 0xc0 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                t.op = d.modReg;
                t.imm = d.fetch8();
                int count = (int) (t.imm & 63);
                if (size == 8 && !d.isMem() && count != 0 && t.op >= Shifts.SHL) {
                    t.imm = count;
                    return d.make(new Fast64.ShiftRI());
                }
                return d.make(new Shifts.Group2());
            }
            case 0xc2, 0xc3 -> {
                t.size = stackSize(d);
                t.imm = b == 0xc2 ? d.fetch16() : 0;
                if (t.size == 8 && t.imm == 0) {
                    return d.make(new Branch.Ret64());
                }
                return d.make(new Branch.Ret());
            }
            case 0xc4, 0xc5 -> {
                if (d.mode == 64) return d.undefined(); // VEX: AVX is not advertised
                d.modrm(d.osize);
                if (!d.isMem()) return d.undefined();
                SystemInsns.Sys s = sys(d, SystemInsns.LOAD_FAR_POINTER);
                s.sreg = b == 0xc4 ? Cpu.ES : Cpu.DS;
                return s;
            }
            case 0xc6, 0xc7 -> {
                int size = b == 0xc6 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                if (d.modReg != 0) return d.undefined();
                t.imm = size == 1 ? d.fetch8() : d.immZ();
                return d.isMem() ? d.make(new Moves.MI()) : d.make(new Moves.RI());
            }
            case 0xc8 -> {
                t.size = stackSize(d);
                t.imm = d.fetch16();
                t.op = d.fetch8();
                return d.make(new Stack.Enter());
            }
            case 0xc9 -> {
                t.size = stackSize(d);
                return d.make(new Stack.Leave());
            }
            case 0xca, 0xcb -> {
                t.imm = b == 0xca ? d.fetch16() : 0;
                return sys(d, SystemInsns.RETF);
            }
            case 0xcc -> {
                t.op = CpuException.BP;
                t.rep = 1;
                return d.make(new Misc.Int());
            }
            case 0xcd -> {
                t.op = d.fetch8();
                return d.make(new Misc.Int());
            }
            case 0xce -> {
                if (d.mode == 64) return d.undefined();
                t.op = CpuException.OF;
                t.rep = 2;
                return d.make(new Misc.Int());
            }
            default -> {
                return sys(d, SystemInsns.IRET);
            }
        }
    }

    private static Insn rowD(Decoder d, int b) {
        Insn t = d.t;
        if (b <= 0xd3) {
            int size = (b & 1) == 0 ? 1 : d.osize;
            t.size = size;
            d.modrm(size);
            t.op = d.modReg;
            if (b >= 0xd2) {
                t.rep = 1; // count in CL
            } else {
                t.imm = 1;
            }
            return d.make(new Shifts.Group2());
        }
        switch (b) {
            case 0xd4, 0xd5 -> {
                if (d.mode == 64) return d.undefined();
                t.op = b == 0xd4 ? Bcd.AAM : Bcd.AAD;
                t.imm = d.fetch8();
                return d.make(new Bcd());
            }
            case 0xd6 -> {
                if (d.mode == 64) return d.undefined();
                t.op = Misc.SALC;
                return d.make(new Misc.Simple());
            }
            case 0xd7 -> {
                t.op = Misc.XLAT;
                return d.make(new Misc.Simple());
            }
            default -> {
                return X87Decoder.decode(d, b);
            }
        }
    }

    private static Insn rowE(Decoder d, int b) {
        Insn t = d.t;
        boolean m64 = d.mode == 64;
        switch (b) {
            case 0xe0, 0xe1, 0xe2, 0xe3 -> {
                t.op = b - 0xe0;
                t.imm = (byte) d.fetch8();
                d.relative = true;
                return d.make(new Branch.Loop());
            }
            case 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef -> {
                t.size = (b & 1) == 0 ? 1 : Math.min(d.osize, 4);
                t.imm = b < 0xe8 ? d.fetch8() : -1;
                return (b & 2) == 0 ? d.make(new Io.In()) : d.make(new Io.Out());
            }
            case 0xe8 -> {
                t.size = m64 ? 8 : d.osize;
                t.imm = d.immSigned(d.osize == 2 && !m64 ? 2 : 4);
                d.relative = true;
                return d.make(new Branch.Call());
            }
            case 0xe9 -> {
                t.size = m64 ? 8 : d.osize;
                t.imm = d.immSigned(d.osize == 2 && !m64 ? 2 : 4);
                d.relative = true;
                return d.make(new Branch.Jmp());
            }
            case 0xea -> {
                if (m64) return d.undefined();
                t.imm = d.osize == 4 ? d.fetch32() : d.fetch16();
                int sel = d.fetch16();
                SystemInsns.Sys s = sys(d, SystemInsns.JMP_FAR);
                s.farSelector = sel;
                return s;
            }
            default -> { // EB
                t.size = m64 ? 8 : d.osize;
                t.imm = (byte) d.fetch8();
                d.relative = true;
                return d.make(new Branch.Jmp());
            }
        }
    }

    private static Insn rowF(Decoder d, int b) {
        Insn t = d.t;
        switch (b) {
            case 0xf1 -> {
                t.op = CpuException.DB;
                t.rep = 1;
                return d.make(new Misc.Int());
            }
            case 0xf4 -> {
                return sys(d, SystemInsns.HLT);
            }
            case 0xf5 -> t.op = Misc.CMC;
            case 0xf6, 0xf7 -> {
                int size = b == 0xf6 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                int r = d.modReg;
                if (r <= 1) {
                    t.op = Alu.TEST;
                    t.imm = size == 1 ? d.fetch8() : d.immZ();
                    return d.isMem() ? d.make(new Alu.MI()) : d.make(new Alu.RI());
                }
                if (r == 2 || r == 3) {
                    t.op = r == 2 ? Unary.NOT : Unary.NEG;
                    return d.make(new Unary());
                }
                t.op = r;
                return d.make(new MulDiv.Group3());
            }
            case 0xf8 -> t.op = Misc.CLC;
            case 0xf9 -> t.op = Misc.STC;
            case 0xfa -> {
                return sys(d, SystemInsns.CLI);
            }
            case 0xfb -> {
                return sys(d, SystemInsns.STI);
            }
            case 0xfc -> t.op = Misc.CLD;
            case 0xfd -> t.op = Misc.STD;
            case 0xfe -> {
                t.size = 1;
                d.modrm(1);
                if (d.modReg > 1) return d.undefined();
                t.op = d.modReg;
                return d.make(new Unary());
            }
            default -> {
                return group5(d);
            }
        }
        return d.make(new Misc.Simple());
    }

    /** FF: INC, DEC, CALL, CALL far, JMP, JMP far, PUSH. */
    private static Insn group5(Decoder d) {
        Insn t = d.t;
        boolean m64 = d.mode == 64;
        // Peek the reg field to choose the operand size before decoding the memory operand.
        d.modrm(d.osize);
        int r = d.modReg;
        switch (r) {
            case 0, 1 -> {
                t.op = r;
                return d.make(new Unary());
            }
            case 2, 4 -> {
                t.size = m64 ? 8 : d.osize;
                return r == 2 ? d.make(new Branch.CallRm()) : d.make(new Branch.JmpRm());
            }
            case 3, 5 -> {
                if (!d.isMem()) return d.undefined();
                // m16:16, m16:32 or (REX.W) m16:64; 64-bit mode defaults to m16:32.
                t.size = d.rexW ? 8 : m64 ? (d.opsize ? 2 : 4) : d.osize;
                return sys(d, r == 3 ? SystemInsns.CALL_FAR_MEM : SystemInsns.JMP_FAR_MEM);
            }
            case 6 -> {
                t.size = stackSize(d);
                return d.make(new Stack.PushRm());
            }
            default -> {
                return d.undefined();
            }
        }
    }
}
