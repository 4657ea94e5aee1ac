package dev.jvisor.emu.cpu;

import java.lang.foreign.ValueLayout;

/**
 * Decodes one x86 instruction at a time into an executable {@link Insn} (SDM Vol. 2 ch. 2:
 * instruction format, prefixes, REX, ModR/M, SIB, displacement and immediate).
 *
 * <p>Decoding fills a template {@link Insn} with the operand fields; the opcode maps
 * ({@link OpcodeMap1}, {@link OpcodeMap2}, {@link SseDecoder}, {@link X87Decoder}) then pick the
 * executable class and copy the template into a fresh instance. Relative targets and RIP-relative
 * displacements are resolved once the instruction's length is known.
 *
 * <p>One decoder per CPU; not thread-safe.
 */
final class Decoder {
    /** The template the opcode maps fill; its exec is never called. */
    static final class Template extends Insn {
        @Override
        void exec(Cpu c) {
            throw new IllegalStateException("template executed");
        }
    }

    final Cpu cpu;
    final Template t = new Template();

    // Fetch state
    private long start;
    private long pos;
    private long pageLinear = -1;
    private long pageHost;
    private int count;
    final byte[] bytes = new byte[15];
    /** Host pages the current instruction's bytes came from (at most two). */
    long firstHostPage;
    long lastHostPage;

    // Prefixes and mode
    int mode;
    boolean opsize;
    boolean adsize;
    boolean lock;
    boolean rex;
    boolean rexW;
    boolean rexR;
    boolean rexX;
    boolean rexB;
    /** 0 none, 1 REP/REPE (F3), 2 REPNE (F2). */
    int repPrefix;
    /** The last of 66/F2/F3 seen, for SSE mandatory-prefix selection (0 if none). */
    int lastMandatory;
    int segOverride;
    /** Operand size in bytes for "v" operands, and address size. */
    int osize;
    int asize;

    // ModRM state
    int mod;
    int modReg;
    int modRm;
    boolean ripRelative;
    /** A relative branch: the displacement in the template's imm becomes nextRip + imm. */
    boolean relative;

    Decoder(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Forgets the cached fetch page (after TLB flushes or at block start). */
    void resetFetch() {
        pageLinear = -1;
    }

    /**
     * Decodes the instruction at linear address {@code linear}; {@code csBase} converts it to the
     * RIP/EIP offset the instruction records.
     *
     * @throws CpuException a fetch fault (#PF, #GP) or #GP for an instruction longer than 15 bytes
     */
    Insn decode(long linear, long csBase, int codeSize) {
        start = linear;
        pos = linear;
        count = 0;
        mode = codeSize;
        opsize = adsize = lock = rex = rexW = rexR = rexX = rexB = false;
        repPrefix = 0;
        lastMandatory = 0;
        segOverride = -1;
        ripRelative = false;
        relative = false;
        firstHostPage = -1;
        lastHostPage = -1;
        int b;
        while (true) {
            b = fetch8();
            switch (b) {
                case 0x66 -> {
                    opsize = true;
                    lastMandatory = 0x66;
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                case 0x67 -> {
                    adsize = true;
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                case 0xf0 -> {
                    lock = true;
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                case 0xf2, 0xf3 -> {
                    repPrefix = b == 0xf3 ? 1 : 2;
                    lastMandatory = b;
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                case 0x26, 0x2e, 0x36, 0x3e -> {
                    if (mode != 64) {
                        segOverride = (b >> 3) & 3;
                    }
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                case 0x64, 0x65 -> {
                    segOverride = b - 0x64 + Cpu.FS;
                    rex = rexW = rexR = rexX = rexB = false;
                    continue;
                }
                default -> {
                }
            }
            if (mode == 64 && (b & 0xf0) == 0x40) {
                rex = true;
                rexW = (b & 8) != 0;
                rexR = (b & 4) != 0;
                rexX = (b & 2) != 0;
                rexB = (b & 1) != 0;
                continue;
            }
            break;
        }
        if (mode == 64) {
            osize = rexW ? 8 : opsize ? 2 : 4;
            asize = adsize ? 4 : 8;
        } else if (mode == 32) {
            osize = opsize ? 2 : 4;
            asize = adsize ? 2 : 4;
        } else {
            osize = opsize ? 4 : 2;
            asize = adsize ? 4 : 2;
        }
        Insn tt = t;
        tt.size = osize;
        tt.addrSize = asize;
        tt.amask = Insn.mask(asize);
        tt.reg = 0;
        tt.regHi = false;
        tt.rm = -1;
        tt.rmHi = false;
        tt.base = Cpu.ZERO;
        tt.index = Cpu.ZERO;
        tt.scale = 0;
        tt.seg = segOverride >= 0 ? segOverride : Cpu.DS;
        tt.disp = 0;
        tt.imm = 0;
        tt.op = 0;
        tt.rep = 0;
        tt.atomic = false;

        Insn insn = b == 0x0f ? OpcodeMap2.decode(this, fetch8()) : OpcodeMap1.decode(this, b);
        if (lock && !lockable(insn)) {
            insn = undefined();
        } else if (cpu.smp && insn.rm < 0 && (lock || insn instanceof Moves.Xchg)) {
            insn.atomic = true; // XCHG with memory is locked even without the prefix
        }
        insn.rip = (start - csBase) & (mode == 64 ? -1L : 0xffff_ffffL);
        insn.length = count;
        long next = insn.rip + count;
        if (ripRelative) {
            insn.disp += next;
        }
        if (relative) {
            long target = next + insn.imm;
            if (mode != 64) {
                target &= Insn.mask(osize);
            }
            insn.imm = target;
        }
        return insn;
    }

    /**
     * LOCK is allowed only on these read-modify-write instructions with a memory destination
     * (SDM Vol. 2 "LOCK"); anything else raises #UD.
     */
    private static boolean lockable(Insn insn) {
        if (insn.rm >= 0) {
            return false;
        }
        return switch (insn) {
            case Alu.MR a -> a.op != Alu.CMP && a.op != Alu.TEST;
            case Alu.MI a -> a.op != Alu.CMP && a.op != Alu.TEST;
            case Unary u -> true;
            case BitOps.Bt b -> b.op != BitOps.BT;
            case Misc.Xadd x -> true;
            case Misc.Cmpxchg x -> true;
            case Misc.Cmpxchg8b x -> true;
            case Moves.Xchg x -> true;
            default -> false;
        };
    }

    /** The bytes of the instruction decoded last. */
    byte[] instructionBytes() {
        return java.util.Arrays.copyOf(bytes, count);
    }

    int length() {
        return count;
    }

    // --- Fetching ----------------------------------------------------------------------------------

    int fetch8() {
        if (count >= 15) {
            throw cpu.fault(CpuException.GP, 0);
        }
        long va = pos;
        long page = va & ~0xfffL;
        if (page != pageLinear) {
            long off = cpu.mmu.fetchHostOffset(va);
            pageHost = off - (va & 0xfff);
            pageLinear = page;
        }
        if (firstHostPage < 0) {
            firstHostPage = pageHost;
        }
        lastHostPage = pageHost;
        int v = cpu.mmu.ram.get(ValueLayout.JAVA_BYTE, pageHost + (va & 0xfff)) & 0xff;
        bytes[count++] = (byte) v;
        pos = va + 1;
        return v;
    }

    int fetch16() {
        int lo = fetch8();
        return lo | (fetch8() << 8);
    }

    long fetch32() {
        long lo = fetch16();
        return lo | ((long) fetch16() << 16);
    }

    long fetch64() {
        long lo = fetch32();
        return lo | (fetch32() << 32);
    }

    /** An immediate of {@code size} bytes (at most 4), sign-extended to 64 bits. */
    long immSigned(int size) {
        return switch (size) {
            case 1 -> (byte) fetch8();
            case 2 -> (short) fetch16();
            default -> (int) fetch32();
        };
    }

    /** An "Iz" immediate: 2 bytes for 16-bit operands, else 4 (sign-extended for 64-bit operands). */
    long immZ() {
        return osize == 2 ? fetch16() & 0xffffL : immSigned(4);
    }

    // --- ModR/M ------------------------------------------------------------------------------------

    /**
     * Reads ModR/M (plus SIB and displacement) and fills the template's reg/rm/memory fields for
     * an operand of {@code opSize} bytes (byte registers need it to tell AH from SPL).
     */
    void modrm(int opSize) {
        modrm(opSize, opSize);
    }

    /**
     * ModR/M for instructions whose reg and r/m operands differ in size (MOVZX/MOVSX: a byte r/m
     * names AH..BH without REX, while the wider reg operand never does).
     */
    void modrm(int regSize, int rmSize) {
        int opSize = regSize;
        int m = fetch8();
        mod = m >> 6;
        modReg = (m >> 3) & 7;
        modRm = m & 7;
        Insn tt = t;
        int reg = modReg | (rexR ? 8 : 0);
        if (opSize == 1 && !rex && reg >= 4 && reg < 8) {
            tt.reg = reg - 4;
            tt.regHi = true;
        } else {
            tt.reg = reg;
            tt.regHi = false;
        }
        if (mod == 3) {
            int rm = modRm | (rexB ? 8 : 0);
            if (rmSize == 1 && !rex && rm >= 4 && rm < 8) {
                tt.rm = rm - 4;
                tt.rmHi = true;
            } else {
                tt.rm = rm;
                tt.rmHi = false;
            }
            return;
        }
        tt.rm = -1;
        if (asize == 2) {
            modrm16();
            return;
        }
        int base;
        int index = Cpu.ZERO;
        int scale = 0;
        long disp = 0;
        boolean stackBase = false;
        if (modRm == 4) {
            int sib = fetch8();
            scale = sib >> 6;
            int idx = ((sib >> 3) & 7) | (rexX ? 8 : 0);
            if (idx != 4) {
                index = idx;
            }
            int b = sib & 7;
            if (b == 5 && mod == 0) {
                base = Cpu.ZERO;
                disp = (int) fetch32();
            } else {
                base = b | (rexB ? 8 : 0);
                stackBase = base == 4 || base == 5; // RSP/RBP, not R12/R13

            }
        } else if (modRm == 5 && mod == 0) {
            base = Cpu.ZERO;
            disp = (int) fetch32();
            if (mode == 64) {
                ripRelative = true;
            }
        } else {
            base = modRm | (rexB ? 8 : 0);
            stackBase = base == 5; // RBP, not R13
        }
        if (mod == 1) {
            disp = (byte) fetch8();
        } else if (mod == 2) {
            disp = (int) fetch32();
        }
        tt.base = base;
        tt.index = index;
        tt.scale = scale;
        tt.disp = disp;
        tt.seg = segOverride >= 0 ? segOverride : stackBase ? Cpu.SS : Cpu.DS;
    }

    /** 16-bit addressing forms (SDM Vol. 2 Table 2-1). */
    private void modrm16() {
        Insn tt = t;
        int base = Cpu.ZERO;
        int index = Cpu.ZERO;
        boolean stack = false;
        switch (modRm) {
            case 0 -> { base = 3; index = 6; }
            case 1 -> { base = 3; index = 7; }
            case 2 -> { base = 5; index = 6; stack = true; }
            case 3 -> { base = 5; index = 7; stack = true; }
            case 4 -> base = 6;
            case 5 -> base = 7;
            case 6 -> {
                if (mod != 0) {
                    base = 5;
                    stack = true;
                }
            }
            default -> base = 3;
        }
        long disp = 0;
        if (mod == 0 && modRm == 6) {
            disp = fetch16();
        } else if (mod == 1) {
            disp = (byte) fetch8();
        } else if (mod == 2) {
            disp = (short) fetch16();
        }
        tt.base = base;
        tt.index = index;
        tt.scale = 0;
        tt.disp = disp;
        tt.seg = segOverride >= 0 ? segOverride : stack ? Cpu.SS : Cpu.DS;
    }

    boolean isMem() {
        return mod != 3;
    }

    /** The instruction cannot be decoded or is not implemented: #UD when executed. */
    Insn undefined() {
        // Consume nothing more; the bytes seen so far identify the encoding in the log.
        return new Misc.Undefined(instructionBytes()).from(t);
    }

    /** Builds {@code insn} from the template. */
    <T extends Insn> T make(T insn) {
        return insn.from(t);
    }
}
