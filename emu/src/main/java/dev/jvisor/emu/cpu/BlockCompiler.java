package dev.jvisor.emu.cpu;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;

/**
 * The translation tier: turns a hot {@link Block} into a JVM class (ClassFile API) whose
 * {@link CompiledBlock#run} is one straight-line method for the guest block: the most frequent
 * instructions are emitted as bytecode with their operands as constants ({@link InsnEmitter}), the
 * rest are direct calls of their {@code exec} methods — no megamorphic dispatch, no interpreter loop,
 * and no exit checks after instructions that cannot end a block early. HotSpot then optimises across
 * the instructions (lazy flags stored and tested in the same method fold into plain comparisons).
 *
 * <p>The instructions are the class's constant data ({@link MethodHandles#classDataAt}), so the
 * generated code loads them as constants. Classes are hidden and not strongly reachable: when a
 * block is invalidated (self-modifying code) its class can be unloaded.
 */
final class BlockCompiler {
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final ClassDesc CD_CPU = ClassDesc.of(Cpu.class.getName());
    private static final ClassDesc CD_COMPILED = ClassDesc.of(CompiledBlock.class.getName());
    private static final ClassDesc CD_CPU_EXCEPTION = ClassDesc.of(CpuException.class.getName());
    private static final MethodTypeDesc MTD_EXEC = MethodTypeDesc.of(ConstantDescs.CD_void, CD_CPU);
    private static final DirectMethodHandleDesc BSM_CLASS_DATA_AT = MethodHandleDesc.ofMethod(
            DirectMethodHandleDesc.Kind.STATIC, ClassDesc.of(MethodHandles.class.getName()), "classDataAt",
            MethodTypeDesc.of(ConstantDescs.CD_Object, ConstantDescs.CD_MethodHandles_Lookup, ConstantDescs.CD_String,
                    ConstantDescs.CD_Class, ConstantDescs.CD_int));
    private static final int CPU = InsnEmitter.CPU, INDEX = InsnEmitter.INDEX, THROWN = InsnEmitter.THROWN;

    private long compiled;

    long compiledBlocks() {
        return compiled;
    }

    /** Compiles {@code b}; the result runs the block exactly as {@link Executor} would. */
    CompiledBlock compile(Block b) {
        Insn[] insns = b.insns;
        byte[] bytes = ClassFile.of().build(ClassDesc.of(BlockCompiler.class.getPackageName() + ".Compiled"), cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
            cb.withInterfaceSymbols(CD_COMPILED);
            cb.withMethod(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC,
                    mb -> mb.withCode(code -> {
                        code.aload(0);
                        code.invokespecial(ConstantDescs.CD_Object, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void);
                        code.return_();
                    }));
            cb.withMethod("run", MTD_EXEC, ClassFile.ACC_PUBLIC,
                    mb -> mb.withCode(code -> emitRun(code, insns, b.codeSize == 64)));
        });
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(bytes, List.of(insns), true);
            Object instance = hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
            compiled++;
            return (CompiledBlock) instance;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot compile the block at 0x" + Long.toHexString(b.linear), t);
        }
    }

    private static void emitRun(CodeBuilder code, Insn[] insns, boolean mode64) {
        int n = insns.length;
        InsnEmitter em = new InsnEmitter(code, mode64);
        Label start = code.newLabel();
        Label end = code.newLabel();
        Label handler = code.newLabel();
        code.iconst_0();
        code.istore(INDEX);
        em.prologue();
        code.labelBinding(start);
        for (int k = 0; k < n; k++) {
            Insn in = insns[k];
            boolean last = k == n - 1;
            boolean semantic = InsnEmitter.supports(in) && (last || !in.endsBlock());
            boolean setsRip = in instanceof Branch.Jcc || in instanceof Branch.Jmp || in instanceof Branch.Call
                    || in instanceof Branch.Ret64;
            if (last && !(semantic && setsRip)) {
                // As the interpreter: RIP points past the last instruction before it runs, so a
                // branch run through exec may overwrite it.
                code.aload(CPU);
                code.loadConstant(in.rip + in.length);
                code.putfield(CD_CPU, "rip", ConstantDescs.CD_long);
            }
            if (semantic) {
                if (InsnEmitter.mayFault(in)) {
                    em.recordIndex(k);
                }
                em.emit(in);
            } else {
                em.recordIndex(k);
                ClassDesc type = ClassDesc.of(in.getClass().getName());
                code.loadConstant(DynamicConstantDesc.ofNamed(BSM_CLASS_DATA_AT, ConstantDescs.DEFAULT_NAME, type, k));
                code.aload(CPU);
                code.invokevirtual(type, "exec", MTD_EXEC);
            }
            if (!last && mayEndBlockEarly(in)) {
                Label next = code.newLabel();
                code.aload(CPU);
                code.getfield(CD_CPU, "exitBlock", ConstantDescs.CD_boolean);
                code.ifeq(next);
                code.aload(CPU);
                code.loadConstant(in.rip + in.length);
                code.putfield(CD_CPU, "rip", ConstantDescs.CD_long);
                em.addInstructions(k + 1);
                code.return_();
                code.labelBinding(next);
            }
        }
        em.addInstructions(n);
        code.return_();
        code.labelBinding(end);
        code.labelBinding(handler);
        // A guest exception: record which instruction raised it and let the executor deliver it.
        code.astore(THROWN);
        code.aload(CPU);
        code.iload(INDEX);
        code.putfield(CD_CPU, "faultIndex", ConstantDescs.CD_int);
        code.aload(THROWN);
        code.athrow();
        code.exceptionCatch(start, end, handler, CD_CPU_EXCEPTION);
    }

    private static void addInstructions(CodeBuilder code, int count) {
        code.aload(CPU);
        code.dup();
        code.getfield(CD_CPU, "instructions", ConstantDescs.CD_long);
        code.loadConstant((long) count);
        code.ladd();
        code.putfield(CD_CPU, "instructions", ConstantDescs.CD_long);
    }

    /**
     * Whether {@code in} may set {@link Cpu#exitBlock} (stores can hit translated code; system
     * instructions change modes). Instructions that only touch registers, flags or read memory
     * cannot, and need no check after them.
     */
    static boolean mayEndBlockEarly(Insn in) {
        return switch (in) {
            case Alu.RR a -> false;
            case Alu.RI a -> false;
            case Alu.RM a -> false;
            case Alu.Zero a -> false;
            case Moves.RR m -> false;
            case Moves.RR64 m -> false;
            case Moves.RI m -> false;
            case Moves.Load m -> false;
            case Moves.Load64 m -> false;
            case Moves.Lea m -> false;
            case Moves.Extend m -> false;
            case Moves.Bswap m -> false;
            case Moves.Cmov m -> false;
            case Moves.Setcc m -> m.rm < 0;
            case Unary u -> u.rm < 0;
            case Shifts.Group2 s -> s.rm < 0;
            case Shifts.DoubleShift s -> s.rm < 0;
            case MulDiv.Group3 m -> false;
            case MulDiv.Imul2 m -> false;
            case BitOps.Scan bs -> false;
            case BitOps.Bt bt -> bt.rm < 0 && bt.op != BitOps.BT;
            case Misc.Simple s -> false;
            case Fast64.AddRR f -> false;
            case Fast64.SubRR f -> false;
            case Fast64.CmpRR f -> false;
            case Fast64.AndRR f -> false;
            case Fast64.OrRR f -> false;
            case Fast64.XorRR f -> false;
            case Fast64.TestRR f -> false;
            case Fast64.AddRI f -> false;
            case Fast64.SubRI f -> false;
            case Fast64.CmpRI f -> false;
            case Fast64.AndRI f -> false;
            case Fast64.ShiftRI f -> false;
            case Fast64.ImulRR f -> false;
            default -> true;
        };
    }
}
