package dev.jvisor.testkit;

import static dev.jvisor.testkit.Encoder.OSZ;

/**
 * The stack and control-flow instructions of {@link Asm} (kept apart from data movement and
 * arithmetic so each file stays readable). Opcodes are from the Intel SDM Vol. 2 instruction pages.
 */
abstract sealed class AsmControl extends AsmSystem permits AsmInteger {
    AsmControl(int bits, long origin) {
        super(bits, origin);
    }

    // ---- stack --------------------------------------------------------------------------------

    /** PUSH r16/r64 (50+r); 32-bit registers outside 64-bit mode. */
    public Asm push(Reg r) {
        enc.begin(enc.stackSizeFlags(r.bits()), r, 0x50);
        enc.end();
        return self();
    }

    /** POP r (58+r). */
    public Asm pop(Reg r) {
        enc.begin(enc.stackSizeFlags(r.bits()), r, 0x58);
        enc.end();
        return self();
    }

    /** PUSH imm (6A ib or 68 iw/id, sign-extended to the stack width). */
    public Asm push(long imm) {
        int width = enc.mode() == 16 ? 16 : 32;
        long v = enc.mode() == 64 ? Imm.normalize(imm, 64, "push") : Imm.normalize(imm, width, "push");
        boolean short8 = Imm.fitsS8(v);
        enc.begin(0, null, short8 ? 0x6a : 0x68);
        enc.imm(v, short8 ? 1 : width / 8);
        enc.end();
        return self();
    }

    /** PUSH r/m (FF /6); the size defaults to the stack width. */
    public Asm push(Mem m) {
        enc.modrm(enc.stackSizeFlags(stackSize(m)), op(0xff), 6, null, m, 0, 0);
        return self();
    }

    /** POP r/m (8F /0). */
    public Asm pop(Mem m) {
        enc.modrm(enc.stackSizeFlags(stackSize(m)), op(0x8f), 0, null, m, 0, 0);
        return self();
    }

    /** PUSH Sreg (06/0E/16/1E, 0F A0, 0F A8); only FS and GS in 64-bit mode. */
    public Asm push(SegReg s) {
        return segmentStackOp(s, new int[]{0x06, 0x0e, 0x16, 0x1e}, 0xa0, "push");
    }

    /** POP Sreg (07/17/1F, 0F A1, 0F A9); never CS. */
    public Asm pop(SegReg s) {
        if (s == SegReg.CS) {
            throw new IllegalArgumentException("pop cs does not exist");
        }
        return segmentStackOp(s, new int[]{0x07, 0, 0x17, 0x1f}, 0xa1, "pop");
    }

    private Asm segmentStackOp(SegReg s, int[] legacy, int fsOpcode, String name) {
        if (s == SegReg.FS || s == SegReg.GS) {
            enc.simple(0, 0x0f, fsOpcode + (s == SegReg.GS ? 8 : 0));
        } else {
            enc.requireNotLongMode(name + " " + s);
            enc.simple(0, legacy[s.code()]);
        }
        return self();
    }

    /** PUSHF in the current stack width (9C). */
    public Asm pushf() {
        enc.simple(0, 0x9c);
        return self();
    }

    /** POPF in the current stack width (9D). */
    public Asm popf() {
        enc.simple(0, 0x9d);
        return self();
    }


    // ---- branches -----------------------------------------------------------------------------

    /** JMP to a label: EB rel8 for a bound label in reach, else E9 rel16/rel32. */
    public Asm jmp(Label target) {
        return shortReaches(target) ? branch8(0xeb, target) : branchNear(target, 0xe9);
    }

    /** JMP rel8 (EB); assembly fails if the label ends up out of reach. */
    public Asm jmpShort(Label target) {
        return branch8(0xeb, target);
    }

    /** JMP r/m (FF /4): near indirect, operand as wide as the mode's stack. */
    public Asm jmp(Operand target) {
        return indirect(target, 4);
    }

    /** Jcc to a label: 70+cc rel8 for a bound label in reach, else 0F 80+cc rel16/rel32. */
    public Asm j(Cond cond, Label target) {
        return shortReaches(target) ? branch8(0x70 + cond.code(), target) : branchNear(target, 0x0f, 0x80 + cond.code());
    }

    /** Jcc rel8 (70+cc). */
    public Asm jShort(Cond cond, Label target) {
        return branch8(0x70 + cond.code(), target);
    }

    /** LOOP rel8 (E2): decrements (E/R)CX and jumps while it is not zero. */
    public Asm loop(Label target) {
        return branch8(0xe2, target);
    }

    /** CALL rel16/rel32 (E8). */
    public Asm call(Label target) {
        return branchNear(target, 0xe8);
    }

    /** CALL r/m (FF /2). */
    public Asm call(Operand target) {
        return indirect(target, 2);
    }

    /** RET (C3). */
    public Asm ret() {
        enc.simple(0, 0xc3);
        return self();
    }

    /** RET imm16 (C2 iw): return and pop {@code bytes} more. */
    public Asm ret(int bytes) {
        enc.begin(0, null, 0xc2);
        enc.imm(Imm.normalize(bytes, 16, "ret"), 2);
        enc.end();
        return self();
    }

    /** Far RET in the mode's operand size (CB). */
    public Asm retf() {
        enc.simple(0, 0xcb);
        return self();
    }

    /** Far RET popping a 64-bit RIP and CS (REX.W CB). */
    public Asm retfq() {
        enc.simple(enc.sizeFlags(64), 0xcb);
        return self();
    }

    /** JMP ptr16:16 / ptr16:32 (EA) to a label, in the mode's operand size; not in 64-bit mode. */
    public Asm jmpFar(int selector, Label target) {
        enc.requireNotLongMode("a direct far jump");
        return farDirect(0, enc.mode() == 16 ? 2 : 4, selector, target, 0);
    }

    /** JMP ptr16:16 / ptr16:32 (EA) to an absolute offset. */
    public Asm jmpFar(int selector, long offset) {
        enc.requireNotLongMode("a direct far jump");
        int bytes = enc.mode() == 16 ? 2 : 4;
        return farDirect(0, bytes, selector, null, Imm.normalize(offset, bytes * 8, "jmp far"));
    }

    /**
     * JMP ptr16:32 from 16-bit code (66 EA): the usual jump from real mode into 32-bit protected
     * mode, reaching targets above 64 KiB.
     */
    public Asm jmpFarDword(int selector, Label target) {
        if (enc.mode() != 16) {
            throw new IllegalStateException("jmpFarDword is for 16-bit code; use jmpFar in 32-bit code");
        }
        return farDirect(OSZ, 4, selector, target, 0);
    }

    /**
     * JMP m16:16 / m16:32 / m16:64 (FF /5): a far jump through a pointer in memory; the operand's
     * size ({@code wordPtr}, {@code dwordPtr}, {@code qwordPtr}) is the width of the offset part.
     */
    public Asm jmpFar(Mem pointer) {
        int bits = pointer.bits() != 0 ? pointer.bits() : enc.mode() == 16 ? 16 : 32;
        if (bits == 8) {
            throw new IllegalArgumentException("a far pointer's offset is 16, 32 or 64 bits");
        }
        enc.modrm(enc.sizeFlags(bits), op(0xff), 5, null, pointer, 0, 0);
        return self();
    }

    private Asm farDirect(int flags, int offsetBytes, int selector, Label target, long offset) {
        int sel = (int) Imm.normalize(selector, 16, "selector");
        enc.begin(flags, null, 0xea);
        if (target != null) {
            buf.emitReference(target, CodeBuffer.Kind.ABSOLUTE, offsetBytes, 0);
        } else {
            enc.imm(offset, offsetBytes);
        }
        enc.imm(sel, 2);
        enc.end();
        return self();
    }

    private boolean shortReaches(Label target) {
        buf.checkOwner(target);
        return target.isBound() && Imm.fitsS8(target.offset() - (buf.size() + 2L));
    }

    private Asm branch8(int opcode, Label target) {
        enc.begin(0, null, opcode);
        buf.emitReference(target, CodeBuffer.Kind.RELATIVE, 1, 0);
        enc.end();
        return self();
    }

    private Asm branchNear(Label target, int... opcode) {
        enc.begin(0, null, opcode);
        buf.emitReference(target, CodeBuffer.Kind.RELATIVE, enc.mode() == 16 ? 2 : 4, 0);
        enc.end();
        return self();
    }

    private Asm indirect(Operand target, int ext) {
        int bits = target instanceof Mem m ? stackSize(m) : sizeOf(target);
        enc.modrm(enc.stackSizeFlags(bits), op(0xff), ext, null, target, 0, 0);
        return self();
    }
}
