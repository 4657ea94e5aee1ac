package dev.jvisor.emu.cpu;

/**
 * The two-byte opcode map, 0F xx (SDM Vol. 2D Appendix A, Table A-3), for the integer and system
 * instructions; SSE/MMX opcodes go to {@link SseDecoder}.
 */
final class OpcodeMap2 {
    private OpcodeMap2() {
    }

    static Insn decode(Decoder d, int b) {
        Insn t = d.t;
        if (SseDecoder.handles(b)) {
            return SseDecoder.decode(d, b);
        }
        switch (b) {
            case 0x00 -> {
                return group6(d);
            }
            case 0x01 -> {
                return group7(d);
            }
            case 0x02, 0x03 -> {
                d.modrm(2);
                t.size = d.osize;
                return OpcodeMap1.sys(d, b == 0x02 ? SystemInsns.LAR : SystemInsns.LSL);
            }
            case 0x05 -> {
                return OpcodeMap1.sys(d, SystemInsns.SYSCALL);
            }
            case 0x06 -> {
                return OpcodeMap1.sys(d, SystemInsns.CLTS);
            }
            case 0x07 -> {
                return OpcodeMap1.sys(d, SystemInsns.SYSRET);
            }
            case 0x08, 0x09 -> {
                return OpcodeMap1.sys(d, SystemInsns.WBINVD);
            }
            case 0x0d, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f -> {
                // Prefetch hints and the multi-byte NOP: decode the operand, do nothing.
                d.modrm(d.osize);
                t.op = Misc.NOP;
                return d.make(new Misc.Simple());
            }
            case 0x20, 0x21, 0x22, 0x23 -> {
                d.modrm(8);
                int n = d.modReg | (d.rexR ? 8 : 0);
                t.rm = d.modRm | (d.rexB ? 8 : 0);
                t.size = d.mode == 64 ? 8 : 4;
                int op = switch (b) {
                    case 0x20 -> SystemInsns.MOV_FROM_CR;
                    case 0x21 -> SystemInsns.MOV_FROM_DR;
                    case 0x22 -> SystemInsns.MOV_TO_CR;
                    default -> SystemInsns.MOV_TO_DR;
                };
                SystemInsns.Sys s = OpcodeMap1.sys(d, op);
                s.sreg = n;
                return s;
            }
            case 0x30 -> {
                return OpcodeMap1.sys(d, SystemInsns.WRMSR);
            }
            case 0x31 -> {
                t.op = Misc.RDTSC;
                return d.make(new Misc.Simple());
            }
            case 0x32 -> {
                return OpcodeMap1.sys(d, SystemInsns.RDMSR);
            }
            case 0x33 -> {
                return OpcodeMap1.sys(d, SystemInsns.RDPMC);
            }
            case 0xa0, 0xa8 -> {
                t.size = OpcodeMap1.stackSize(d);
                SystemInsns.Sys s = OpcodeMap1.sys(d, SystemInsns.PUSH_SREG);
                s.sreg = b == 0xa0 ? Cpu.FS : Cpu.GS;
                return s;
            }
            case 0xa1, 0xa9 -> {
                t.size = OpcodeMap1.stackSize(d);
                SystemInsns.Sys s = OpcodeMap1.sys(d, SystemInsns.POP_SREG);
                s.sreg = b == 0xa1 ? Cpu.FS : Cpu.GS;
                return s;
            }
            case 0xa2 -> {
                t.op = Misc.CPUID;
                return d.make(new Misc.Simple());
            }
            case 0xa3, 0xab, 0xb3, 0xbb -> {
                d.modrm(d.osize);
                t.rep = 1; // bit offset in a register
                t.op = switch (b) {
                    case 0xa3 -> BitOps.BT;
                    case 0xab -> BitOps.BTS;
                    case 0xb3 -> BitOps.BTR;
                    default -> BitOps.BTC;
                };
                return d.make(new BitOps.Bt());
            }
            case 0xa4, 0xa5, 0xac, 0xad -> {
                d.modrm(d.osize);
                t.op = b >= 0xac ? 1 : 0;
                if ((b & 1) == 0) {
                    t.imm = d.fetch8();
                } else {
                    t.rep = 1;
                }
                return d.make(new Shifts.DoubleShift());
            }
            case 0xae -> {
                return group15(d);
            }
            case 0xaf -> {
                d.modrm(d.osize);
                if (d.osize == 8 && !d.isMem()) {
                    return d.make(new Fast64.ImulRR());
                }
                return d.make(new MulDiv.Imul2());
            }
            case 0xb0, 0xb1 -> {
                int size = b == 0xb0 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                return d.make(new Misc.Cmpxchg());
            }
            case 0xb2, 0xb4, 0xb5 -> {
                d.modrm(d.osize);
                if (!d.isMem()) return d.undefined();
                SystemInsns.Sys s = OpcodeMap1.sys(d, SystemInsns.LOAD_FAR_POINTER);
                s.sreg = b == 0xb2 ? Cpu.SS : b == 0xb4 ? Cpu.FS : Cpu.GS;
                return s;
            }
            case 0xb6, 0xb7, 0xbe, 0xbf -> {
                int src = (b & 1) == 0 ? 1 : 2;
                d.modrm(d.osize, src);
                t.op = src;
                t.imm = b >= 0xbe ? 1 : 0;
                return d.make(new Moves.Extend());
            }
            case 0xba -> {
                d.modrm(d.osize);
                if (d.modReg < 4) return d.undefined();
                t.op = d.modReg - 4;
                t.imm = d.fetch8();
                return d.make(new BitOps.Bt());
            }
            case 0xbc, 0xbd -> {
                // F3 0F BC/BD are TZCNT/LZCNT only with BMI1/ABM, which are not advertised: they
                // execute as BSF/BSR, as on CPUs without those features.
                d.modrm(d.osize);
                t.op = b - 0xbc;
                return d.make(new BitOps.Scan());
            }
            case 0xc0, 0xc1 -> {
                int size = b == 0xc0 ? 1 : d.osize;
                t.size = size;
                d.modrm(size);
                return d.make(new Misc.Xadd());
            }
            case 0xc7 -> {
                d.modrm(d.osize);
                if (d.modReg == 1 && d.isMem() && !d.rexW) {
                    return d.make(new Misc.Cmpxchg8b());
                }
                return d.undefined(); // CMPXCHG16B, RDRAND, RDSEED, RDPID: not advertised
            }
            case 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf -> {
                t.reg = (b & 7) | (d.rexB ? 8 : 0);
                return d.make(new Moves.Bswap());
            }
            default -> {
                if (b >= 0x40 && b <= 0x4f) {
                    d.modrm(d.osize);
                    t.op = b & 0xf;
                    return d.make(new Moves.Cmov());
                }
                if (b >= 0x80 && b <= 0x8f) {
                    t.op = b & 0xf;
                    boolean m64 = d.mode == 64;
                    t.size = m64 ? 8 : d.osize;
                    t.imm = d.immSigned(d.osize == 2 && !m64 ? 2 : 4);
                    d.relative = true;
                    return d.make(new Branch.Jcc());
                }
                if (b >= 0x90 && b <= 0x9f) {
                    t.size = 1;
                    d.modrm(1);
                    t.op = b & 0xf;
                    return d.make(new Moves.Setcc());
                }
                return d.undefined();
            }
        }
    }

    /** 0F 00: SLDT, STR, LLDT, LTR, VERR, VERW. */
    private static Insn group6(Decoder d) {
        Insn t = d.t;
        d.modrm(2);
        int op;
        switch (d.modReg) {
            case 0 -> op = SystemInsns.SLDT;
            case 1 -> op = SystemInsns.STR;
            case 2 -> op = SystemInsns.LLDT;
            case 3 -> op = SystemInsns.LTR;
            case 4 -> op = SystemInsns.VERR;
            case 5 -> op = SystemInsns.VERW;
            default -> {
                return d.undefined();
            }
        }
        t.size = d.isMem() || op >= SystemInsns.LLDT ? 2 : d.osize;
        if (op == SystemInsns.LLDT || op == SystemInsns.LTR || op == SystemInsns.VERR || op == SystemInsns.VERW) {
            t.size = 2;
        }
        return OpcodeMap1.sys(d, op);
    }

    /** 0F 01: descriptor tables, SMSW/LMSW, INVLPG, SWAPGS and the register-form system opcodes. */
    private static Insn group7(Decoder d) {
        Insn t = d.t;
        d.modrm(d.osize);
        if (d.isMem()) {
            int op = switch (d.modReg) {
                case 0 -> SystemInsns.SGDT;
                case 1 -> SystemInsns.SIDT;
                case 2 -> SystemInsns.LGDT;
                case 3 -> SystemInsns.LIDT;
                case 4 -> SystemInsns.SMSW;
                case 6 -> SystemInsns.LMSW;
                case 7 -> SystemInsns.INVLPG;
                default -> -1;
            };
            if (op < 0) return d.undefined();
            if (op == SystemInsns.SMSW || op == SystemInsns.LMSW) {
                t.size = 2;
            }
            return OpcodeMap1.sys(d, op);
        }
        switch (d.modReg) {
            case 4 -> {
                return OpcodeMap1.sys(d, SystemInsns.SMSW);
            }
            case 6 -> {
                t.size = 2;
                return OpcodeMap1.sys(d, SystemInsns.LMSW);
            }
            case 7 -> {
                if (d.modRm == 0 && d.mode == 64) {
                    return OpcodeMap1.sys(d, SystemInsns.SWAPGS);
                }
                return d.undefined(); // RDTSCP and others are not advertised
            }
            default -> {
                return d.undefined(); // VMX/SVM, MONITOR/MWAIT, CLAC/STAC, XGETBV: not advertised
            }
        }
    }

    /** 0F AE: FXSAVE/FXRSTOR/LDMXCSR/STMXCSR (SSE unit), fences, CLFLUSH. */
    private static Insn group15(Decoder d) {
        Insn t = d.t;
        d.modrm(d.osize);
        if (!d.isMem()) {
            if (d.lastMandatory != 0 || d.modReg < 5) {
                return d.undefined(); // RDFSBASE & co. (FSGSBASE) are not advertised
            }
            t.op = Misc.LFENCE; // LFENCE, MFENCE, SFENCE: a single in-order CPU needs no fence
            return d.make(new Misc.Simple());
        }
        switch (d.modReg) {
            case 0, 1, 2, 3 -> {
                return SseDecoder.group15(d);
            }
            case 7 -> {
                if (d.lastMandatory != 0) return d.undefined();
                t.op = Misc.CLFLUSH;
                return d.make(new Misc.Simple());
            }
            default -> {
                return d.undefined(); // XSAVE family: not advertised
            }
        }
    }
}
