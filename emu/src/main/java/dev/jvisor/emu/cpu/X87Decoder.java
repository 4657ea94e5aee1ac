package dev.jvisor.emu.cpu;

/**
 * The x87 escape opcodes D8-DF (SDM Vol. 2D Appendix A.4, Tables ): memory forms are
 * chosen by opcode and ModRM.reg, register forms (mod = 3) by opcode and the whole ModRM byte.
 *
 * <p>Besides the documented encodings, the aliases every x87 since the 8087 executes are decoded as
 * their documented twins: FSTP1 (D9 D8+i), FCOM2 (DC D0+i), FCOMP3 (DC D8+i), FXCH4 (DD C8+i),
 * FCOMP5 (DE D0+i), FXCH7 (DF C8+i), FSTP8/FSTP9 (DF D0+i/D8+i) and FFREEP (DF C0+i). FISTTP
 * (DB/DD/DF /1) is SSE3, which this CPU does not advertise, and the reserved slots of the maps raise
 * #UD.
 */
final class X87Decoder {
    private X87Decoder() {
    }

    static Insn decode(Decoder d, int b) {
        d.modrm(4);
        if (d.lock) {
            return d.undefined(); // LOCK is never valid on x87 instructions
        }
        int reg = d.modReg;
        int modrm = (d.mod << 6) | (reg << 3) | d.modRm;
        X87Insn insn = d.isMem() ? memory(d, b, reg) : register(d, b, reg, d.modRm);
        if (insn == null) {
            return d.undefined();
        }
        insn.fop = ((b & 7) << 8) | modrm;
        return insn;
    }

    // --- Memory forms ------------------------------------------------------------------------------

    private static X87Insn memory(Decoder d, int b, int reg) {
        return switch (b) {
            case 0xd8 -> arithmetic(d, reg, X87Insn.M32);
            case 0xda -> arithmetic(d, reg, X87Insn.I32);
            case 0xdc -> arithmetic(d, reg, X87Insn.M64);
            case 0xde -> arithmetic(d, reg, X87Insn.I16);
            case 0xd9 -> switch (reg) {
                case 0 -> load(d, X87Insn.M32);
                case 2 -> store(d, X87Insn.M32, false);
                case 3 -> store(d, X87Insn.M32, true);
                case 4 -> control(d, X87Control.LDENV);
                case 5 -> control(d, X87Control.LDCW);
                case 6 -> control(d, X87Control.STENV);
                case 7 -> control(d, X87Control.STCW);
                default -> null;
            };
            case 0xdb -> switch (reg) {
                case 0 -> load(d, X87Insn.I32);
                case 2 -> store(d, X87Insn.I32, false);
                case 3 -> store(d, X87Insn.I32, true);
                case 5 -> load(d, X87Insn.M80);
                case 7 -> store(d, X87Insn.M80, true);
                default -> null; // 1: FISTTP (SSE3)
            };
            case 0xdd -> switch (reg) {
                case 0 -> load(d, X87Insn.M64);
                case 2 -> store(d, X87Insn.M64, false);
                case 3 -> store(d, X87Insn.M64, true);
                case 4 -> control(d, X87Control.RSTOR);
                case 6 -> control(d, X87Control.SAVE);
                case 7 -> control(d, X87Control.STSW);
                default -> null;
            };
            default -> switch (reg) { // DF
                case 0 -> load(d, X87Insn.I16);
                case 2 -> store(d, X87Insn.I16, false);
                case 3 -> store(d, X87Insn.I16, true);
                case 4 -> load(d, X87Insn.BCD);
                case 5 -> load(d, X87Insn.I64);
                case 6 -> store(d, X87Insn.BCD, true);
                case 7 -> store(d, X87Insn.I64, true);
                default -> null;
            };
        };
    }

    /** The eight arithmetic/compare operations of D8, DA, DC, DE with a memory operand. */
    private static X87Insn arithmetic(Decoder d, int reg, int src) {
        if (reg == 2 || reg == 3) {
            return compare(d, src, false, reg - 2, false);
        }
        d.t.op = reg;
        X87Arith a = d.make(new X87Arith());
        a.src = src;
        return a;
    }

    // --- Register forms ----------------------------------------------------------------------------

    private static X87Insn register(Decoder d, int b, int reg, int i) {
        switch (b) {
            case 0xd8 -> {
                return reg == 2 || reg == 3 ? compare(d, X87Insn.REG, false, reg - 2, false) : arith(d, reg, false, false);
            }
            case 0xdc -> {
                return reg == 2 || reg == 3 ? compare(d, X87Insn.REG, false, reg - 2, false) : arith(d, reg, true, false);
            }
            case 0xde -> {
                if (reg == 2) {
                    return compare(d, X87Insn.REG, false, 1, false);
                }
                if (reg == 3) {
                    return i == 1 ? compare(d, X87Insn.REG, false, 2, false) : null; // FCOMPP
                }
                return arith(d, reg, true, true);
            }
            case 0xd9 -> {
                return d9(d, reg, i);
            }
            case 0xda -> {
                if (reg <= 3) {
                    return cmov(d, CMOV_CONDITIONS[reg]);
                }
                return reg == 5 && i == 1 ? compare(d, X87Insn.REG, true, 2, false) : null; // FUCOMPP
            }
            case 0xdb -> {
                return switch (reg) {
                    case 0, 1, 2, 3 -> cmov(d, CMOV_CONDITIONS[reg] ^ 1);
                    case 4 -> switch (i) {
                        case 0, 1, 4 -> control(d, X87Control.NOP); // FNENI, FNDISI, FNSETPM
                        case 2 -> control(d, X87Control.CLEX);
                        case 3 -> control(d, X87Control.INIT);
                        default -> null;
                    };
                    case 5 -> compare(d, X87Insn.REG, true, 0, true); // FUCOMI
                    case 6 -> compare(d, X87Insn.REG, false, 0, true); // FCOMI
                    default -> null;
                };
            }
            case 0xdd -> {
                return switch (reg) {
                    case 0 -> free(d, 0);
                    case 1 -> d.make(new X87Move.Exchange());
                    case 2 -> store(d, X87Insn.REG, false);
                    case 3 -> store(d, X87Insn.REG, true);
                    case 4 -> compare(d, X87Insn.REG, true, 0, false); // FUCOM
                    case 5 -> compare(d, X87Insn.REG, true, 1, false); // FUCOMP
                    default -> null;
                };
            }
            default -> { // DF
                return switch (reg) {
                    case 0 -> free(d, 1); // FFREEP
                    case 1 -> d.make(new X87Move.Exchange());
                    case 2, 3 -> store(d, X87Insn.REG, true);
                    case 4 -> i == 0 ? control(d, X87Control.STSW_AX) : null;
                    case 5 -> compare(d, X87Insn.REG, true, 1, true); // FUCOMIP
                    case 6 -> compare(d, X87Insn.REG, false, 1, true); // FCOMIP
                    default -> null;
                };
            }
        }
    }

    /** FCMOVB/E/BE/U as x86 condition codes (B = 2, E = 4, BE = 6, P = 10); DB negates them. */
    private static final int[] CMOV_CONDITIONS = {0x2, 0x4, 0x6, 0xa};

    private static X87Insn d9(Decoder d, int reg, int i) {
        int second = 0xc0 | (reg << 3) | i;
        switch (reg) {
            case 0 -> {
                return load(d, X87Insn.REG);
            }
            case 1 -> {
                return d.make(new X87Move.Exchange());
            }
            case 2 -> {
                return i == 0 ? unary(d, X87Unary.FNOP) : null;
            }
            case 3 -> {
                X87Move.Store st = (X87Move.Store) store(d, X87Insn.REG, true); // FSTP1
                st.noEmptyCheck = true;
                return st;
            }
            case 4 -> {
                return switch (i) {
                    case 0, 1, 5 -> unary(d, second);
                    case 4 -> compare(d, X87Compare.ZERO_OPERAND, false, 0, false); // FTST
                    default -> null;
                };
            }
            case 5 -> {
                if (i == 7) {
                    return null;
                }
                d.t.op = i;
                X87Move.Load l = d.make(new X87Move.Load());
                l.kind = X87Move.Load.CONST;
                return l;
            }
            default -> {
                return switch (second) {
                    case X87Transcendental.F2XM1, X87Transcendental.FYL2X, X87Transcendental.FPTAN,
                         X87Transcendental.FPATAN, X87Transcendental.FYL2XP1, X87Transcendental.FSINCOS,
                         X87Transcendental.FSIN, X87Transcendental.FCOS -> {
                        d.t.op = second;
                        yield d.make(new X87Transcendental());
                    }
                    default -> unary(d, second);
                };
            }
        }
    }

    // --- Builders ----------------------------------------------------------------------------------

    private static X87Insn arith(Decoder d, int reg, boolean toSti, boolean pop) {
        d.t.op = reg;
        X87Arith a = d.make(new X87Arith());
        a.src = X87Insn.REG;
        a.toSti = toSti;
        a.pop = pop;
        return a;
    }

    private static X87Insn compare(Decoder d, int src, boolean quiet, int pops, boolean eflags) {
        X87Compare cmp = d.make(new X87Compare());
        cmp.src = src;
        cmp.quiet = quiet;
        cmp.pops = pops;
        cmp.eflags = eflags;
        return cmp;
    }

    private static X87Insn load(Decoder d, int kind) {
        X87Move.Load l = d.make(new X87Move.Load());
        l.kind = kind;
        return l;
    }

    private static X87Insn store(Decoder d, int kind, boolean pop) {
        X87Move.Store s = d.make(new X87Move.Store());
        s.kind = kind;
        s.pop = pop;
        return s;
    }

    private static X87Insn cmov(Decoder d, int cc) {
        d.t.op = cc;
        return d.make(new X87Move.Cmov());
    }

    private static X87Insn free(Decoder d, int pop) {
        d.t.op = pop;
        return d.make(new X87Move.Free());
    }

    private static X87Insn unary(Decoder d, int second) {
        d.t.op = second;
        return d.make(new X87Unary());
    }

    private static X87Insn control(Decoder d, int op) {
        d.t.op = op;
        return d.make(new X87Control());
    }
}
