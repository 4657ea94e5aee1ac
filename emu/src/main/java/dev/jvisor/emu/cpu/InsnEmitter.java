package dev.jvisor.emu.cpu;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits JVM bytecode with the semantics of the most frequent instructions, their operands folded in
 * as constants (register numbers, displacements, immediates, sizes), for {@link BlockCompiler}.
 * Registers stay in {@link Cpu#r}; memory goes through the MMU's fast paths ({@code read64} etc.),
 * which HotSpot inlines; lazy flags are stored exactly as the interpreter stores them, so a
 * following {@link Flags#cond} with a constant condition folds into a plain comparison.
 *
 * <p>Instructions without an emitter here run through their {@code exec} method, called directly.
 */
final class InsnEmitter {
    static final ClassDesc CD_CPU = ClassDesc.of(Cpu.class.getName());
    static final ClassDesc CD_MMU = ClassDesc.of(Mmu.class.getName());
    static final ClassDesc CD_FLAGS = ClassDesc.of(Flags.class.getName());
    private static final ClassDesc CD_LONG_ARRAY = ConstantDescs.CD_long.arrayType();
    private static final MethodTypeDesc MTD_J_J = MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long);
    private static final MethodTypeDesc MTD_V_JJ = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long,
            ConstantDescs.CD_long);
    private static final MethodTypeDesc MTD_V_J = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long);
    private static final MethodTypeDesc MTD_J = MethodTypeDesc.of(ConstantDescs.CD_long);
    private static final MethodTypeDesc MTD_COND = MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_CPU,
            ConstantDescs.CD_int);

    /** Local variable slots of the generated {@code run(Cpu)} method. */
    static final int CPU = 1, REGS = 2, MMU = 3, INDEX = 4, A = 5, B = 7, RES = 9, EA = 11, THROWN = 13;

    private final CodeBuilder code;
    private final boolean mode64;

    InsnEmitter(CodeBuilder code, boolean mode64) {
        this.code = code;
        this.mode64 = mode64;
    }

    /** Loads {@code r} and {@code mmu} into their locals (once, at method entry). */
    void prologue() {
        code.aload(CPU);
        code.getfield(CD_CPU, "r", CD_LONG_ARRAY);
        code.astore(REGS);
        code.aload(CPU);
        code.getfield(CD_CPU, "mmu", CD_MMU);
        code.astore(MMU);
    }

    /**
     * Whether {@code in} has an emitter. {@code last} instructions may be branches; others must not
     * transfer control.
     */
    static boolean supports(Insn in) {
        return switch (in) {
            case Moves.RR64 m -> true;
            case Moves.Load64 m -> true;
            case Moves.Store64 m -> true;
            case Moves.Load m -> m.size == 4;
            case Moves.Store m -> m.size == 4;
            case Moves.Lea m -> m.size == 8 || m.size == 4;
            case Moves.RI m -> m.size == 8 || m.size == 4;
            case Moves.Extend m -> (m.size == 8 || m.size == 4) && !m.rmHi;
            case Fast64.AddRR f -> true;
            case Fast64.SubRR f -> true;
            case Fast64.CmpRR f -> true;
            case Fast64.AndRR f -> true;
            case Fast64.OrRR f -> true;
            case Fast64.XorRR f -> true;
            case Fast64.TestRR f -> true;
            case Fast64.AddRI f -> true;
            case Fast64.SubRI f -> true;
            case Fast64.CmpRI f -> true;
            case Fast64.AndRI f -> true;
            case Fast64.ShiftRI f -> true;
            case Fast64.ImulRR f -> true;
            case Moves.Setcc m -> m.rm >= 0 && !m.rmHi;
            case Moves.Cmov m -> m.rm >= 0 && (m.size == 8 || m.size == 4);
            case Alu.RM a -> (a.size == 8 || a.size == 4) && simpleAlu(a.op);
            case Alu.RR a -> a.size == 4 && simpleAlu(a.op);
            case Alu.RI a -> a.size == 4 && simpleAlu(a.op);
            case Alu.Zero z -> z.size == 4 || z.size == 8;
            case Stack.PushR64 p -> true;
            case Stack.PopR64 p -> true;
            // A non-canonical target (#GP at the branch) is left to exec.
            case Branch.Jcc j -> !Branch.nonCanonical(j.imm);
            case Branch.Jmp j -> !Branch.nonCanonical(j.imm);
            case Branch.Ret64 r -> true;
            case Branch.Call c -> c.size == 8 && !Branch.nonCanonical(c.imm);
            default -> false;
        };
    }

    private static boolean simpleAlu(int op) {
        return op == Alu.ADD || op == Alu.SUB || op == Alu.CMP || op == Alu.AND || op == Alu.OR || op == Alu.XOR
                || op == Alu.TEST;
    }

    /** Whether the emitted form of {@code in} may raise a guest exception (needs the index recorded). */
    static boolean mayFault(Insn in) {
        return switch (in) {
            case Moves.Load64 m -> true;
            case Moves.Store64 m -> true;
            case Moves.Load m -> true;
            case Moves.Store m -> true;
            case Moves.Extend m -> m.rm < 0;
            case Alu.RM a -> true;
            case Stack.PushR64 p -> true;
            case Stack.PopR64 p -> true;
            case Branch.Ret64 r -> true;
            case Branch.Call c -> true;
            default -> false;
        };
    }

    /** Emits {@code in}; for the block's last instruction, also sets RIP as the interpreter would. */
    void emit(Insn in) {
        switch (in) {
            case Moves.RR64 m -> {
                loadReg(m.reg);
                storeReg(m.rm);
            }
            case Moves.Load64 m -> {
                code.aload(MMU);
                effectiveAddress(m);
                code.invokevirtual(CD_MMU, "read64", MTD_J_J);
                storeReg(m.reg);
            }
            case Moves.Load m -> {
                code.aload(MMU);
                effectiveAddress(m);
                code.invokevirtual(CD_MMU, "read32", MTD_J_J);
                storeReg(m.reg);
            }
            case Moves.Store64 m -> {
                code.aload(MMU);
                effectiveAddress(m);
                loadReg(m.reg);
                code.invokevirtual(CD_MMU, "write64", MTD_V_JJ);
            }
            case Moves.Store m -> {
                code.aload(MMU);
                effectiveAddress(m);
                loadReg(m.reg);
                code.invokevirtual(CD_MMU, "write32", MTD_V_JJ);
            }
            case Moves.Lea m -> {
                offsetOnly(m);
                mask(m.size);
                storeReg(m.reg);
            }
            case Moves.RI m -> {
                code.loadConstant(m.size == 8 ? m.imm : m.imm & 0xffff_ffffL);
                storeReg(m.rm);
            }
            case Moves.Extend m -> extend(m);
            case Fast64.AddRR f -> arith(f.rm, () -> loadReg(f.reg), Flags.ADD, 1, true);
            case Fast64.SubRR f -> arith(f.rm, () -> loadReg(f.reg), Flags.SUB, 2, true);
            case Fast64.CmpRR f -> arith(f.rm, () -> loadReg(f.reg), Flags.SUB, 2, false);
            case Fast64.AddRI f -> arith(f.rm, () -> code.loadConstant(f.imm), Flags.ADD, 1, true);
            case Fast64.SubRI f -> arith(f.rm, () -> code.loadConstant(f.imm), Flags.SUB, 2, true);
            case Fast64.CmpRI f -> arith(f.rm, () -> code.loadConstant(f.imm), Flags.SUB, 2, false);
            case Fast64.AndRR f -> logic(f.rm, () -> loadReg(f.reg), 3, true, 8);
            case Fast64.OrRR f -> logic(f.rm, () -> loadReg(f.reg), 4, true, 8);
            case Fast64.XorRR f -> logic(f.rm, () -> loadReg(f.reg), 5, true, 8);
            case Fast64.TestRR f -> logic(f.rm, () -> loadReg(f.reg), 3, false, 8);
            case Fast64.AndRI f -> logic(f.rm, () -> code.loadConstant(f.imm), 3, true, 8);
            case Fast64.ShiftRI f -> shift(f);
            case Fast64.ImulRR f -> imul(f);
            case Moves.Setcc m -> {
                // r8 = cond ? 1 : 0, the other bits of the register kept
                loadReg(m.rm);
                code.loadConstant(~0xffL);
                code.land();
                code.aload(CPU);
                code.loadConstant(m.op);
                code.invokestatic(CD_FLAGS, "cond", MTD_COND);
                code.i2l();
                code.lor();
                storeReg(m.rm);
            }
            case Moves.Cmov m -> {
                Label keep = code.newLabel();
                Label done = code.newLabel();
                code.aload(CPU);
                code.loadConstant(m.op);
                code.invokestatic(CD_FLAGS, "cond", MTD_COND);
                code.ifeq(keep);
                loadReg(m.rm);
                mask(m.size);
                storeReg(m.reg);
                code.goto_(done);
                code.labelBinding(keep);
                if (m.size == 4) { // a 32-bit CMOV zero-extends its destination even when not moving
                    loadReg(m.reg);
                    mask(4);
                    storeReg(m.reg);
                }
                code.labelBinding(done);
            }
            case Alu.RM a -> {
                // reg op= [mem]: the memory operand is read first (it may fault), then the ALU
                code.aload(MMU);
                effectiveAddress(a);
                code.invokevirtual(CD_MMU, a.size == 8 ? "read64" : "read32", MTD_J_J);
                code.lstore(EA);
                if (a.size == 8) {
                    switch (a.op) {
                        case Alu.ADD -> arith(a.reg, () -> code.lload(EA), Flags.ADD, 1, true);
                        case Alu.SUB -> arith(a.reg, () -> code.lload(EA), Flags.SUB, 2, true);
                        case Alu.CMP -> arith(a.reg, () -> code.lload(EA), Flags.SUB, 2, false);
                        case Alu.AND -> logic(a.reg, () -> code.lload(EA), 3, true, 8);
                        case Alu.OR -> logic(a.reg, () -> code.lload(EA), 4, true, 8);
                        case Alu.XOR -> logic(a.reg, () -> code.lload(EA), 5, true, 8);
                        default -> logic(a.reg, () -> code.lload(EA), 3, false, 8); // TEST
                    }
                } else {
                    alu32(a.op, a.reg, () -> code.lload(EA));
                }
            }
            case Alu.RR a -> alu32(a.op, a.rm, () -> {
                loadReg(a.reg);
                mask(4);
            });
            case Alu.RI a -> alu32(a.op, a.rm, () -> code.loadConstant(a.imm & 0xffff_ffffL));
            case Alu.Zero z -> {
                code.lconst_0();
                storeReg(z.rm);
                if (z.op == Alu.XOR) {
                    setLogicFlags(z.size * 8, () -> code.lconst_0());
                } else {
                    setFlags(Flags.SUB, z.size * 8, () -> code.lconst_0(), () -> code.lconst_0(),
                            () -> code.lconst_0());
                }
            }
            case Stack.PushR64 p -> {
                code.aload(CPU);
                loadReg(p.reg);
                code.invokevirtual(CD_CPU, "push64", MTD_V_J);
            }
            case Stack.PopR64 p -> {
                code.aload(CPU);
                code.invokevirtual(CD_CPU, "pop64", MTD_J);
                storeReg(p.reg);
            }
            case Branch.Jcc j -> {
                Label notTaken = code.newLabel();
                Label done = code.newLabel();
                code.aload(CPU);
                code.loadConstant(j.op);
                code.invokestatic(CD_FLAGS, "cond", MTD_COND);
                code.ifeq(notTaken);
                setRip(j.imm);
                code.goto_(done);
                code.labelBinding(notTaken);
                setRip(j.rip + j.length);
                code.labelBinding(done);
            }
            case Branch.Jmp j -> setRip(j.imm);
            case Branch.Ret64 r -> {
                code.aload(CPU);
                code.aload(CPU);
                code.invokevirtual(CD_CPU, "popReturnAddress64", MTD_J);
                code.putfield(CD_CPU, "rip", ConstantDescs.CD_long);
            }
            case Branch.Call call -> {
                code.aload(CPU);
                code.loadConstant(call.rip + call.length);
                code.invokevirtual(CD_CPU, "push64", MTD_V_J);
                setRip(call.imm);
            }
            default -> throw new IllegalArgumentException("no emitter for " + in.getClass().getSimpleName());
        }
    }

    // --- Pieces -----------------------------------------------------------------------------------

    private void loadReg(int n) {
        code.aload(REGS);
        code.loadConstant(n);
        code.laload();
    }

    /** Stores the long on top of the stack into register {@code n} (all 64 bits). */
    private void storeReg(int n) {
        code.lstore(RES);
        code.aload(REGS);
        code.loadConstant(n);
        code.lload(RES);
        code.lastore();
    }

    private void setRip(long value) {
        code.aload(CPU);
        code.loadConstant(value);
        code.putfield(CD_CPU, "rip", ConstantDescs.CD_long);
    }

    private void mask(int size) {
        if (size == 4) {
            code.loadConstant(0xffff_ffffL);
            code.land();
        } else if (size == 2) {
            code.loadConstant(0xffffL);
            code.land();
        } else if (size == 1) {
            code.loadConstant(0xffL);
            code.land();
        }
    }

    /** Pushes the offset part of the memory operand: (base + (index << scale) + disp) & amask. */
    private void offsetOnly(Insn m) {
        code.loadConstant(m.disp);
        if (m.base != Cpu.ZERO) {
            loadReg(m.base);
            code.ladd();
        }
        if (m.index != Cpu.ZERO) {
            loadReg(m.index);
            if (m.scale != 0) {
                code.loadConstant(m.scale);
                code.lshl();
            }
            code.ladd();
        }
        if (m.amask != -1L) {
            code.loadConstant(m.amask);
            code.land();
        }
    }

    /** Pushes the linear address of the memory operand (segment base added where it can matter). */
    private void effectiveAddress(Insn m) {
        offsetOnly(m);
        boolean segmentMatters = m.seg < 6 && (!mode64 || m.seg == Cpu.FS || m.seg == Cpu.GS);
        if (segmentMatters) {
            code.aload(CPU);
            code.getfield(CD_CPU, "segBase", CD_LONG_ARRAY);
            code.loadConstant(m.seg);
            code.laload();
            code.ladd();
        }
    }

    /** Stores the lazy flags: op, bits, a, b, result (each supplier pushes one long). */
    private void setFlags(int op, int bits, Runnable a, Runnable b, Runnable res) {
        code.aload(CPU);
        code.loadConstant(op);
        code.putfield(CD_CPU, "fOp", ConstantDescs.CD_int);
        code.aload(CPU);
        code.loadConstant(bits);
        code.putfield(CD_CPU, "fBits", ConstantDescs.CD_int);
        code.aload(CPU);
        a.run();
        code.putfield(CD_CPU, "fA", ConstantDescs.CD_long);
        code.aload(CPU);
        b.run();
        code.putfield(CD_CPU, "fB", ConstantDescs.CD_long);
        code.aload(CPU);
        res.run();
        code.putfield(CD_CPU, "fRes", ConstantDescs.CD_long);
    }

    private void setLogicFlags(int bits, Runnable res) {
        code.aload(CPU);
        code.loadConstant(Flags.LOGIC);
        code.putfield(CD_CPU, "fOp", ConstantDescs.CD_int);
        code.aload(CPU);
        code.loadConstant(bits);
        code.putfield(CD_CPU, "fBits", ConstantDescs.CD_int);
        code.aload(CPU);
        res.run();
        code.putfield(CD_CPU, "fRes", ConstantDescs.CD_long);
    }

    /** 64-bit ADD (kind 1) or SUB/CMP (kind 2): a = r[dst], b = source, res = a op b. */
    private void arith(int dst, Runnable source, int flagsOp, int kind, boolean writeBack) {
        loadReg(dst);
        code.lstore(A);
        source.run();
        code.lstore(B);
        code.lload(A);
        code.lload(B);
        if (kind == 1) {
            code.ladd();
        } else {
            code.lsub();
        }
        code.lstore(RES);
        if (writeBack) {
            code.aload(REGS);
            code.loadConstant(dst);
            code.lload(RES);
            code.lastore();
        }
        setFlags(flagsOp, 64, () -> code.lload(A), () -> code.lload(B), () -> code.lload(RES));
    }

    /** AND (3), OR (4), XOR (5) at {@code size} bytes. */
    private void logic(int dst, Runnable source, int kind, boolean writeBack, int size) {
        loadReg(dst);
        if (size == 4) {
            mask(4);
        }
        source.run();
        switch (kind) {
            case 3 -> code.land();
            case 4 -> code.lor();
            default -> code.lxor();
        }
        code.lstore(RES);
        if (writeBack) {
            code.aload(REGS);
            code.loadConstant(dst);
            code.lload(RES);
            code.lastore();
        }
        setLogicFlags(size * 8, () -> code.lload(RES));
    }

    /** 32-bit ALU: operands zero-extended, result masked and zero-extended into the register. */
    private void alu32(int op, int dst, Runnable source) {
        switch (op) {
            case Alu.AND, Alu.TEST -> logic(dst, source, 3, op == Alu.AND, 4);
            case Alu.OR -> logic(dst, source, 4, true, 4);
            case Alu.XOR -> logic(dst, source, 5, true, 4);
            default -> {
                loadReg(dst);
                mask(4);
                code.lstore(A);
                source.run();
                code.lstore(B);
                code.lload(A);
                code.lload(B);
                if (op == Alu.ADD) {
                    code.ladd();
                } else {
                    code.lsub();
                }
                mask(4);
                code.lstore(RES);
                if (op != Alu.CMP) {
                    code.aload(REGS);
                    code.loadConstant(dst);
                    code.lload(RES);
                    code.lastore();
                }
                setFlags(op == Alu.ADD ? Flags.ADD : Flags.SUB, 32, () -> code.lload(A), () -> code.lload(B),
                        () -> code.lload(RES));
            }
        }
    }

    private void shift(Fast64.ShiftRI f) {
        int n = (int) f.imm;
        loadReg(f.rm);
        code.lstore(A);
        code.lload(A);
        code.loadConstant(n);
        int kind;
        if (f.op == Shifts.SHR) {
            code.lushr();
            kind = Flags.SHR;
        } else if (f.op == Shifts.SAR) {
            code.lshr();
            kind = Flags.SAR;
        } else {
            code.lshl();
            kind = Flags.SHL;
        }
        code.lstore(RES);
        code.aload(REGS);
        code.loadConstant(f.rm);
        code.lload(RES);
        code.lastore();
        setFlags(kind, 64, () -> code.lload(A), () -> code.loadConstant((long) n), () -> code.lload(RES));
    }

    /** IMUL r64, r64: CF = OF = the high half differs from the low half's sign extension. */
    private void imul(Fast64.ImulRR f) {
        loadReg(f.reg);
        code.lstore(A);
        loadReg(f.rm);
        code.lstore(B);
        code.lload(A);
        code.lload(B);
        code.lmul();
        code.lstore(RES);
        code.aload(REGS);
        code.loadConstant(f.reg);
        code.lload(RES);
        code.lastore();
        code.aload(CPU);
        code.loadConstant(Flags.MUL);
        code.putfield(CD_CPU, "fOp", ConstantDescs.CD_int);
        code.aload(CPU);
        code.loadConstant(64);
        code.putfield(CD_CPU, "fBits", ConstantDescs.CD_int);
        code.aload(CPU);
        code.lload(RES);
        code.putfield(CD_CPU, "fRes", ConstantDescs.CD_long);
        code.aload(CPU);
        code.lload(A);
        code.lload(B);
        code.invokestatic(ClassDesc.of("java.lang.Math"), "multiplyHigh",
                MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_long));
        code.lload(RES);
        code.loadConstant(63);
        code.lshr();
        code.lcmp();
        Label differ = code.newLabel();
        Label set = code.newLabel();
        code.ifne(differ);
        code.iconst_0();
        code.goto_(set);
        code.labelBinding(differ);
        code.iconst_1();
        code.labelBinding(set);
        code.putfield(CD_CPU, "fAux", ConstantDescs.CD_boolean);
    }

    /** MOVZX/MOVSX/MOVSXD into a 32- or 64-bit register. */
    private void extend(Moves.Extend m) {
        int src = m.op;
        boolean signed = m.imm != 0;
        if (m.rm >= 0) {
            loadReg(m.rm);
        } else {
            code.aload(MMU);
            effectiveAddress(m);
            String read = switch (src) {
                case 1 -> "read8";
                case 2 -> "read16";
                default -> "read32";
            };
            if (src == 4) {
                code.invokevirtual(CD_MMU, read, MTD_J_J);
            } else {
                code.invokevirtual(CD_MMU, read, MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_long));
                code.i2l();
            }
        }
        int shift = 64 - src * 8;
        code.loadConstant(shift);
        code.lshl();
        code.loadConstant(shift);
        if (signed) {
            code.lshr();
        } else {
            code.lushr();
        }
        mask(m.size);
        storeReg(m.reg);
    }

    /** Emits {@code c.instructions += count}. */
    void addInstructions(int count) {
        code.aload(CPU);
        code.dup();
        code.getfield(CD_CPU, "instructions", ConstantDescs.CD_long);
        code.loadConstant((long) count);
        code.ladd();
        code.putfield(CD_CPU, "instructions", ConstantDescs.CD_long);
    }

    /** Emits {@code c.faultIndex}-tracking: the local index that the exception handler publishes. */
    void recordIndex(int k) {
        code.loadConstant(k);
        code.istore(INDEX);
    }
}
