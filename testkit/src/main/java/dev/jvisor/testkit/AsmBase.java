package dev.jvisor.testkit;

import java.nio.charset.StandardCharsets;

/**
 * The non-instruction part of {@link Asm}: mode switches, labels, data directives, the final
 * assembly, and operand-size helpers shared by the instruction classes.
 */
abstract sealed class AsmBase permits AsmSystem {
    final CodeBuffer buf;
    final Encoder enc;
    private int labelCount;

    AsmBase(int bits, long origin) {
        if (origin < 0) {
            throw new IllegalArgumentException("origin must not be negative: " + origin);
        }
        this.buf = new CodeBuffer(this, origin);
        this.enc = new Encoder(buf, bits);
    }

    final Asm self() {
        return (Asm) this;
    }

    /** Switches the code size for the instructions that follow (16, 32 or 64), like {@code .code32}. */
    public Asm bits(int bits) {
        checkNoPrefix("a mode switch");
        enc.setMode(bits);
        return self();
    }

    /** The current code size in bits. */
    public int bits() {
        return enc.mode();
    }

    /** The guest address of the first byte. */
    public long origin() {
        return buf.origin();
    }

    /** Number of bytes emitted so far. */
    public int size() {
        return buf.size();
    }

    /** The guest address of the next byte to be emitted. */
    public long address() {
        return buf.origin() + buf.size();
    }

    /** A new unbound label; the name is only for error messages. */
    public Label newLabel(String name) {
        return new Label(this, name);
    }

    /** A new unbound label with a generated name. */
    public Label newLabel() {
        return newLabel("L" + labelCount++);
    }

    /** Binds {@code label} to the current position. */
    public Asm bind(Label label) {
        checkNoPrefix("a label");
        buf.bind(label);
        return self();
    }

    /** A new label bound to the current position. */
    public Label here() {
        Label l = newLabel();
        bind(l);
        return l;
    }

    /** The guest address of a bound label. */
    public long addressOf(Label label) {
        return buf.addressOf(label);
    }

    /**
     * Resolves all label references and returns the program.
     *
     * @throws IllegalStateException if a referenced label is unbound or a reference is out of range
     */
    public byte[] assemble() {
        checkNoPrefix("the end of the program");
        return buf.assemble();
    }

    // ---- data ---------------------------------------------------------------------------------

    /** Bytes, each in -128..255. */
    public Asm db(int... values) {
        checkNoPrefix("data");
        for (int v : values) {
            buf.emitLe(Imm.normalize(v, 8, "db"), 1);
        }
        return self();
    }

    /** Raw bytes. */
    public Asm db(byte[] values) {
        checkNoPrefix("data");
        for (byte v : values) {
            buf.emit8(v);
        }
        return self();
    }

    /** The ISO-8859-1 bytes of {@code text} (no terminator). */
    public Asm ascii(String text) {
        return db(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** 16-bit words. */
    public Asm dw(int... values) {
        checkNoPrefix("data");
        for (int v : values) {
            buf.emitLe(Imm.normalize(v, 16, "dw"), 2);
        }
        return self();
    }

    /** 32-bit double words. */
    public Asm dd(long... values) {
        checkNoPrefix("data");
        for (long v : values) {
            buf.emitLe(Imm.normalize(v, 32, "dd"), 4);
        }
        return self();
    }

    /** 64-bit quad words. */
    public Asm dq(long... values) {
        checkNoPrefix("data");
        for (long v : values) {
            buf.emitLe(v, 8);
        }
        return self();
    }

    /** The absolute 16-bit address of a label. */
    public Asm dw(Label label) {
        return dataReference(label, 2);
    }

    /** The absolute 32-bit address of a label. */
    public Asm dd(Label label) {
        return dataReference(label, 4);
    }

    /** The absolute 64-bit address of a label. */
    public Asm dq(Label label) {
        return dataReference(label, 8);
    }

    private Asm dataReference(Label label, int bytes) {
        checkNoPrefix("data");
        buf.beginInstruction();
        buf.emitReference(label, CodeBuffer.Kind.ABSOLUTE, bytes, 0);
        buf.endInstruction();
        return self();
    }

    /** {@code count} copies of {@code fill}. */
    public Asm space(int count, int fill) {
        if (count < 0) {
            throw new IllegalArgumentException("negative space: " + count);
        }
        checkNoPrefix("data");
        for (int i = 0; i < count; i++) {
            buf.emit8(fill);
        }
        return self();
    }

    /** Pads with NOPs (0x90) until the guest address is a multiple of {@code alignment}. */
    public Asm align(int alignment) {
        return align(alignment, 0x90);
    }

    /** Pads with {@code fill} until the guest address is a multiple of {@code alignment} (a power of two). */
    public Asm align(int alignment, int fill) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        int pad = (int) (-address() & (alignment - 1));
        return space(pad, fill);
    }

    void checkNoPrefix(String what) {
        if (enc.hasPendingPrefix()) {
            throw new IllegalStateException("a REP/LOCK prefix must be followed by an instruction, not " + what);
        }
    }

    static int[] op(int... bytes) {
        return bytes;
    }

    static int sizeOf(Operand o) {
        return switch (o) {
            case Reg r -> r.bits();
            case Mem m -> m.bits();
        };
    }

    static int requireSize(Operand o, String what) {
        int bits = sizeOf(o);
        if (bits == 0) {
            throw new IllegalArgumentException(what + ": operand size unknown; use bytePtr()/wordPtr()/dwordPtr()/qwordPtr() on " + o);
        }
        return bits;
    }

    static int sameSize(Reg r, Operand other) {
        int bits = sizeOf(other);
        if (bits != 0 && bits != r.bits()) {
            throw new IllegalArgumentException("operand size mismatch: " + r + " and " + other);
        }
        return r.bits();
    }

    /** The size of a stack or branch memory operand: explicit, or the current mode's width. */
    int stackSize(Mem m) {
        return m.bits() != 0 ? m.bits() : enc.mode();
    }
}
