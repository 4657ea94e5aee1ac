package dev.jvisor.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The byte stream behind {@link Asm}: appends bytes, binds labels and records references to them
 * ("fixups") that are patched once every label is bound.
 */
final class CodeBuffer {
    /** How a fixup turns a label into bytes. */
    enum Kind {
        /** Signed distance from the end of the instruction to the label (jumps, calls, RIP-relative). */
        RELATIVE,
        /** The label's absolute address: origin plus offset (far pointers, data, immediates). */
        ABSOLUTE
    }

    private record Fixup(int at, int size, Label label, Kind kind, long addend, int instructionEnd) {
    }

    private final Object owner;
    private final long origin;
    private byte[] bytes = new byte[256];
    private int size;
    private final List<Fixup> fixups = new ArrayList<>();
    /** Index in {@link #fixups} of the first fixup of the instruction being emitted. */
    private int instructionFixups;

    CodeBuffer(Object owner, long origin) {
        this.owner = owner;
        this.origin = origin;
    }

    long origin() {
        return origin;
    }

    int size() {
        return size;
    }

    void emit8(int value) {
        if (size == bytes.length) {
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        bytes[size++] = (byte) value;
    }

    /** Appends the low {@code count} bytes of {@code value}, little-endian. */
    void emitLe(long value, int count) {
        for (int i = 0; i < count; i++) {
            emit8((int) (value >>> (8 * i)));
        }
    }

    void bind(Label label) {
        checkOwner(label);
        label.bindAt(size);
    }

    void checkOwner(Label label) {
        if (label.owner() != owner) {
            throw new IllegalArgumentException("label '" + label.name() + "' belongs to another assembler");
        }
    }

    /** Marks the start of an instruction: fixups added from here on are relative to its end. */
    void beginInstruction() {
        instructionFixups = fixups.size();
    }

    /** Marks the end of an instruction and fixes the end position of its relative fixups. */
    void endInstruction() {
        for (int i = instructionFixups; i < fixups.size(); i++) {
            Fixup f = fixups.get(i);
            fixups.set(i, new Fixup(f.at, f.size, f.label, f.kind, f.addend, size));
        }
        instructionFixups = fixups.size();
    }

    /** Emits {@code byteCount} placeholder bytes to be patched with a reference to {@code label}. */
    void emitReference(Label label, Kind kind, int byteCount, long addend) {
        checkOwner(label);
        fixups.add(new Fixup(size, byteCount, label, kind, addend, -1));
        emitLe(0, byteCount);
    }

    /** Address of a bound label. */
    long addressOf(Label label) {
        checkOwner(label);
        if (!label.isBound()) {
            throw new IllegalStateException("label '" + label.name() + "' is not bound");
        }
        return origin + label.offset();
    }

    /** Resolves every fixup and returns the program bytes. */
    byte[] assemble() {
        byte[] out = Arrays.copyOf(bytes, size);
        for (Fixup f : fixups) {
            if (!f.label.isBound()) {
                throw new IllegalStateException("label '" + f.label.name() + "' is used but never bound");
            }
            long value = switch (f.kind) {
                case RELATIVE -> f.label.offset() + f.addend - f.instructionEnd;
                case ABSOLUTE -> origin + f.label.offset() + f.addend;
            };
            checkRange(f, value);
            for (int i = 0; i < f.size; i++) {
                out[f.at + i] = (byte) (value >>> (8 * i));
            }
        }
        return out;
    }

    private static void checkRange(Fixup f, long value) {
        boolean ok = switch (f.kind) {
            case RELATIVE -> f.size == 8 || value >= -(1L << (8 * f.size - 1)) && value < (1L << (8 * f.size - 1));
            case ABSOLUTE -> f.size == 8 || value >= 0 && value < (1L << (8 * f.size));
        };
        if (!ok) {
            throw new IllegalStateException(String.format("reference to label '%s' at offset %d does not fit in %d bytes (value %d)",
                    f.label.name(), f.at, f.size, value));
        }
    }
}
